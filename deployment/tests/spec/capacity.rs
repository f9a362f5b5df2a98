//! §9.2: capacity.

use gridchain_deployment::Capacity;
use serde_json::json;

use crate::common::{edited, example};

#[test]
fn capacity_sums_vms_and_disks_by_medium_and_counts_public_ips() {
	assert_eq!(
		example().capacity(),
		Capacity { cru: 2, sru: (10 << 30) + (50 << 30), hru: 0, mru: 4 << 30, public_ips: 1 }
	);
	let hdd = edited(&example(), |v| v["workloads"][1]["data"]["kind"] = json!("hdd"));
	assert_eq!(
		hdd.capacity(),
		Capacity { cru: 2, sru: 10 << 30, hru: 50 << 30, mru: 4 << 30, public_ips: 1 }
	);
}

#[test]
fn capacity_arithmetic_is_checked_or_saturating() {
	let one = Capacity { cru: 1, sru: 2, hru: 3, mru: 4, public_ips: 5 };
	let max = Capacity {
		cru: u64::MAX,
		sru: u64::MAX,
		hru: u64::MAX,
		mru: u64::MAX,
		public_ips: u32::MAX,
	};
	assert_eq!(
		one.checked_add(one),
		Some(Capacity { cru: 2, sru: 4, hru: 6, mru: 8, public_ips: 10 })
	);
	assert_eq!(max.checked_add(one), None);
	assert_eq!(max.saturating_add(one), max);
	assert_eq!(Capacity::ZERO.checked_sub(one), None);
	assert_eq!(Capacity::ZERO.saturating_sub(one), Capacity::ZERO);
	assert_eq!(one.checked_sub(one), Some(Capacity::ZERO));
	assert!(one.fits_in(&one));
	assert!(!one.fits_in(&Capacity { public_ips: 4, ..one }));
}
