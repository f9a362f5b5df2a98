//! The agent's configuration file (TOML).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which provisioner runs workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionerKind {
	/// A VM's entrypoint runs as a supervised child process, in a cgroup where possible; a disk is
	/// a file of its size.
	Process,
	/// Records and reports, runs nothing.
	Sim,
}

/// Capacity overrides; what is left out is measured from the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapacityConfig {
	pub cru: Option<u64>,
	pub mru: Option<u64>,
	pub sru: Option<u64>,
	pub hru: Option<u64>,
}

/// Where the node is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationConfig {
	pub country: String,
	pub city: String,
	#[serde(default)]
	pub latitude: String,
	#[serde(default)]
	pub longitude: String,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
	/// The chain's WebSocket URL.
	pub url: String,
	/// The node's secret URI (a BIP39 phrase, or `//Name` on a dev chain). `GRID_AGENT_KEY`
	/// overrides it.
	#[serde(default)]
	pub key: String,
	/// The farm the node belongs to.
	pub farm_id: u32,
	/// Where the API listens.
	pub listen: String,
	/// The URL users reach the API at: the node twin's relay.
	pub public_url: String,
	/// State, disks and logs.
	pub data_dir: PathBuf,
	/// Seconds between consumption reports.
	pub report_interval_secs: u64,
	pub provisioner: ProvisionerKind,
	pub location: LocationConfig,
	#[serde(default)]
	pub capacity: CapacityConfig,
}

impl Config {
	/// Read and check a configuration file.
	pub fn load(path: &Path) -> anyhow::Result<Config> {
		let text = std::fs::read_to_string(path)
			.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
		let mut config: Config =
			toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
		if let Ok(key) = std::env::var("GRID_AGENT_KEY") {
			config.key = key;
		}
		if config.key.trim().is_empty() {
			anyhow::bail!(
				"{}: key: the node's secret URI is missing (or set GRID_AGENT_KEY)",
				path.display()
			);
		}
		if config.report_interval_secs == 0 {
			anyhow::bail!("{}: report_interval_secs: must be at least 1", path.display());
		}
		Ok(config)
	}
}

/// The commented configuration `grid-agent init` writes.
pub fn template(data_dir: &Path) -> String {
	format!(
		r#"# grid-agent configuration. Every key is required unless it says otherwise.

# The chain's WebSocket URL.
url = "ws://127.0.0.1:9944"
# The node's secret URI: a BIP39 phrase, or //Name on a dev chain. Keep this file private,
# or leave it empty and set GRID_AGENT_KEY.
key = ""
# The farm this node belongs to (grid farm create).
farm_id = 1
# Where the API listens, and the URL users reach it at (registered as the node twin's relay).
listen = "127.0.0.1:8080"
public_url = "http://127.0.0.1:8080"
# State (an embedded database), disks and logs.
data_dir = "{}"
# Seconds between consumption reports (the chain bills per report window, at most an hour).
report_interval_secs = 300
# "process": a VM's entrypoint runs as a supervised process, in a cgroup where cgroups are
# writable, and a disk is a file of its size. "sim": records and reports, runs nothing.
provisioner = "process"

[location]
country = "BE"
city = "Ghent"
latitude = ""
longitude = ""

# Optional: override what is measured from the machine (cores, memory, the data dir's disk).
# Sizes are bytes.
[capacity]
# cru = 8
# mru = 34359738368
# sru = 1073741824000
# hru = 0
"#,
		data_dir.display()
	)
}
