//! The rules of SPEC §9.1 and §9.4 that a document must follow on its own, and the version
//! rules of an update.

use std::collections::{BTreeMap, BTreeSet};

use crate::document::{
	Deployment, SignatureRequirement, Workload, WorkloadData, WorkloadType, MAX_SAFE_INTEGER,
};

/// The most virtual CPUs a VM may have.
pub const MAX_CPU: u32 = 64;
/// The least memory a VM may have: 256 MiB.
pub const MIN_MEMORY: u64 = 256 << 20;
/// The smallest root file system of a VM: 1 GiB.
pub const MIN_ROOTFS_SIZE: u64 = 1 << 30;
/// The smallest disk: 1 GiB.
pub const MIN_DISK_SIZE: u64 = 1 << 30;
const MAX_NAME_LEN: usize = 36;
/// The most workloads a document may have. A document whose encryption fits the chain's 8 KiB
/// holds about a hundred of the smallest workloads; the bound keeps what a node checks and
/// provisions for one request small.
pub const MAX_WORKLOADS: usize = 64;
/// The most twins a signature requirement may name: each is an account the node looks up.
pub const MAX_REQUESTS: usize = 32;
/// The most signatures a document may carry: on an update they may come from the twins of the
/// old requirement and of the new one.
pub const MAX_SIGNATURES: usize = 2 * MAX_REQUESTS;

/// A document breaks a rule of SPEC §9.1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
	/// The document has no workloads.
	#[error("the document has no workloads: add at least one")]
	NoWorkloads,
	/// The document has more than [`MAX_WORKLOADS`] workloads.
	#[error("the document has {count} workloads, more than the {max} a document may have")]
	TooManyWorkloads { count: usize, max: usize },
	/// A workload name is not 1..=36 of `[a-z0-9_]`.
	#[error("workload `{name}`: the name must be 1 to 36 characters of a-z, 0-9 and _")]
	BadWorkloadName { name: String },
	/// Two workloads share a name.
	#[error("workload `{name}`: the name is used by more than one workload")]
	DuplicateWorkloadName { name: String },
	/// A workload's version is above the document's.
	#[error(
		"workload `{name}`: version is {version}, above the document's version {document_version}"
	)]
	WorkloadVersionAboveDocument { name: String, version: u32, document_version: u32 },
	/// A VM's `cpu` is not in 1..=64.
	#[error("workload `{name}`: data.cpu is {cpu}, it must be 1 to 64")]
	CpuOutOfRange { name: String, cpu: u32 },
	/// A VM's `memory` is below 256 MiB.
	#[error("workload `{name}`: data.memory is {memory} bytes, below the minimum of 256 MiB")]
	MemoryTooSmall { name: String, memory: u64 },
	/// A VM's `rootfs_size` is below 1 GiB.
	#[error(
		"workload `{name}`: data.rootfs_size is {rootfs_size} bytes, below the minimum of 1 GiB"
	)]
	RootfsTooSmall { name: String, rootfs_size: u64 },
	/// A disk's `size` is below 1 GiB.
	#[error("workload `{name}`: data.size is {size} bytes, below the minimum of 1 GiB")]
	DiskTooSmall { name: String, size: u64 },
	/// A VM's `public_ip` names no workload.
	#[error("workload `{name}`: data.public_ip names `{public_ip}`, which is not a workload of the document")]
	PublicIpMissing { name: String, public_ip: String },
	/// A VM's `public_ip` names a workload of another type.
	#[error("workload `{name}`: data.public_ip names `{public_ip}`, a {kind} workload, not a public_ip one")]
	PublicIpNotPublicIp { name: String, public_ip: String, kind: WorkloadType },
	/// Two VMs use the same `public_ip` workload.
	#[error("workload `{name}`: data.public_ip `{public_ip}` is already used by the VM `{other}`")]
	PublicIpUsedTwice { name: String, public_ip: String, other: String },
	/// A mount names no workload.
	#[error("workload `{name}`: data.mounts names the disk `{disk}`, which is not a workload of the document")]
	MountDiskMissing { name: String, disk: String },
	/// A mount names a workload of another type.
	#[error("workload `{name}`: data.mounts names `{disk}`, a {kind} workload, not a disk")]
	MountNotDisk { name: String, disk: String, kind: WorkloadType },
	/// A disk is mounted more than once.
	#[error("workload `{name}`: data.mounts mounts the disk `{disk}`, which the VM `{other}` already mounts")]
	DiskMountedTwice { name: String, disk: String, other: String },
	/// An integer is above 2^53 − 1.
	#[error("{field} is {value}, above 2^53 − 1, the largest integer a document may carry")]
	IntegerTooLarge { field: String, value: u64 },
	/// The signature requirement is invalid.
	#[error(transparent)]
	Requirement(#[from] RequirementError),
}

/// A signature requirement breaks a rule of SPEC §9.4.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequirementError {
	/// `requests` is empty.
	#[error("signature_requirement.requests is empty: name at least one twin")]
	NoRequests,
	/// `requests` names more than [`MAX_REQUESTS`] twins.
	#[error("signature_requirement.requests names {count} twins, more than the {max} a requirement may name")]
	TooManyRequests { count: usize, max: usize },
	/// `signatures` holds more than [`MAX_SIGNATURES`] signatures.
	#[error("signature_requirement.signatures holds {count} signatures, more than the {max} a document may carry")]
	TooManySignatures { count: usize, max: usize },
	/// A twin is named twice in `requests`.
	#[error("signature_requirement.requests names twin {twin_id} more than once")]
	TwinRequestedTwice { twin_id: u32 },
	/// `weight_required` is 0.
	#[error("signature_requirement.weight_required is 0, it must be at least 1")]
	WeightRequiredZero,
	/// `weight_required` is above what all requested twins together weigh.
	#[error("signature_requirement.weight_required is {weight_required}, above the {total} that all requested twins weigh together")]
	WeightRequiredAboveTotal { weight_required: u32, total: u64 },
}

/// An update breaks the version rules of SPEC §9.1.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpdateError {
	/// The new version is not the old one plus one.
	#[error("version is {new}, it must be {} (the previous version {old} plus one)", u64::from(*old) + 1)]
	VersionNotNext { old: u32, new: u32 },
	/// The owner twin changed.
	#[error("twin_id changed from {old} to {new}: an update keeps the owner")]
	TwinChanged { old: u32, new: u32 },
	/// The contract changed.
	#[error("contract_id changed from {old} to {new}: an update keeps the contract")]
	ContractChanged { old: u64, new: u64 },
	/// An added or changed workload does not carry the new document version.
	#[error("workload `{name}`: it is added or changed, so its version must be {expected}, not {version}")]
	ChangedWorkloadVersion { name: String, version: u32, expected: u32 },
	/// An unchanged workload does not keep its version.
	#[error(
		"workload `{name}`: it is unchanged, so its version must stay {expected}, not {version}"
	)]
	UnchangedWorkloadVersion { name: String, version: u32, expected: u32 },
}

impl Deployment {
	/// Checks every rule of SPEC §9.1 and the requirement rules of §9.4, returning the first
	/// broken one.
	pub fn validate(&self) -> Result<(), ValidationError> {
		if let Some((field, value)) = self.first_unsafe_integer() {
			return Err(ValidationError::IntegerTooLarge { field, value });
		}
		self.signature_requirement.check()?;
		if self.workloads.is_empty() {
			return Err(ValidationError::NoWorkloads);
		}
		if self.workloads.len() > MAX_WORKLOADS {
			return Err(ValidationError::TooManyWorkloads {
				count: self.workloads.len(),
				max: MAX_WORKLOADS,
			});
		}
		let mut kinds = BTreeMap::new();
		for workload in &self.workloads {
			if !is_workload_name(&workload.name) {
				return Err(ValidationError::BadWorkloadName { name: workload.name.clone() });
			}
			if kinds.insert(workload.name.as_str(), workload.data.kind()).is_some() {
				return Err(ValidationError::DuplicateWorkloadName { name: workload.name.clone() });
			}
		}
		let mut ip_users: BTreeMap<&str, &str> = BTreeMap::new();
		let mut disk_users: BTreeMap<&str, &str> = BTreeMap::new();
		for workload in &self.workloads {
			let name = workload.name.clone();
			if workload.version > self.version {
				return Err(ValidationError::WorkloadVersionAboveDocument {
					name,
					version: workload.version,
					document_version: self.version,
				});
			}
			match &workload.data {
				WorkloadData::Vm(vm) => {
					if !(1..=MAX_CPU).contains(&vm.cpu) {
						return Err(ValidationError::CpuOutOfRange { name, cpu: vm.cpu });
					}
					if vm.memory < MIN_MEMORY {
						return Err(ValidationError::MemoryTooSmall { name, memory: vm.memory });
					}
					if vm.rootfs_size < MIN_ROOTFS_SIZE {
						return Err(ValidationError::RootfsTooSmall {
							name,
							rootfs_size: vm.rootfs_size,
						});
					}
					if !vm.public_ip.is_empty() {
						let public_ip = vm.public_ip.clone();
						match kinds.get(vm.public_ip.as_str()) {
							None => {
								return Err(ValidationError::PublicIpMissing { name, public_ip })
							}
							Some(WorkloadType::PublicIp) => {}
							Some(&kind) => {
								return Err(ValidationError::PublicIpNotPublicIp {
									name,
									public_ip,
									kind,
								})
							}
						}
						if let Some(other) = ip_users.insert(&vm.public_ip, &workload.name) {
							return Err(ValidationError::PublicIpUsedTwice {
								name,
								public_ip,
								other: other.into(),
							});
						}
					}
					for mount in &vm.mounts {
						let disk = mount.disk.clone();
						match kinds.get(mount.disk.as_str()) {
							None => return Err(ValidationError::MountDiskMissing { name, disk }),
							Some(WorkloadType::Disk) => {}
							Some(&kind) => {
								return Err(ValidationError::MountNotDisk { name, disk, kind })
							}
						}
						if let Some(other) = disk_users.insert(&mount.disk, &workload.name) {
							return Err(ValidationError::DiskMountedTwice {
								name,
								disk,
								other: other.into(),
							});
						}
					}
				}
				WorkloadData::Disk(disk) => {
					if disk.size < MIN_DISK_SIZE {
						return Err(ValidationError::DiskTooSmall { name, size: disk.size });
					}
				}
				WorkloadData::PublicIp(_) => {}
			}
		}
		Ok(())
	}

	/// Checks the version rules of an update from `old` to `new` (SPEC §9.1): the version goes
	/// up by one, added and changed workloads carry the new version, unchanged ones keep theirs,
	/// and the owner and contract stay. It does not run [`Deployment::validate`] on either.
	pub fn validate_update(old: &Deployment, new: &Deployment) -> Result<(), UpdateError> {
		if old.version.checked_add(1) != Some(new.version) {
			return Err(UpdateError::VersionNotNext { old: old.version, new: new.version });
		}
		if old.twin_id != new.twin_id {
			return Err(UpdateError::TwinChanged { old: old.twin_id, new: new.twin_id });
		}
		if old.contract_id != new.contract_id {
			return Err(UpdateError::ContractChanged {
				old: old.contract_id,
				new: new.contract_id,
			});
		}
		for workload in &new.workloads {
			let previous = old.workload(&workload.name);
			match previous {
				Some(previous) if same_content(previous, workload) => {
					if workload.version != previous.version {
						return Err(UpdateError::UnchangedWorkloadVersion {
							name: workload.name.clone(),
							version: workload.version,
							expected: previous.version,
						});
					}
				}
				_ => {
					if workload.version != new.version {
						return Err(UpdateError::ChangedWorkloadVersion {
							name: workload.name.clone(),
							version: workload.version,
							expected: new.version,
						});
					}
				}
			}
		}
		Ok(())
	}

	/// The first integer above [`MAX_SAFE_INTEGER`], with where it is.
	pub(crate) fn first_unsafe_integer(&self) -> Option<(String, u64)> {
		if self.contract_id > MAX_SAFE_INTEGER {
			return Some(("contract_id".into(), self.contract_id));
		}
		for workload in &self.workloads {
			let fields: &[(&str, u64)] = match &workload.data {
				WorkloadData::Vm(vm) => &[("memory", vm.memory), ("rootfs_size", vm.rootfs_size)],
				WorkloadData::Disk(disk) => &[("size", disk.size)],
				WorkloadData::PublicIp(_) => &[],
			};
			if let Some((field, value)) = fields.iter().find(|(_, value)| *value > MAX_SAFE_INTEGER)
			{
				return Some((format!("workload `{}`: data.{field}", workload.name), *value));
			}
		}
		None
	}
}

impl SignatureRequirement {
	/// Checks that `requests` is not empty, names each twin once, and that
	/// `1 ≤ weight_required ≤ Σ weights`.
	pub fn check(&self) -> Result<(), RequirementError> {
		if self.requests.is_empty() {
			return Err(RequirementError::NoRequests);
		}
		if self.requests.len() > MAX_REQUESTS {
			return Err(RequirementError::TooManyRequests {
				count: self.requests.len(),
				max: MAX_REQUESTS,
			});
		}
		if self.signatures.len() > MAX_SIGNATURES {
			return Err(RequirementError::TooManySignatures {
				count: self.signatures.len(),
				max: MAX_SIGNATURES,
			});
		}
		let mut twins = BTreeSet::new();
		for request in &self.requests {
			if !twins.insert(request.twin_id) {
				return Err(RequirementError::TwinRequestedTwice { twin_id: request.twin_id });
			}
		}
		if self.weight_required == 0 {
			return Err(RequirementError::WeightRequiredZero);
		}
		let total = self.total_weight();
		if u64::from(self.weight_required) > total {
			return Err(RequirementError::WeightRequiredAboveTotal {
				weight_required: self.weight_required,
				total,
			});
		}
		Ok(())
	}

	/// What all requested twins weigh together.
	pub fn total_weight(&self) -> u64 {
		self.requests.iter().map(|r| u64::from(r.weight)).sum()
	}
}

/// Whether `name` may name a workload: 1 to 36 of `[a-z0-9_]`.
pub fn is_workload_name(name: &str) -> bool {
	(1..=MAX_NAME_LEN).contains(&name.len())
		&& name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether an update left a workload as it was, its version aside.
fn same_content(old: &Workload, new: &Workload) -> bool {
	old.description == new.description && old.data == new.data
}
