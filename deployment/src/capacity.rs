//! What a deployment reserves on its node (SPEC §9.2).

use serde::{Deserialize, Serialize};

use crate::document::{Deployment, DiskKind, WorkloadData};

/// Capacity in the units of the chain: `cru` virtual CPUs, the others bytes, and a count of
/// public IPv4s.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
	/// Virtual CPUs.
	pub cru: u64,
	/// SSD bytes: VM root file systems and SSD disks.
	pub sru: u64,
	/// HDD bytes.
	pub hru: u64,
	/// Memory bytes.
	pub mru: u64,
	/// Public IPv4s the contract must reserve.
	pub public_ips: u32,
}

impl Capacity {
	/// Nothing.
	pub const ZERO: Capacity = Capacity { cru: 0, sru: 0, hru: 0, mru: 0, public_ips: 0 };

	/// The sum, or `None` if any unit overflows.
	pub fn checked_add(self, other: Capacity) -> Option<Capacity> {
		Some(Capacity {
			cru: self.cru.checked_add(other.cru)?,
			sru: self.sru.checked_add(other.sru)?,
			hru: self.hru.checked_add(other.hru)?,
			mru: self.mru.checked_add(other.mru)?,
			public_ips: self.public_ips.checked_add(other.public_ips)?,
		})
	}

	/// The difference, or `None` if any unit would go below zero.
	pub fn checked_sub(self, other: Capacity) -> Option<Capacity> {
		Some(Capacity {
			cru: self.cru.checked_sub(other.cru)?,
			sru: self.sru.checked_sub(other.sru)?,
			hru: self.hru.checked_sub(other.hru)?,
			mru: self.mru.checked_sub(other.mru)?,
			public_ips: self.public_ips.checked_sub(other.public_ips)?,
		})
	}

	/// The sum, each unit capped at its maximum.
	pub fn saturating_add(self, other: Capacity) -> Capacity {
		Capacity {
			cru: self.cru.saturating_add(other.cru),
			sru: self.sru.saturating_add(other.sru),
			hru: self.hru.saturating_add(other.hru),
			mru: self.mru.saturating_add(other.mru),
			public_ips: self.public_ips.saturating_add(other.public_ips),
		}
	}

	/// The difference, each unit floored at zero.
	pub fn saturating_sub(self, other: Capacity) -> Capacity {
		Capacity {
			cru: self.cru.saturating_sub(other.cru),
			sru: self.sru.saturating_sub(other.sru),
			hru: self.hru.saturating_sub(other.hru),
			mru: self.mru.saturating_sub(other.mru),
			public_ips: self.public_ips.saturating_sub(other.public_ips),
		}
	}

	/// Whether every unit of `self` is at most that of `available`.
	pub fn fits_in(&self, available: &Capacity) -> bool {
		self.cru <= available.cru
			&& self.sru <= available.sru
			&& self.hru <= available.hru
			&& self.mru <= available.mru
			&& self.public_ips <= available.public_ips
	}
}

impl Deployment {
	/// What the node reserves for this document: cru = Σ vm.cpu, mru = Σ vm.memory,
	/// sru = Σ vm.rootfs_size + Σ ssd sizes, hru = Σ hdd sizes, and one public IP per
	/// `public_ip` workload. Saturates rather than overflows (a valid document cannot overflow).
	pub fn capacity(&self) -> Capacity {
		self.workloads.iter().fold(Capacity::ZERO, |total, workload| {
			let one = match &workload.data {
				WorkloadData::Vm(vm) => Capacity {
					cru: vm.cpu.into(),
					sru: vm.rootfs_size,
					mru: vm.memory,
					..Capacity::ZERO
				},
				WorkloadData::Disk(disk) => match disk.kind {
					DiskKind::Ssd => Capacity { sru: disk.size, ..Capacity::ZERO },
					DiskKind::Hdd => Capacity { hru: disk.size, ..Capacity::ZERO },
				},
				WorkloadData::PublicIp(_) => Capacity { public_ips: 1, ..Capacity::ZERO },
			};
			total.saturating_add(one)
		})
	}
}
