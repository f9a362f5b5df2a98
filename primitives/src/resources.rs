//! Resources and cloud units (SPEC §5.2).
//!
//! Memory and disk are counted in bytes on chain and in GiB (2^30 bytes) in the unit formulas.
//! Cloud units are fractions; they are represented exactly as integers over a fixed denominator
//! ([`CU_DENOMINATOR`], [`SU_DENOMINATOR`], [`NU_DENOMINATOR`]) so no precision is lost before the
//! one rounding at settlement.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// One GiB in bytes.
pub const GIB: u64 = 1 << 30;

/// A CU is represented as `cu_scaled / CU_DENOMINATOR`, with memory in bytes.
pub const CU_DENOMINATOR: u128 = 8 * GIB as u128;
/// An SU is represented as `su_scaled / SU_DENOMINATOR`, with disk in bytes.
pub const SU_DENOMINATOR: u128 = 1200 * GIB as u128;
/// An NU is `nru / NU_DENOMINATOR`: one NU is 10^9 bytes of traffic.
pub const NU_DENOMINATOR: u128 = 1_000_000_000;

/// Capacity of a node, or what a workload uses of it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
	Default,
	serde::Serialize,
	serde::Deserialize,
)]
pub struct Resources {
	/// Virtual CPUs.
	pub cru: u64,
	/// SSD bytes.
	pub sru: u64,
	/// HDD bytes.
	pub hru: u64,
	/// Memory bytes.
	pub mru: u64,
}

impl Resources {
	/// Whether every resource of `self` is at least that of `other`.
	pub fn covers(&self, other: &Resources) -> bool {
		self.cru >= other.cru
			&& self.sru >= other.sru
			&& self.hru >= other.hru
			&& self.mru >= other.mru
	}

	/// `self - other`, each resource floored at zero.
	pub fn saturating_sub(&self, other: &Resources) -> Resources {
		Resources {
			cru: self.cru.saturating_sub(other.cru),
			sru: self.sru.saturating_sub(other.sru),
			hru: self.hru.saturating_sub(other.hru),
			mru: self.mru.saturating_sub(other.mru),
		}
	}

	/// `self + other`, each resource capped at `u64::MAX`.
	pub fn saturating_add(&self, other: &Resources) -> Resources {
		Resources {
			cru: self.cru.saturating_add(other.cru),
			sru: self.sru.saturating_add(other.sru),
			hru: self.hru.saturating_add(other.hru),
			mru: self.mru.saturating_add(other.mru),
		}
	}
}

/// CU × [`CU_DENOMINATOR`]:
/// `CU = min(max(mru/4, cru/2), max(mru/8, cru), max(mru/2, cru/4))`, mru in GiB.
///
/// ```
/// use gridchain_primitives::resources::{cu_scaled, CU_DENOMINATOR};
/// use gridchain_primitives::{Resources, GIB};
/// let r = Resources { cru: 16, mru: 16 * GIB, ..Default::default() };
/// assert_eq!(cu_scaled(&r), 8 * CU_DENOMINATOR);
/// ```
pub fn cu_scaled(r: &Resources) -> u128 {
	let mru = r.mru as u128;
	let cru_gib = (r.cru as u128).saturating_mul(GIB as u128);
	// Each term is multiplied by CU_DENOMINATOR = 8 GiB: mru/4 GiB -> 2·mru bytes, cru/2 -> 4·cru GiB.
	let a = (2 * mru).max(4 * cru_gib);
	let b = mru.max(8 * cru_gib);
	let c = (4 * mru).max(2 * cru_gib);
	a.min(b).min(c)
}

/// SU × [`SU_DENOMINATOR`]: `SU = hru/1200 + sru/200`, disk in GiB.
///
/// ```
/// use gridchain_primitives::resources::{su_scaled, SU_DENOMINATOR};
/// use gridchain_primitives::{Resources, GIB};
/// let r = Resources { sru: 200 * GIB, ..Default::default() };
/// assert_eq!(su_scaled(&r), SU_DENOMINATOR);
/// ```
pub fn su_scaled(r: &Resources) -> u128 {
	(r.hru as u128).saturating_add((r.sru as u128).saturating_mul(6))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn res(cru: u64, mru_gib: u64) -> Resources {
		Resources { cru, mru: mru_gib * GIB, ..Default::default() }
	}

	#[test]
	fn cu_of_4_cpus_and_1024_gib_is_128() {
		assert_eq!(cu_scaled(&res(4, 1024)), 128 * CU_DENOMINATOR);
	}

	#[test]
	fn cu_of_16_cpus_and_16_gib_is_8() {
		assert_eq!(cu_scaled(&res(16, 16)), 8 * CU_DENOMINATOR);
	}

	#[test]
	fn cu_of_4_cpus_and_2_gib_is_1() {
		assert_eq!(cu_scaled(&res(4, 2)), CU_DENOMINATOR);
	}

	#[test]
	fn cu_of_2_cpus_and_4_gib_is_1() {
		assert_eq!(cu_scaled(&res(2, 4)), CU_DENOMINATOR);
	}

	#[test]
	fn cu_keeps_fractions() {
		// 1 vCPU, 1 GiB: min(max(0.25, 0.5), max(0.125, 1), max(0.5, 0.25)) = 0.5
		assert_eq!(cu_scaled(&res(1, 1)), CU_DENOMINATOR / 2);
	}

	#[test]
	fn su_of_1200_gib_hdd_is_1() {
		let r = Resources { hru: 1200 * GIB, ..Default::default() };
		assert_eq!(su_scaled(&r), SU_DENOMINATOR);
	}

	#[test]
	fn su_of_200_gib_ssd_is_1() {
		let r = Resources { sru: 200 * GIB, ..Default::default() };
		assert_eq!(su_scaled(&r), SU_DENOMINATOR);
	}

	#[test]
	fn su_adds_hdd_and_ssd() {
		let r = Resources { hru: 1200 * GIB, sru: 50 * GIB, ..Default::default() };
		assert_eq!(su_scaled(&r), SU_DENOMINATOR + SU_DENOMINATOR / 4);
	}

	#[test]
	fn extreme_resources_do_not_overflow() {
		let r = Resources { cru: u64::MAX, sru: u64::MAX, hru: u64::MAX, mru: u64::MAX };
		assert!(cu_scaled(&r) > 0);
		assert!(su_scaled(&r) > 0);
	}

	#[test]
	fn covers_compares_every_resource() {
		let big = Resources { cru: 4, sru: 10, hru: 10, mru: 10 };
		assert!(big.covers(&Resources { cru: 4, sru: 10, hru: 0, mru: 1 }));
		assert!(!big.covers(&Resources { cru: 5, ..Default::default() }));
		assert!(!big.covers(&Resources { hru: 11, ..Default::default() }));
	}
}
