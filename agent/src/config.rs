//! The agent's configuration file (TOML).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Which provisioner runs workloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProvisionerKind {
	/// Each VM runs its OCI image with Podman, isolated (SPEC §10).
	Container,
	/// Records and reports, runs nothing.
	Sim,
}

/// The `container` provisioner's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContainerConfig {
	/// The bridge that carries the farm's public IPs: a VM with a public IP gets an interface
	/// on it. Empty: this node gives no public IPs.
	pub public_interface: String,
	/// The OCI runtime Podman uses; empty picks `runc` on hybrid cgroups (v1 with a v2
	/// `unified` mount, which crun refuses) and Podman's default elsewhere.
	pub runtime: String,
	/// Processes (and threads) a VM may have at once.
	pub pids_limit: u64,
	/// Names and labels this agent's containers and networks (`PREFIX-CONTRACT-WORKLOAD`): two
	/// agents on one host need different prefixes.
	pub prefix: String,
}

impl Default for ContainerConfig {
	fn default() -> ContainerConfig {
		ContainerConfig {
			public_interface: String::new(),
			runtime: String::new(),
			pids_limit: 1024,
			prefix: "gridchain".into(),
		}
	}
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
	#[serde(default)]
	pub container: ContainerConfig,
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
		if config.container.pids_limit < 16 {
			anyhow::bail!("{}: container.pids_limit: must be at least 16", path.display());
		}
		if config.report_interval_secs == 0 {
			anyhow::bail!("{}: report_interval_secs: must be at least 1", path.display());
		}
		Ok(config)
	}
}

/// The commented configuration `grid-agent init` writes: the `container` provisioner where
/// Podman is installed, `sim` elsewhere.
pub fn template(data_dir: &Path) -> String {
	let podman = std::env::var_os("PATH")
		.is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("podman").is_file()));
	let provisioner = if podman { "container" } else { "sim" };
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
# "container": each VM runs its image with Podman, isolated (own user, PID, mount and network
# namespaces; cgroup limits; disks as filesystems of their size). Needs root, podman, runc or
# crun, uidmap and a `containers` range in /etc/subuid and /etc/subgid; the agent refuses to start
# without them. "sim": records and reports, runs nothing (tests and dry runs).
provisioner = "{provisioner}"

[container]
# The bridge that carries the farm's public IPs (a VM with a public IP gets an interface on it);
# empty: this node gives no public IPs.
public_interface = ""
# The OCI runtime; empty picks runc on hybrid cgroups and Podman's default elsewhere.
runtime = ""
# Processes a VM may have at once.
pids_limit = 1024
# Names and labels this agent's containers and networks; two agents on one host need two prefixes.
prefix = "gridchain"

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
