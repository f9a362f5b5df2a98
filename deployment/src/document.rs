//! The deployment document of SPEC §9.1 and its JSON form.
//!
//! Every member is required and unknown members are refused, at every level. A workload is
//! written `{"version", "name", "type", "description", "data"}` where `type` says how to read
//! `data`; serde's adjacent tagging cannot be combined with `deny_unknown_fields`, so workloads
//! have their own (de)serialisation below.

use std::{collections::BTreeMap, fmt};

use serde::{
	de::Error as _, ser::SerializeStruct, Deserialize, Deserializer, Serialize, Serializer,
};

use crate::hex_bytes;

/// The largest integer a document may carry, 2^53 − 1, so that JavaScript reads it exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A deployment: what a twin asks a node to run, signed by the twins its requirement names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deployment {
	/// Bumped by exactly one on every update.
	pub version: u32,
	/// The owner twin.
	pub twin_id: u32,
	/// 0 until the contract exists; not covered by the hash.
	#[serde(deserialize_with = "safe_integer")]
	pub contract_id: u64,
	/// Free text for the owner's tools.
	pub metadata: String,
	/// Free text for people.
	pub description: String,
	/// Who must sign, and the signatures collected so far.
	pub signature_requirement: SignatureRequirement,
	/// What to run.
	pub workloads: Vec<Workload>,
}

/// The twins whose signatures a deployment needs (SPEC §9.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequirement {
	/// The twins that may sign, each at most once.
	pub requests: Vec<SignatureRequest>,
	/// The total weight of signers needed.
	pub weight_required: u32,
	/// The signatures; not covered by the hash.
	pub signatures: Vec<Signature>,
}

/// One twin that may (or must) sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequest {
	/// The twin.
	pub twin_id: u32,
	/// What its signature counts towards `weight_required`.
	pub weight: u32,
	/// Whether the document is refused without its signature.
	pub required: bool,
}

/// One named thing to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workload {
	/// The document version in which this workload was added or last changed.
	pub version: u32,
	/// `[a-z0-9_]`, 1..=36 characters, unique in the document.
	pub name: String,
	/// Free text for people.
	pub description: String,
	/// The workload's type and its data.
	pub data: WorkloadData,
}

/// A workload's data, by type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkloadData {
	/// `"type": "vm"`.
	Vm(VmData),
	/// `"type": "disk"`.
	Disk(DiskData),
	/// `"type": "public_ip"`.
	PublicIp(PublicIpData),
}

/// The `type` member of a workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadType {
	/// A virtual machine.
	Vm,
	/// A disk a VM mounts.
	Disk,
	/// A public IPv4 a VM uses.
	PublicIp,
}

/// A virtual machine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmData {
	/// The image reference.
	pub image: String,
	/// Virtual CPUs, 1..=64.
	pub cpu: u32,
	/// Memory bytes, at least 256 MiB.
	#[serde(deserialize_with = "safe_integer")]
	pub memory: u64,
	/// Root file system bytes, at least 1 GiB.
	#[serde(deserialize_with = "safe_integer")]
	pub rootfs_size: u64,
	/// The command the VM starts.
	pub entrypoint: String,
	/// Environment variables.
	pub env: BTreeMap<String, String>,
	/// Authorized SSH public keys.
	pub ssh_keys: Vec<String>,
	/// The name of a `public_ip` workload, or `""`.
	pub public_ip: String,
	/// Disks to mount.
	pub mounts: Vec<Mount>,
}

/// A disk mounted into a VM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mount {
	/// The name of a `disk` workload.
	pub disk: String,
	/// Where it appears in the VM.
	pub mount_point: String,
}

/// A disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiskData {
	/// Bytes, at least 1 GiB.
	#[serde(deserialize_with = "safe_integer")]
	pub size: u64,
	/// SSD or HDD.
	pub kind: DiskKind,
}

/// The medium of a disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskKind {
	/// Counted in `sru`.
	Ssd,
	/// Counted in `hru`.
	Hdd,
}

/// A public IPv4: its data is `{}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicIpData {}

/// The bytes are not a deployment document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the deployment document is invalid at `{path}`: {message}")]
pub struct DocumentError {
	/// Where in the document, such as `workloads[0].data.cpu` (`.` for the whole document).
	pub path: String,
	/// What is wrong there.
	pub message: String,
}

impl Deployment {
	/// Parses a document from JSON, refusing missing and unknown members and integers above
	/// [`MAX_SAFE_INTEGER`].
	pub fn from_json(bytes: &[u8]) -> Result<Deployment, DocumentError> {
		let mut deserializer = serde_json::Deserializer::from_slice(bytes);
		let document: Deployment =
			serde_path_to_error::deserialize(&mut deserializer).map_err(|e| DocumentError {
				path: e.path().to_string(),
				message: e.inner().to_string(),
			})?;
		deserializer
			.end()
			.map_err(|e| DocumentError { path: ".".into(), message: e.to_string() })?;
		Ok(document)
	}

	/// The workload of that name.
	pub fn workload(&self, name: &str) -> Option<&Workload> {
		self.workloads.iter().find(|w| w.name == name)
	}
}

impl WorkloadData {
	/// The `type` member written next to this data.
	pub fn kind(&self) -> WorkloadType {
		match self {
			WorkloadData::Vm(_) => WorkloadType::Vm,
			WorkloadData::Disk(_) => WorkloadType::Disk,
			WorkloadData::PublicIp(_) => WorkloadType::PublicIp,
		}
	}
}

impl fmt::Display for WorkloadType {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			WorkloadType::Vm => "vm",
			WorkloadType::Disk => "disk",
			WorkloadType::PublicIp => "public_ip",
		})
	}
}

impl Serialize for Workload {
	fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		let mut workload = serializer.serialize_struct("Workload", 5)?;
		workload.serialize_field("version", &self.version)?;
		workload.serialize_field("name", &self.name)?;
		workload.serialize_field("type", &self.data.kind())?;
		workload.serialize_field("description", &self.description)?;
		match &self.data {
			WorkloadData::Vm(data) => workload.serialize_field("data", data)?,
			WorkloadData::Disk(data) => workload.serialize_field("data", data)?,
			WorkloadData::PublicIp(data) => workload.serialize_field("data", data)?,
		}
		workload.end()
	}
}

impl<'de> Deserialize<'de> for Workload {
	fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		let raw = RawWorkload::deserialize(deserializer)?;
		let data = raw.data.into_typed(raw.kind).map_err(D::Error::custom)?;
		Ok(Workload { version: raw.version, name: raw.name, description: raw.description, data })
	}
}

/// A workload as written, before `type` says how to read `data`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkload {
	version: u32,
	name: String,
	#[serde(rename = "type")]
	kind: WorkloadType,
	description: String,
	data: AnyData,
}

/// The members of every workload type, so `data` may come before `type` (it does in canonical
/// JSON) and still be read strictly: a duplicate or unknown member is refused by serde, a
/// member of another type by [`AnyData::into_typed`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyData {
	#[serde(default, deserialize_with = "present")]
	image: Option<String>,
	#[serde(default, deserialize_with = "present")]
	cpu: Option<u32>,
	#[serde(default, deserialize_with = "present_safe_integer")]
	memory: Option<u64>,
	#[serde(default, deserialize_with = "present_safe_integer")]
	rootfs_size: Option<u64>,
	#[serde(default, deserialize_with = "present")]
	entrypoint: Option<String>,
	#[serde(default, deserialize_with = "present")]
	env: Option<BTreeMap<String, String>>,
	#[serde(default, deserialize_with = "present")]
	ssh_keys: Option<Vec<String>>,
	#[serde(default, deserialize_with = "present")]
	public_ip: Option<String>,
	#[serde(default, deserialize_with = "present")]
	mounts: Option<Vec<Mount>>,
	#[serde(default, deserialize_with = "present_safe_integer")]
	size: Option<u64>,
	#[serde(default, deserialize_with = "present")]
	kind: Option<DiskKind>,
}

/// Why a workload's `data` does not fit its `type`.
#[derive(Debug, thiserror::Error)]
enum DataError {
	#[error("data of a {kind} workload is missing the member `{member}`")]
	Missing { kind: WorkloadType, member: &'static str },
	#[error("data of a {kind} workload has the member `{member}`, which belongs to another type")]
	Foreign { kind: WorkloadType, member: &'static str },
}

impl AnyData {
	fn into_typed(self, kind: WorkloadType) -> Result<WorkloadData, DataError> {
		let allowed: &[&str] = match kind {
			WorkloadType::Vm => &[
				"image",
				"cpu",
				"memory",
				"rootfs_size",
				"entrypoint",
				"env",
				"ssh_keys",
				"public_ip",
				"mounts",
			],
			WorkloadType::Disk => &["size", "kind"],
			WorkloadType::PublicIp => &[],
		};
		if let Some(member) = self.present_members().into_iter().find(|m| !allowed.contains(m)) {
			return Err(DataError::Foreign { kind, member });
		}
		fn take<T>(
			value: Option<T>,
			kind: WorkloadType,
			member: &'static str,
		) -> Result<T, DataError> {
			value.ok_or(DataError::Missing { kind, member })
		}
		Ok(match kind {
			WorkloadType::Vm => WorkloadData::Vm(VmData {
				image: take(self.image, kind, "image")?,
				cpu: take(self.cpu, kind, "cpu")?,
				memory: take(self.memory, kind, "memory")?,
				rootfs_size: take(self.rootfs_size, kind, "rootfs_size")?,
				entrypoint: take(self.entrypoint, kind, "entrypoint")?,
				env: take(self.env, kind, "env")?,
				ssh_keys: take(self.ssh_keys, kind, "ssh_keys")?,
				public_ip: take(self.public_ip, kind, "public_ip")?,
				mounts: take(self.mounts, kind, "mounts")?,
			}),
			WorkloadType::Disk => WorkloadData::Disk(DiskData {
				size: take(self.size, kind, "size")?,
				kind: take(self.kind, kind, "kind")?,
			}),
			WorkloadType::PublicIp => WorkloadData::PublicIp(PublicIpData {}),
		})
	}

	fn present_members(&self) -> Vec<&'static str> {
		[
			("image", self.image.is_some()),
			("cpu", self.cpu.is_some()),
			("memory", self.memory.is_some()),
			("rootfs_size", self.rootfs_size.is_some()),
			("entrypoint", self.entrypoint.is_some()),
			("env", self.env.is_some()),
			("ssh_keys", self.ssh_keys.is_some()),
			("public_ip", self.public_ip.is_some()),
			("mounts", self.mounts.is_some()),
			("size", self.size.is_some()),
			("kind", self.kind.is_some()),
		]
		.into_iter()
		.filter_map(|(member, present)| present.then_some(member))
		.collect()
	}
}

/// A member that must be there and must not be `null` (with `#[serde(default)]`, absence
/// gives `None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
	deserializer: D,
) -> Result<Option<T>, D::Error> {
	T::deserialize(deserializer).map(Some)
}

fn present_safe_integer<'de, D: Deserializer<'de>>(
	deserializer: D,
) -> Result<Option<u64>, D::Error> {
	safe_integer(deserializer).map(Some)
}

fn safe_integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
	let value = u64::deserialize(deserializer)?;
	if value > MAX_SAFE_INTEGER {
		return Err(D::Error::custom(format_args!(
			"the integer {value} is above 2^53 − 1, the largest a document may carry"
		)));
	}
	Ok(value)
}

/// The scheme of a twin's account key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
	/// Schnorrkel over Ristretto25519 with the `substrate` context.
	Sr25519,
	/// Ed25519 (RFC 8032).
	Ed25519,
}

/// A twin's signature of a deployment hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
	/// The signing twin.
	pub twin_id: u32,
	/// The scheme of its account key.
	pub key_type: KeyType,
	/// The 64 signature bytes, written `0x…`.
	#[serde(with = "hex_bytes")]
	pub signature: [u8; 64],
}

impl Signature {
	/// A signature made elsewhere with an sr25519 key and the `substrate` context (for example
	/// `subxt_signer::sr25519::Keypair::sign(hash.as_bytes())`).
	pub fn sr25519(twin_id: u32, signature: [u8; 64]) -> Signature {
		Signature { twin_id, key_type: KeyType::Sr25519, signature }
	}

	/// A signature made elsewhere with an ed25519 key.
	pub fn ed25519(twin_id: u32, signature: [u8; 64]) -> Signature {
		Signature { twin_id, key_type: KeyType::Ed25519, signature }
	}
}

impl fmt::Display for KeyType {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(match self {
			KeyType::Sr25519 => "sr25519",
			KeyType::Ed25519 => "ed25519",
		})
	}
}
