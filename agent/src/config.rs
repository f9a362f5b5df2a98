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
	/// Empty: a VM's processes run in its container, on the host's kernel. `qemu`: each VM
	/// boots as a virtual machine with its own kernel, QEMU jailed in the container.
	pub hypervisor: String,
	/// With `hypervisor = "qemu"`: `kvm` (needs /dev/kvm) or `tcg` (software emulation, slow:
	/// for machines whose KVM cannot run a guest).
	pub accel: String,
	/// With `hypervisor = "qemu"`: the guests' kernel (`/boot/vmlinuz-VERSION`, its modules in
	/// `/lib/modules/VERSION`). Empty: the newest in /boot.
	pub kernel: String,
}

impl Default for ContainerConfig {
	fn default() -> ContainerConfig {
		ContainerConfig {
			public_interface: String::new(),
			runtime: String::new(),
			pids_limit: 1024,
			prefix: "gridchain".into(),
			hypervisor: String::new(),
			accel: "kvm".into(),
			kernel: String::new(),
		}
	}
}

/// What one client may ask of the agent (SPEC §10, "Limits").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
	/// Signed requests a second per twin, after a burst of `burst`.
	pub requests_per_second: u32,
	pub burst: u32,
	/// Connections open at once, in all and from one address.
	pub max_connections: usize,
	pub max_connections_per_address: usize,
}

impl Default for Limits {
	fn default() -> Limits {
		Limits {
			requests_per_second: 10,
			burst: 30,
			max_connections: 512,
			max_connections_per_address: 64,
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
	/// The node's secret URI (a BIP39 phrase, or `//Name` on a dev chain). `key_file` and then
	/// `GRID_AGENT_KEY` override it.
	#[serde(default)]
	pub key: String,
	/// A file holding the node's secret URI, readable by the agent alone (mode 0600 or 0400).
	#[serde(default)]
	pub key_file: Option<PathBuf>,
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
	/// Every this many finalized blocks, every deployment is checked against its contract, for
	/// a contract that ended without the agent seeing the event.
	#[serde(default = "default_reconcile_every_blocks")]
	pub reconcile_every_blocks: u32,
	pub provisioner: ProvisionerKind,
	#[serde(default)]
	pub container: ContainerConfig,
	pub location: LocationConfig,
	#[serde(default)]
	pub capacity: CapacityConfig,
	#[serde(default)]
	pub limits: Limits,
}

fn default_reconcile_every_blocks() -> u32 {
	100
}

/// The environment variable that may hold the node's key; removed from the agent's environment
/// once read, so no process it starts inherits it.
pub const KEY_VARIABLE: &str = "GRID_AGENT_KEY";

/// Refuse a file that others than its owner may read: it holds the node's key.
fn private(path: &Path, what: &str) -> anyhow::Result<()> {
	use std::os::unix::fs::PermissionsExt;
	let mode = std::fs::metadata(path)
		.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?
		.permissions()
		.mode();
	if mode & 0o077 != 0 {
		anyhow::bail!(
			"{} is {what} and its mode is {:o}: others than its owner may read it; run `chmod 600 {}`",
			path.display(),
			mode & 0o777,
			path.display()
		);
	}
	Ok(())
}

impl Config {
	/// Read and check a configuration file; `key` is what `GRID_AGENT_KEY` held, if it was set
	/// (see [`take_key_variable`]).
	pub fn load(path: &Path, key: Option<String>) -> anyhow::Result<Config> {
		private(path, "the agent's configuration")?;
		let text = std::fs::read_to_string(path)
			.map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
		let mut config: Config =
			toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
		if let Some(file) = &config.key_file {
			private(file, "the node's key file (key_file)")?;
			config.key = std::fs::read_to_string(file)
				.map_err(|e| anyhow::anyhow!("key_file: cannot read {}: {e}", file.display()))?
				.trim()
				.to_string();
		}
		if let Some(key) = key {
			config.key = key;
		}
		if config.key.trim().is_empty() {
			anyhow::bail!(
				"{}: key: the node's secret URI is missing (set key_file, key or {KEY_VARIABLE})",
				path.display()
			);
		}
		let limits = &config.limits;
		for (name, value) in [
			("limits.requests_per_second", u64::from(limits.requests_per_second)),
			("limits.burst", u64::from(limits.burst)),
			("limits.max_connections", limits.max_connections as u64),
			("limits.max_connections_per_address", limits.max_connections_per_address as u64),
			("reconcile_every_blocks", u64::from(config.reconcile_every_blocks)),
		] {
			if value == 0 {
				anyhow::bail!("{}: {name}: must be at least 1", path.display());
			}
		}
		if config.container.pids_limit < 16 {
			anyhow::bail!("{}: container.pids_limit: must be at least 16", path.display());
		}
		if !matches!(config.container.hypervisor.as_str(), "" | "qemu") {
			anyhow::bail!(
				"{}: container.hypervisor `{}`: empty (containers) or \"qemu\"",
				path.display(),
				config.container.hypervisor
			);
		}
		if config.report_interval_secs == 0 {
			anyhow::bail!("{}: report_interval_secs: must be at least 1", path.display());
		}
		Ok(config)
	}
}

/// `GRID_AGENT_KEY`'s value, removed from the environment: call it before any thread starts, so
/// nothing the agent runs later inherits the key.
pub fn take_key_variable() -> Option<String> {
	let key = std::env::var(KEY_VARIABLE).ok();
	std::env::remove_var(KEY_VARIABLE);
	key
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
# The node's secret URI: a BIP39 phrase, or //Name on a dev chain. This file must be readable by
# the agent alone (mode 0600: `grid-agent init` writes it so, and `run` refuses a looser mode).
# Or leave it empty and name a file holding it (also 0600):
# key_file = "/etc/grid-agent/key"
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
# Every this many finalized blocks (6 s each) every deployment is checked against its contract.
reconcile_every_blocks = 100
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
# "qemu": each VM boots as a virtual machine with its own kernel (QEMU, jailed in its container);
# needs qemu-system-x86, a kernel in /boot (linux-image-cloud-amd64), busybox-static and cpio.
# Empty: the VM's processes run in the container on the host's kernel.
hypervisor = ""
# With hypervisor = "qemu": "kvm" (needs /dev/kvm, mode 0666) or "tcg" (software emulation, slow).
accel = "kvm"
# With hypervisor = "qemu": the guests' kernel; empty takes the newest /boot/vmlinuz-*.
kernel = ""

# What one client may ask: signed requests a second per twin (after a burst), and connections
# open at once, in all and from one address.
[limits]
requests_per_second = 10
burst = 30
max_connections = 512
max_connections_per_address = 64

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

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	fn write(path: &Path, text: &str, mode: u32) {
		std::fs::write(path, text).unwrap();
		std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
	}

	#[test]
	fn a_config_or_key_file_others_may_read_is_refused_naming_the_chmod() {
		let dir = tempfile::tempdir().unwrap();
		let config = dir.path().join("agent.toml");
		let text = template(dir.path()).replace("key = \"\"", "key = \"//Bob\"");
		write(&config, &text, 0o644);
		let refused = Config::load(&config, None).unwrap_err().to_string();
		assert!(refused.contains(&format!("chmod 600 {}", config.display())), "{refused}");
		write(&config, &text, 0o600);
		assert_eq!(Config::load(&config, None).unwrap().key, "//Bob");

		let key = dir.path().join("key");
		write(&key, "//Charlie\n", 0o640);
		write(&config, &format!("key_file = \"{}\"\n{text}", key.display()), 0o600);
		let refused = Config::load(&config, None).unwrap_err().to_string();
		assert!(refused.contains("key_file") && refused.contains("chmod 600"), "{refused}");
		std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o400)).unwrap();
		assert_eq!(Config::load(&config, None).unwrap().key, "//Charlie");
		// The environment's key, when set, is the one used.
		assert_eq!(Config::load(&config, Some("//Dave".into())).unwrap().key, "//Dave");
	}

	#[test]
	fn the_key_variable_is_gone_from_the_environment_once_read() {
		std::env::set_var(KEY_VARIABLE, "//Eve");
		assert_eq!(take_key_variable().as_deref(), Some("//Eve"));
		assert!(std::env::var_os(KEY_VARIABLE).is_none());
		// A child started afterwards does not inherit it.
		let child = std::process::Command::new("env").output().unwrap();
		assert!(!String::from_utf8_lossy(&child.stdout).contains(KEY_VARIABLE));
	}

	#[test]
	fn a_zero_limit_is_refused_by_name() {
		let dir = tempfile::tempdir().unwrap();
		let config = dir.path().join("agent.toml");
		let text = template(dir.path())
			.replace("key = \"\"", "key = \"//Bob\"")
			.replace("burst = 30", "burst = 0");
		write(&config, &text, 0o600);
		let refused = Config::load(&config, None).unwrap_err().to_string();
		assert!(refused.contains("limits.burst: must be at least 1"), "{refused}");
	}
}
