//! The node's capacity: measured from the machine, overridden by the configuration.

use crate::config::CapacityConfig;
use gridchain_sdk::Resources;
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

/// What `need` lacks in `total` less `used`, in words (`64 vCPU needed, 16 free of 16`), or
/// `None` when it fits.
pub fn shortfall(total: Resources, used: Resources, need: Resources) -> Option<String> {
	let gib = |bytes: u64| format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64);
	let vcpu = |n: u64| format!("{n} vCPU");
	let short: Vec<String> = [
		(need.cru, total.cru, used.cru, "", &vcpu as &dyn Fn(u64) -> String),
		(need.mru, total.mru, used.mru, " memory", &gib),
		(need.sru, total.sru, used.sru, " SSD", &gib),
		(need.hru, total.hru, used.hru, " HDD", &gib),
	]
	.into_iter()
	.filter(|(need, total, used, _, _)| *need > total.saturating_sub(*used))
	.map(|(need, total, used, what, unit)| {
		format!(
			"{}{what} needed, {} free of {}",
			unit(need),
			unit(total.saturating_sub(used)),
			unit(total)
		)
	})
	.collect();
	(!short.is_empty()).then(|| short.join("; "))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_shortfall_names_each_short_resource_in_plain_units() {
		let gib = 1u64 << 30;
		let total = Resources { cru: 16, mru: 64 * gib, sru: 1024 * gib, hru: 0 };
		let used = Resources { cru: 4, mru: 8 * gib, sru: 0, hru: 0 };
		let fits = Resources { cru: 12, mru: 56 * gib, sru: 1024 * gib, hru: 0 };
		assert_eq!(shortfall(total, used, fits), None);
		let big = Resources { cru: 64, mru: gib, sru: gib, hru: 2 * gib };
		assert_eq!(
			shortfall(total, used, big).as_deref(),
			Some("64 vCPU needed, 12 vCPU free of 16 vCPU; 2.0 GiB HDD needed, 0.0 GiB free of 0.0 GiB")
		);
	}

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
		assert_eq!(shortfall(total, used, Resources { cru: 1, mru: 4, sru: 50, hru: 0 }), None);
		assert!(shortfall(total, used, Resources { cru: 2, mru: 1, sru: 1, hru: 0 }).is_some());
		assert!(shortfall(total, used, Resources { cru: 0, mru: 0, sru: 0, hru: 1 }).is_some());
	}
}
