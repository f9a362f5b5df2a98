//! The node's capacity: measured from the machine, overridden by the configuration.

use crate::config::CapacityConfig;
use gridchain_sdk::{deployment::Capacity, Resources};
use std::path::Path;

/// Cores, memory, and the data dir's filesystem as SSD; HDD 0 unless configured.
pub fn measure(data_dir: &Path, overrides: &CapacityConfig) -> anyhow::Result<Resources> {
	let cru = match overrides.cru {
		Some(cru) => cru,
		None => std::thread::available_parallelism().map(|n| n.get() as u64)?,
	};
	let mru = match overrides.mru {
		Some(mru) => mru,
		None => memory_bytes()?,
	};
	let sru = match overrides.sru {
		Some(sru) => sru,
		None => {
			let stat = nix::sys::statvfs::statvfs(data_dir)?;
			(stat.blocks() as u64).saturating_mul(stat.fragment_size() as u64)
		}
	};
	Ok(Resources { cru, sru, hru: overrides.hru.unwrap_or(0), mru })
}

fn memory_bytes() -> anyhow::Result<u64> {
	let meminfo = std::fs::read_to_string("/proc/meminfo")?;
	let kib = meminfo
		.lines()
		.find_map(|line| line.strip_prefix("MemTotal:"))
		.and_then(|rest| rest.split_whitespace().next())
		.and_then(|n| n.parse::<u64>().ok())
		.ok_or_else(|| anyhow::anyhow!("/proc/meminfo has no MemTotal"))?;
	Ok(kib.saturating_mul(1024))
}

/// A deployment capacity as chain resources.
pub fn resources(c: &Capacity) -> Resources {
	Resources { cru: c.cru, sru: c.sru, hru: c.hru, mru: c.mru }
}

/// Whether `need` fits in `total` less `used`.
pub fn fits(total: Resources, used: Resources, need: Resources) -> bool {
	let free = |t: u64, u: u64| t.saturating_sub(u);
	need.cru <= free(total.cru, used.cru)
		&& need.mru <= free(total.mru, used.mru)
		&& need.sru <= free(total.sru, used.sru)
		&& need.hru <= free(total.hru, used.hru)
}

/// The sum of two capacities, saturating.
pub fn add(a: Resources, b: Resources) -> Resources {
	Resources {
		cru: a.cru.saturating_add(b.cru),
		sru: a.sru.saturating_add(b.sru),
		hru: a.hru.saturating_add(b.hru),
		mru: a.mru.saturating_add(b.mru),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn capacity_is_measured_where_not_configured() {
		let dir = tempfile::tempdir().expect("dir");
		let measured = measure(dir.path(), &CapacityConfig::default()).expect("measure");
		assert!(measured.cru >= 1 && measured.mru > 0 && measured.sru > 0);
		let set = measure(
			dir.path(),
			&CapacityConfig { cru: Some(3), mru: Some(7), sru: Some(9), hru: Some(11) },
		)
		.expect("measure");
		assert_eq!(set, Resources { cru: 3, mru: 7, sru: 9, hru: 11 });
	}

	#[test]
	fn a_deployment_fits_only_in_what_is_free() {
		let total = Resources { cru: 4, mru: 8, sru: 100, hru: 0 };
		let used = Resources { cru: 3, mru: 4, sru: 50, hru: 0 };
		assert!(fits(total, used, Resources { cru: 1, mru: 4, sru: 50, hru: 0 }));
		assert!(!fits(total, used, Resources { cru: 2, mru: 1, sru: 1, hru: 0 }));
		assert!(!fits(total, used, Resources { cru: 0, mru: 0, sru: 0, hru: 1 }));
	}
}
