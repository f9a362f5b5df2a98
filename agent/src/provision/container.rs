//! The `container` provisioner (SPEC §10): each `vm` workload runs its OCI image with Podman.
//!
//! What isolates a tenant, and where it is done:
//! - **Users**: every VM gets its own slice of 65,536 host uids and gids from the `containers`
//!   range of `/etc/subuid` and `/etc/subgid` (`--uidmap`/`--gidmap`), so container root is an
//!   unprivileged host uid that owns nothing of the farmer's or another tenant's.
//! - **Files**: the root filesystem is an ext4 filesystem of exactly `rootfs_size` on a loop
//!   device, the image copied into it and shifted to the VM's uids; each disk is an ext4
//!   filesystem of exactly its size. Both live under `data_dir/containers` (mode 0700) and are
//!   mounted only into their own VM's mount namespace.
//! - **Processes and limits**: PID, mount, IPC, UTS and network namespaces (Podman's defaults),
//!   `--cpus`, `--memory` (no swap) and `--pids-limit` cgroup limits, `no-new-privileges`,
//!   and Podman's default capability set (no `NET_ADMIN`: a tenant cannot change its addresses).
//! - **Environment**: Podman itself runs with an empty environment, so nothing of the agent's
//!   (its key included) can reach a container; the container gets the image's `Env` and the
//!   document's `env`, nothing else.
//! - **Network**: one Podman bridge network per deployment (`-o isolate=true`: no traffic to
//!   other deployments' networks), NAT to the outside; a VM with a public IP gets a veth pair,
//!   its host end enslaved to the configured public bridge, its other end `pub0` inside the VM
//!   with the contract's IP, and the default route through the contract's gateway.
//!
//! nru is read from the kernel: the byte counters of every interface in the VM's network
//! namespace (`/proc/PID/net/dev`), as differences from what the last report saw.

use super::{
	mark_all, public_ip_result,
	qemu::{self, Guest, Qemu},
	Provisioner,
};
use crate::{
	config::ContainerConfig,
	state::{Record, RunningVm},
};
use gridchain_sdk::{
	agent::{WorkloadResult, WorkloadState},
	deployment::{Deployment, VmData, WorkloadData},
};
use std::{
	collections::{BTreeMap, BTreeSet},
	path::{Path, PathBuf},
	process::{Command, Stdio},
};

/// A VM whose container exits this many times in a row is left in `error`.
const MAX_RESTARTS: u64 = 5;
/// A container that ran this long before it exited had a clean run.
const STABLE_SECS: u64 = 600;
/// Host uids (and gids) given to each VM.
const IDS_PER_VM: u64 = 65_536;
/// The labels that find a VM's container again.
const LABEL_AGENT: &str = "gridchain.agent";
const LABEL_CONTRACT: &str = "gridchain.contract";
const LABEL_WORKLOAD: &str = "gridchain.workload";
const LABEL_SLOT: &str = "gridchain.slot";
/// Open files a container may hold (kept under the host's hard limit).
const NOFILE: u64 = 8_192;
/// What a deployment's network may not reach: private, shared and link-local IPv4 networks.
const PRIVATE_NETWORKS: [&str; 5] =
	["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"];
/// Seconds a pull may take.
const PULL_TIMEOUT: &str = "600";
/// Where VMs' filesystems are mounted (a directory per agent prefix).
const MOUNTS: &str = "/run/gridchain-agent";
/// Held while a uid slot is chosen and its container created: agents on one host never share a
/// slot.
const SLOT_LOCK: &str = "/run/lock/gridchain-agent-slots.lock";

/// The host-wide slot lock, released on drop.
fn slot_lock() -> Result<nix::fcntl::Flock<std::fs::File>, String> {
	let _ = std::fs::create_dir_all("/run/lock");
	let file = std::fs::OpenOptions::new()
		.create(true)
		.truncate(false)
		.write(true)
		.open(SLOT_LOCK)
		.map_err(|e| format!("cannot open {SLOT_LOCK}: {e}"))?;
	nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
		.map_err(|(_, e)| format!("cannot lock {SLOT_LOCK}: {e}"))
}

/// The `containers` range of `/etc/subuid` (or `/etc/subgid`): (first id, count).
fn subid_range(file: &str) -> Result<(u64, u64), String> {
	let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
	for line in text.lines() {
		let mut parts = line.trim().split(':');
		if let (Some("containers"), Some(start), Some(count)) =
			(parts.next(), parts.next(), parts.next())
		{
			if let (Ok(start), Ok(count)) = (start.parse::<u64>(), count.parse::<u64>()) {
				if count >= IDS_PER_VM {
					return Ok((start, count));
				}
			}
		}
	}
	Err(format!(
		"{file} has no `containers` range of at least {IDS_PER_VM} ids (add e.g. `containers:2147483647:2147483648`)"
	))
}

/// The only environment the tools the agent runs get: never the agent's own (its key).
const SEARCH_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A command line tool's output, or why it failed (its stderr).
pub(super) fn run(program: &str, args: &[&str]) -> Result<String, String> {
	let output = Command::new(program)
		.args(args)
		.env_clear()
		.env("PATH", SEARCH_PATH)
		.stdin(Stdio::null())
		.output()
		.map_err(|e| format!("cannot run {program}: {e}"))?;
	if output.status.success() {
		Ok(String::from_utf8_lossy(&output.stdout).into_owned())
	} else {
		let stderr = String::from_utf8_lossy(&output.stderr);
		let reason = stderr
			.lines()
			.filter(|l| !l.contains("failed to connect to syslog"))
			.collect::<Vec<_>>()
			.join("; ");
		// Name the subcommand (`podman run`), not a global option.
		let mut words = args.iter().copied();
		let mut what = "";
		while let Some(word) = words.next() {
			if word == "--runtime" {
				words.next();
			} else if !word.starts_with('-') {
				what = word;
				break;
			}
		}
		Err(format!("{program} {what}: {}", reason.trim()))
	}
}

/// Mount points currently mounted (second field of `/proc/self/mounts`).
fn mounted() -> BTreeSet<PathBuf> {
	std::fs::read_to_string("/proc/self/mounts")
		.unwrap_or_default()
		.lines()
		.filter_map(|l| l.split_whitespace().nth(1))
		.map(|p| PathBuf::from(p.replace("\\040", " ")))
		.collect()
}

/// A file of `size` bytes with its blocks allocated, so the node's disk cannot fill up behind
/// the capacity it promised (sparse where the filesystem cannot allocate ahead). An existing
/// file keeps its data and only grows.
fn preallocate(path: &Path, size: u64) -> Result<(), String> {
	let file = std::fs::OpenOptions::new()
		.create(true)
		.write(true)
		.truncate(false)
		.open(path)
		.map_err(|e| format!("cannot create {}: {e}", path.display()))?;
	let len = i64::try_from(size).map_err(|_| "the size is too large".to_string())?;
	match nix::fcntl::fallocate(&file, nix::fcntl::FallocateFlags::empty(), 0, len) {
		Ok(()) => Ok(()),
		Err(nix::errno::Errno::EOPNOTSUPP) => file.set_len(size).map_err(|e| e.to_string()),
		Err(e) => Err(format!("cannot allocate {size} bytes: {e}")),
	}
}

/// Give every file under `root` to the VM's ids: host id = `base` + container id.
fn shift_ownership(root: &Path, base: u64) -> Result<(), String> {
	let shift = |id: u32| -> u32 {
		// Ids the VM does not have become its `nobody` (65534), never a host id.
		let id = if u64::from(id) < IDS_PER_VM { u64::from(id) } else { 65_534 };
		u32::try_from(base.saturating_add(id)).unwrap_or(u32::MAX)
	};
	let mut pending = vec![root.to_path_buf()];
	while let Some(path) = pending.pop() {
		let meta = std::fs::symlink_metadata(&path)
			.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
		use std::os::unix::fs::MetadataExt;
		std::os::unix::fs::lchown(&path, Some(shift(meta.uid())), Some(shift(meta.gid())))
			.map_err(|e| format!("cannot chown {}: {e}", path.display()))?;
		// chown clears set-id bits; put the mode back (symlinks have none).
		if !meta.file_type().is_symlink() {
			use std::os::unix::fs::PermissionsExt;
			let _ = std::fs::set_permissions(
				&path,
				std::fs::Permissions::from_mode(meta.mode() & 0o7777),
			);
		}
		if meta.is_dir() {
			for entry in std::fs::read_dir(&path)
				.map_err(|e| format!("cannot list {}: {e}", path.display()))?
			{
				pending.push(entry.map_err(|e| e.to_string())?.path());
			}
		}
	}
	Ok(())
}

/// An image reference the node may use: `[registry/]path[:tag][@digest]`, nothing Podman would
/// read as an option or a transport (`dir:`, `oci-archive:`, …: host paths), and no registry on
/// the node itself or its private networks.
fn check_image(image: &str) -> Result<(), String> {
	let bad = |why: &str| Err(format!("image `{image}`: {why}"));
	if image.is_empty() || image.len() > 255 {
		return bad("must be 1 to 255 characters");
	}
	if image.starts_with(['-', '/', '.', ':']) {
		return bad("must start with a registry or a name");
	}
	if !image.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c)) {
		return bad("may hold only letters, digits and . _ - / : @");
	}
	if image.contains("://") || image.contains("//") {
		return bad("must be a registry reference, not a URL");
	}
	let first = image.split('/').next().unwrap_or("");
	const TRANSPORTS: [&str; 10] = [
		"dir",
		"oci",
		"oci-archive",
		"docker-archive",
		"docker-daemon",
		"containers-storage",
		"docker",
		"ostree",
		"sif",
		"tarball",
	];
	if let Some((transport, _)) = image.split_once(':') {
		if TRANSPORTS.contains(&transport) {
			return bad("names a transport; only registry references are accepted");
		}
	}
	// The first component is a registry when it has a dot or a port, or is localhost.
	let registry =
		image.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
	if registry {
		let host = first.split(':').next().unwrap_or(first);
		if let Some(port) = first.split(':').nth(1) {
			if port.parse::<u16>().is_err() {
				return bad("the registry's port is not a number");
			}
			if host == "localhost" {
				return bad("a registry on the node itself is not used");
			}
		}
		if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
			if ip.is_loopback() || ip.is_private() || ip.is_link_local() || ip.is_unspecified() {
				return bad("a registry on a loopback, private or link-local address is not used");
			}
		}
	}
	Ok(())
}

/// The MAC address of a public interface: locally administered, `02:00` and the four bytes of
/// its IPv4 address (`185.206.122.33/24` → `02:00:b9:ce:7a:21`).
fn public_mac(address: &str) -> Result<String, String> {
	let ip: std::net::Ipv4Addr = address
		.split('/')
		.next()
		.unwrap_or(address)
		.parse()
		.map_err(|_| format!("public IP `{address}` is not an IPv4 address"))?;
	let [a, b, c, d] = ip.octets();
	Ok(format!("02:00:{a:02x}:{b:02x}:{c:02x}:{d:02x}"))
}

/// A mount point inside the VM: absolute, no `..`, nothing Podman's option syntax reads.
fn check_mount_point(point: &str) -> Result<(), String> {
	let ok = point.starts_with('/')
		&& point != "/"
		&& !point.split('/').any(|c| c == "..")
		&& !point.contains([',', ':', '\0']);
	if ok {
		Ok(())
	} else {
		Err(format!(
			"mount_point `{point}`: must be an absolute path other than / without `..`, `,` or `:`"
		))
	}
}

/// Total bytes (received + sent) per interface of a process's network namespace, loopback left
/// out.
fn interface_bytes(pid: u32) -> BTreeMap<String, u64> {
	parse_net_dev(&std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default())
}

/// The format of `/proc/net/dev`: two header lines, then `name: 8 receive and 8 send counters`.
fn parse_net_dev(text: &str) -> BTreeMap<String, u64> {
	text.lines()
		.skip(2)
		.filter_map(|line| {
			let (name, counters) = line.split_once(':')?;
			let name = name.trim();
			if name == "lo" {
				return None;
			}
			let fields: Vec<u64> =
				counters.split_whitespace().filter_map(|f| f.parse().ok()).collect();
			// Field 0 is bytes received, field 8 bytes sent.
			let bytes = fields.first()?.saturating_add(*fields.get(8)?);
			Some((name.to_string(), bytes))
		})
		.collect()
}

/// How many times the kernel's OOM killer killed a process of container `id` (its log names the
/// memory cgroup, which carries the container id).
fn oom_kills(id: &str) -> u64 {
	if id.is_empty() {
		return 0;
	}
	run("dmesg", &[])
		.map(|log| log.lines().filter(|l| l.contains("oom-kill:") && l.contains(id)).count() as u64)
		.unwrap_or(0)
}

/// What Podman says of a container.
#[derive(Clone)]
struct Inspected {
	status: String,
	pid: u32,
	oom_killed: bool,
	exit_code: i64,
}

/// What a VM's container may use.
struct Limits {
	cpu: u32,
	memory: u64,
	pids: u64,
}

pub struct ContainerProvisioner {
	/// Disk and root filesystem images, by contract (root's alone).
	dir: PathBuf,
	/// Where they are mounted for Podman, by contract and VM: each VM's directory belongs to its
	/// own uid (mode 0700), so its user namespace can reach it and nobody else can.
	mounts: PathBuf,
	/// Names this agent's containers and networks, and labels them.
	prefix: String,
	runtime: Option<String>,
	public_interface: String,
	pids_limit: u64,
	/// The `containers` id range: (first id, count), the same for uids and gids.
	ids: (u64, u64),
	/// The state of this agent's containers by id, from one `podman ps` (at most a second old):
	/// supervising and reporting ask for many containers at once.
	snapshot: std::sync::Mutex<Option<(std::time::Instant, BTreeMap<String, Inspected>)>>,
	/// With `hypervisor = "qemu"`: each VM boots as a guest, its container runs QEMU.
	qemu: Option<Qemu>,
}

impl ContainerProvisioner {
	/// Check that this machine can isolate tenants with Podman; the reasons when it cannot.
	pub fn new(data_dir: &Path, config: &ContainerConfig) -> anyhow::Result<ContainerProvisioner> {
		let mut problems = Vec::new();
		if !nix::unistd::geteuid().is_root() {
			problems.push("the container provisioner runs as root (it mounts disks and moves network interfaces)".to_string());
		}
		for tool in [
			"podman",
			"ip",
			"nsenter",
			"mkfs.ext4",
			"resize2fs",
			"e2fsck",
			"mount",
			"iptables",
			"dmesg",
			"timeout",
		] {
			if run("sh", &["-c", &format!("command -v {tool}")]).is_err() {
				problems.push(format!("`{tool}` is not installed"));
			}
		}
		let runtime = match config.runtime.as_str() {
			"" if Path::new("/sys/fs/cgroup/unified").is_dir()
				&& Path::new("/sys/fs/cgroup/memory").is_dir() =>
			{
				Some("runc".to_string())
			}
			"" => None,
			other => Some(other.to_string()),
		};
		if let Some(runtime) = &runtime {
			if run("sh", &["-c", &format!("command -v {runtime}")]).is_err() {
				problems.push(format!("the OCI runtime `{runtime}` is not installed (hybrid cgroups need runc: crun refuses them)"));
			}
		}
		let uids = subid_range("/etc/subuid");
		let gids = subid_range("/etc/subgid");
		let ids = match (uids, gids) {
			(Ok(u), Ok(g)) if u == g => u,
			(Ok(_), Ok(_)) => {
				problems
					.push("the `containers` ranges of /etc/subuid and /etc/subgid differ".into());
				(0, 0)
			}
			(u, g) => {
				problems.extend(u.err());
				problems.extend(g.err());
				(0, 0)
			}
		};
		if !Path::new("/dev/loop-control").exists() {
			problems.push("no loop devices (/dev/loop-control): disks cannot be mounted".into());
		}
		if !config.public_interface.is_empty()
			&& !Path::new("/sys/class/net").join(&config.public_interface).join("bridge").is_dir()
		{
			problems.push(format!(
				"container.public_interface: `{}` is not a bridge (put the node's public NIC in a bridge and name the bridge)",
				config.public_interface
			));
		}
		let prefix_ok = !config.prefix.is_empty()
			&& config.prefix.len() <= 20
			&& config
				.prefix
				.chars()
				.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
		if !prefix_ok {
			problems
				.push(format!("container.prefix `{}`: 1 to 20 of a-z, 0-9 and -", config.prefix));
		}
		let qemu = match config.hypervisor.as_str() {
			"qemu" => Qemu::prepare(
				&config.accel,
				&config.kernel,
				&Path::new(MOUNTS).join(&config.prefix).join("qemu"),
				&mut problems,
			),
			_ => None,
		};
		let provisioner = ContainerProvisioner {
			qemu,
			dir: data_dir.join("containers"),
			mounts: Path::new(MOUNTS).join(&config.prefix),
			prefix: config.prefix.clone(),
			runtime,
			public_interface: config.public_interface.clone(),
			pids_limit: config.pids_limit,
			ids,
			snapshot: std::sync::Mutex::new(None),
		};
		if problems.is_empty() {
			if let Err(e) = provisioner.podman(&["info", "--format", "json"]) {
				problems.push(format!("Podman does not work here: {e}"));
			}
		}
		if !problems.is_empty() {
			anyhow::bail!(
				"the container provisioner cannot isolate tenants on this machine, so the agent does not start: {}",
				problems.join("; ")
			);
		}
		std::fs::create_dir_all(&provisioner.dir)?;
		std::fs::create_dir_all(&provisioner.mounts)?;
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(data_dir, std::fs::Permissions::from_mode(0o700))?;
		std::fs::set_permissions(&provisioner.dir, std::fs::Permissions::from_mode(0o700))?;
		// Traversable, not listable: a VM's user namespace passes through to its own directory.
		for dir in [Path::new(MOUNTS), provisioner.mounts.as_path()] {
			std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711))?;
		}
		Ok(provisioner)
	}

	fn podman(&self, args: &[&str]) -> Result<String, String> {
		let mut all = Vec::with_capacity(args.len() + 2);
		if let Some(runtime) = &self.runtime {
			all.extend(["--runtime", runtime.as_str()]);
		}
		all.extend_from_slice(args);
		run("podman", &all)
	}

	fn network(&self, contract_id: u64) -> String {
		format!("{}-{contract_id}", self.prefix)
	}

	fn container_name(&self, contract_id: u64, name: &str) -> String {
		format!("{}-{contract_id}-{name}", self.prefix)
	}

	fn contract_dir(&self, contract_id: u64) -> PathBuf {
		self.dir.join(contract_id.to_string())
	}

	fn disk_file(&self, contract_id: u64, name: &str) -> PathBuf {
		self.contract_dir(contract_id).join(format!("disk-{name}.img"))
	}

	fn mount_dir(&self, contract_id: u64) -> PathBuf {
		self.mounts.join(contract_id.to_string())
	}

	/// A VM's own directory: its root filesystem, the disks it mounts, its authorized_keys.
	fn vm_dir(&self, contract_id: u64, name: &str) -> PathBuf {
		self.mount_dir(contract_id).join(format!("vm-{name}"))
	}

	fn disk_mount(&self, contract_id: u64, vm: &str, disk: &str) -> PathBuf {
		self.vm_dir(contract_id, vm).join(format!("disk-{disk}"))
	}

	/// Create the VM's directory, owned by its uid `base`, mode 0700.
	fn prepare_vm_dir(&self, contract_id: u64, name: &str, base: u64) -> Result<(), String> {
		let contract = self.mount_dir(contract_id);
		let dir = self.vm_dir(contract_id, name);
		std::fs::create_dir_all(&dir)
			.map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
		use std::os::unix::fs::PermissionsExt;
		let owner = u32::try_from(base).map_err(|_| "uid out of range".to_string())?;
		std::fs::set_permissions(&contract, std::fs::Permissions::from_mode(0o711))
			.and_then(|()| std::os::unix::fs::chown(&dir, Some(owner), Some(owner)))
			.and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
			.map_err(|e| format!("cannot prepare {}: {e}", dir.display()))
	}

	/// Mount a disk of the deployment into a VM's directory, its files the VM's.
	fn mount_disk(
		&self,
		contract_id: u64,
		vm: &str,
		disk: &str,
		base: u64,
	) -> Result<PathBuf, String> {
		let at = self.disk_mount(contract_id, vm, disk);
		Self::mount(&self.disk_file(contract_id, disk), &at)?;
		let owner = u32::try_from(base).map_err(|_| "uid out of range".to_string())?;
		std::os::unix::fs::chown(&at, Some(owner), Some(owner))
			.map_err(|e| format!("disk `{disk}`: cannot hand it to the VM: {e}"))?;
		Ok(at)
	}

	/// Unmount everything under `dir`, then remove it; never while something is still mounted
	/// there (that would delete a tenant's files).
	fn remove_unmounted(dir: &Path) {
		Self::unmount_under(dir);
		if mounted().iter().any(|m| m.starts_with(dir)) {
			tracing::warn!(dir = %dir.display(), "still mounted after umount; left in place");
			return;
		}
		let _ = std::fs::remove_dir_all(dir);
	}

	/// Unmount everything under `dir`, deepest first.
	fn unmount_under(dir: &Path) {
		let mut inside: Vec<PathBuf> =
			mounted().into_iter().filter(|m| m.starts_with(dir)).collect();
		inside.sort_by_key(|m| std::cmp::Reverse(m.components().count()));
		for at in inside {
			Self::unmount(&at);
		}
	}

	fn rootfs_file(&self, contract_id: u64, name: &str) -> PathBuf {
		self.contract_dir(contract_id).join(format!("vm-{name}.img"))
	}

	fn rootfs_mount(&self, contract_id: u64, name: &str) -> PathBuf {
		self.vm_dir(contract_id, name).join("root")
	}

	/// The host's end of a VM's public interface.
	fn public_veth(slot: u64) -> (String, String) {
		(format!("gcp{slot:x}"), format!("gcq{slot:x}"))
	}

	/// The first host id of a slot.
	fn base(&self, slot: u64) -> u64 {
		self.ids.0.saturating_add(slot.saturating_mul(IDS_PER_VM))
	}

	/// The containers of this agent (all, or one contract's), as Podman lists them (JSON).
	fn containers(&self, contract_id: Option<u64>) -> Result<Vec<serde_json::Value>, String> {
		let agent = format!("label={LABEL_AGENT}={}", self.prefix);
		let contract = match contract_id {
			Some(id) => format!("label={LABEL_CONTRACT}={id}"),
			None => format!("label={LABEL_CONTRACT}"),
		};
		self.list(&["--filter", &agent, "--filter", &contract])
	}

	fn list(&self, filters: &[&str]) -> Result<Vec<serde_json::Value>, String> {
		let mut args = vec!["ps", "-a", "--format", "json"];
		args.extend_from_slice(filters);
		let out = self.podman(&args)?;
		let list: serde_json::Value =
			serde_json::from_str(&out).map_err(|e| format!("podman ps: {e}"))?;
		Ok(list.as_array().cloned().unwrap_or_default())
	}

	/// A slot no container on this host uses (call with the slot lock held).
	fn free_slot(&self, taken_here: &[u64], preferred: Option<u64>) -> Result<u64, String> {
		let mut taken: BTreeSet<u64> = taken_here.iter().copied().collect();
		for c in self.list(&["--filter", &format!("label={LABEL_SLOT}")])? {
			if let Some(slot) = c["Labels"][LABEL_SLOT].as_str().and_then(|s| s.parse().ok()) {
				taken.insert(slot);
			}
		}
		let slots = self.ids.1 / IDS_PER_VM;
		// A VM keeps its uids across updates, so its files on its disks stay its own.
		if let Some(slot) = preferred.filter(|s| *s < slots && !taken.contains(s)) {
			return Ok(slot);
		}
		(0..slots)
			.find(|s| !taken.contains(s))
			.ok_or_else(|| "every uid range of the node is in use".to_string())
	}

	/// A container's state from the snapshot (refreshed when older than a second); OOM kills are
	/// only known to `inspect`.
	fn state(&self, container: &str) -> Option<Inspected> {
		let Ok(mut snapshot) = self.snapshot.lock() else { return self.inspect(container) };
		let fresh = snapshot.as_ref().is_some_and(|(at, _)| at.elapsed().as_secs() < 1);
		if !fresh {
			let list = self.containers(None).ok()?;
			let states = list
				.iter()
				.filter_map(|c| {
					let id = c["Id"].as_str()?.to_string();
					let state = Inspected {
						status: c["State"].as_str().unwrap_or("").to_string(),
						pid: c["Pid"].as_u64().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
						oom_killed: false,
						exit_code: c["ExitCode"].as_i64().unwrap_or(0),
					};
					Some((id, state))
				})
				.collect();
			*snapshot = Some((std::time::Instant::now(), states));
		}
		snapshot.as_ref().and_then(|(_, states)| states.get(container).cloned())
	}

	/// Forget the snapshot after changing containers.
	fn changed(&self) {
		if let Ok(mut snapshot) = self.snapshot.lock() {
			*snapshot = None;
		}
	}

	fn inspect(&self, container: &str) -> Option<Inspected> {
		let out = self.podman(&["container", "inspect", "--format", "json", container]).ok()?;
		let list: serde_json::Value = serde_json::from_str(&out).ok()?;
		let c = list.get(0)?;
		Some(Inspected {
			status: c["State"]["Status"].as_str().unwrap_or("").to_string(),
			pid: c["State"]["Pid"].as_u64().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
			oom_killed: c["State"]["OOMKilled"].as_bool().unwrap_or(false),
			exit_code: c["State"]["ExitCode"].as_i64().unwrap_or(0),
		})
	}

	fn mount(image: &Path, at: &Path) -> Result<(), String> {
		if mounted().contains(at) {
			return Ok(());
		}
		std::fs::create_dir_all(at).map_err(|e| format!("cannot create {}: {e}", at.display()))?;
		let (image, at) = (image.to_string_lossy(), at.to_string_lossy());
		run("mount", &["-o", "loop,nodev", &image, &at]).map(drop)
	}

	fn unmount(at: &Path) {
		if mounted().contains(at) {
			let at = at.to_string_lossy();
			if run("umount", &[&at]).is_err() {
				let _ = run("umount", &["-l", &at]);
			}
		}
	}

	/// A disk: an ext4 filesystem of exactly `size` bytes (grown, never shrunk, on update; call
	/// it unmounted), mounted later by the VM that uses it.
	fn make_disk(&self, contract_id: u64, name: &str, size: u64) -> Result<(), String> {
		let file = self.disk_file(contract_id, name);
		let old = std::fs::metadata(&file).map(|m| m.len()).ok();
		let path = file.to_string_lossy().to_string();
		match old {
			None => {
				preallocate(&file, size)?;
				if let Err(e) = run("mkfs.ext4", &["-q", "-F", "-m", "0", &path]) {
					let _ = std::fs::remove_file(&file);
					return Err(e);
				}
			}
			Some(old) if old < size => {
				preallocate(&file, size)?;
				// e2fsck exits 1 when it fixed something; resize2fs says what is wrong.
				let _ = run("e2fsck", &["-f", "-p", &path]);
				run("resize2fs", &[&path])?;
			}
			Some(_) => {}
		}
		use std::os::unix::fs::PermissionsExt;
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
			.map_err(|e| format!("cannot protect {}: {e}", file.display()))
	}

	/// The VM's root filesystem: an ext4 filesystem of `rootfs_size` holding the image, owned by
	/// the VM's ids. Returns the image's (command, env, workdir).
	fn make_rootfs(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		base: u64,
	) -> Result<(Vec<String>, Vec<String>, String), String> {
		check_image(&vm.image)?;
		if self.podman(&["image", "exists", &vm.image]).is_err() {
			if vm.image.starts_with("localhost/") {
				return Err(format!(
					"image `{}`: there is no such local image on this node",
					vm.image
				));
			}
			let reference = format!("docker://{}", vm.image);
			let auth = self.dir.join("no-credentials.json");
			std::fs::write(&auth, "{}")
				.map_err(|e| format!("cannot write {}: {e}", auth.display()))?;
			let auth = auth.to_string_lossy();
			let mut args = vec!["--kill-after=10", PULL_TIMEOUT, "podman"];
			if let Some(runtime) = &self.runtime {
				args.extend(["--runtime", runtime.as_str()]);
			}
			args.extend(["pull", "--quiet", "--authfile", &auth, &reference]);
			run("timeout", &args).map_err(|e| {
				format!("image `{}`: cannot pull it (within {PULL_TIMEOUT} s): {e}", vm.image)
			})?;
		}
		let inspect = self.podman(&["image", "inspect", "--format", "json", &vm.image])?;
		let inspect: serde_json::Value =
			serde_json::from_str(&inspect).map_err(|e| format!("podman image inspect: {e}"))?;
		let config = &inspect[0]["Config"];
		let strings = |v: &serde_json::Value| -> Vec<String> {
			v.as_array()
				.map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
				.unwrap_or_default()
		};
		let mut command = strings(&config["Entrypoint"]);
		command.extend(strings(&config["Cmd"]));
		let env = strings(&config["Env"]);
		let workdir = config["WorkingDir"].as_str().unwrap_or("").to_string();

		let file = self.rootfs_file(contract_id, name);
		let at = self.rootfs_mount(contract_id, name);
		Self::unmount_under(&self.vm_dir(contract_id, name));
		let _ = std::fs::remove_file(&file);
		self.prepare_vm_dir(contract_id, name, base)?;
		// Thin: blocks are taken as the VM writes, up to `rootfs_size` (disks are allocated ahead).
		use std::os::unix::fs::PermissionsExt;
		std::fs::File::create(&file)
			.and_then(|f| f.set_len(vm.rootfs_size))
			.and_then(|()| std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)))
			.map_err(|e| format!("cannot create {}: {e}", file.display()))?;
		run("mkfs.ext4", &["-q", "-F", "-m", "0", &file.to_string_lossy()])?;
		Self::mount(&file, &at)?;
		let source = self.podman(&["image", "mount", &vm.image])?;
		let copied =
			run("cp", &["-a", &format!("{}/.", source.trim()), &format!("{}/", at.display())]);
		let _ = self.podman(&["image", "unmount", &vm.image]);
		copied.map_err(|e| {
			format!("the image does not fit in rootfs_size ({} bytes): {e}", vm.rootfs_size)
		})?;
		// A guest's kernel owns its files with the image's own ids.
		if self.qemu.is_none() {
			shift_ownership(&at, base)?;
		}
		Ok((command, env, workdir))
	}

	/// Create and start a VM's container; returns what the record keeps of it.
	fn start_vm(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		record: &Record,
		slot: u64,
	) -> Result<RunningVm, String> {
		if let Some(qemu) = &self.qemu {
			return self.start_guest(qemu, contract_id, name, vm, record, slot);
		}
		let base = self.base(slot);
		let (image_command, image_env, workdir) = self.make_rootfs(contract_id, name, vm, base)?;
		let command = Self::command_of(vm, image_command)?;
		let network = self.deployment_network(contract_id)?;
		let rootfs = self.rootfs_mount(contract_id, name);
		let limits = Limits { cpu: vm.cpu, memory: vm.memory, pids: self.pids_limit };
		let mut args = self.run_args(contract_id, name, slot, &limits, network);
		if !workdir.is_empty() {
			args.extend(["--workdir".into(), workdir]);
		}
		if !vm.ssh_keys.is_empty() {
			// A file of the agent's, bind-mounted read-only: Podman resolves the destination
			// inside the root filesystem, so an image whose /root is a symlink cannot make the
			// agent write anywhere on the host.
			let keys = self.vm_dir(contract_id, name).join("authorized_keys");
			std::fs::write(&keys, vm.ssh_keys.join("\n") + "\n")
				.map_err(|e| format!("ssh_keys: cannot write them: {e}"))?;
			let owner = u32::try_from(base).map_err(|_| "uid out of range".to_string())?;
			std::os::unix::fs::chown(&keys, Some(owner), Some(owner))
				.map_err(|e| format!("ssh_keys: {e}"))?;
			use std::os::unix::fs::PermissionsExt;
			std::fs::set_permissions(&keys, std::fs::Permissions::from_mode(0o600))
				.map_err(|e| format!("ssh_keys: {e}"))?;
			args.extend([
				"--mount".into(),
				format!(
					"type=bind,source={},destination=/root/.ssh/authorized_keys,ro=true",
					keys.display()
				),
			]);
		}
		for e in image_env {
			args.extend(["--env".into(), e]);
		}
		for (k, v) in &vm.env {
			args.extend(["--env".into(), format!("{k}={v}")]);
		}
		for mount in &vm.mounts {
			check_mount_point(&mount.mount_point)?;
			let at = self.mount_disk(contract_id, name, &mount.disk, base)?;
			args.extend([
				"--mount".into(),
				format!(
					"type=bind,source={},destination={},rw=true",
					at.display(),
					mount.mount_point
				),
			]);
		}
		args.extend(["--rootfs".into(), rootfs.to_string_lossy().into_owned()]);
		args.extend(command);
		self.launch(contract_id, name, vm, record, slot, &args)
	}

	/// The `podman run` arguments every VM's container has: its name and labels, its uids, its
	/// limits, its network. What runs in it comes after.
	fn run_args(
		&self,
		contract_id: u64,
		name: &str,
		slot: u64,
		limits: &Limits,
		network: String,
	) -> Vec<String> {
		let base = self.base(slot);
		let container = self.container_name(contract_id, name);
		let _ = self.podman(&["rm", "-f", "-t", "0", &container]);
		vec![
			"run".into(),
			"-d".into(),
			"--name".into(),
			container,
			"--label".into(),
			format!("{LABEL_AGENT}={}", self.prefix),
			"--label".into(),
			format!("{LABEL_CONTRACT}={contract_id}"),
			"--label".into(),
			format!("{LABEL_WORKLOAD}={name}"),
			"--label".into(),
			format!("{LABEL_SLOT}={slot}"),
			"--uidmap".into(),
			format!("0:{base}:{IDS_PER_VM}"),
			"--gidmap".into(),
			format!("0:{base}:{IDS_PER_VM}"),
			"--cpus".into(),
			limits.cpu.to_string(),
			"--memory".into(),
			limits.memory.to_string(),
			"--memory-swap".into(),
			limits.memory.to_string(),
			"--pids-limit".into(),
			limits.pids.to_string(),
			"--ulimit".into(),
			format!("nofile={NOFILE}:{NOFILE}"),
			"--ulimit".into(),
			// A second guard behind the cgroup's PID limit, which holds first.
			format!("nproc={0}:{0}", limits.pids.saturating_mul(2)),
			"--security-opt".into(),
			"no-new-privileges".into(),
			"--network".into(),
			network,
			"--hostname".into(),
			name.to_string(),
			"--log-opt".into(),
			"max-size=10mb".into(),
		]
	}

	/// `podman run ARGS`, then the public interface (and a guest's taps); what the record keeps.
	fn launch(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		record: &Record,
		slot: u64,
		args: &[String],
	) -> Result<RunningVm, String> {
		let refs: Vec<&str> = args.iter().map(String::as_str).collect();
		let id = self.podman(&refs);
		self.changed();
		let id = id?.trim().to_string();
		let running = RunningVm {
			name: name.to_string(),
			container: id,
			slot,
			started_at: gridchain_sdk::agent::now_secs(),
			pid: 0,
			net_seen: BTreeMap::new(),
		};
		self.connect_public(contract_id, vm, record, running)
	}

	/// The workload's command: its `entrypoint`, or the image's.
	fn command_of(vm: &VmData, image_command: Vec<String>) -> Result<Vec<String>, String> {
		let command = if vm.entrypoint.trim().is_empty() {
			image_command
		} else {
			shell_words::split(&vm.entrypoint).map_err(|e| format!("entrypoint: {e}"))?
		};
		if command.is_empty() {
			return Err("entrypoint: empty, and the image names no command".into());
		}
		Ok(command)
	}

	/// The deployment's network, created and fenced if it is not there yet; its name.
	fn deployment_network(&self, contract_id: u64) -> Result<String, String> {
		let network = self.network(contract_id);
		if self.podman(&["network", "exists", &network]).is_err() {
			self.podman(&[
				"network",
				"create",
				"-o",
				"isolate=true",
				"--label",
				&format!("{LABEL_AGENT}={}", self.prefix),
				&network,
			])?;
		}
		self.fence(&network)?;
		Ok(network)
	}

	/// The `(address, gateway)` of the contract's public IP for `vm`, or why there is none.
	fn public_address(&self, vm: &VmData, record: &Record) -> Result<(String, String), String> {
		if self.public_interface.is_empty() {
			return Err("public_ip: this node has no public interface (container.public_interface in the agent's config)".into());
		}
		let ip = public_ip_result(record, &vm.public_ip);
		let (Some(address), Some(gateway)) = (ip.data["ip"].as_str(), ip.data["gateway"].as_str())
		else {
			return Err(format!(
				"public_ip `{}`: the contract reserved no IP for it",
				vm.public_ip
			));
		};
		let gateway = gateway.split('/').next().unwrap_or(gateway);
		Ok((address.to_string(), gateway.to_string()))
	}

	/// Bind-mount the image file `file` (a root filesystem or a disk) at `at` in a VM's
	/// directory, both owned by the VM's root `base`: its QEMU opens it from there, and nothing
	/// mounts its filesystem on the host meanwhile.
	fn attach_image(file: &Path, at: &Path, base: u64) -> Result<(), String> {
		let owner = u32::try_from(base).map_err(|_| "uid out of range".to_string())?;
		std::os::unix::fs::chown(file, Some(owner), Some(owner))
			.map_err(|e| format!("cannot hand {} to the VM: {e}", file.display()))?;
		if mounted().contains(at) {
			return Ok(());
		}
		std::fs::OpenOptions::new()
			.create(true)
			.truncate(false)
			.write(true)
			.open(at)
			.map_err(|e| format!("cannot create {}: {e}", at.display()))?;
		std::os::unix::fs::chown(at, Some(owner), Some(owner))
			.map_err(|e| format!("cannot hand {} to the VM: {e}", at.display()))?;
		run("mount", &["--bind", &file.to_string_lossy(), &at.to_string_lossy()]).map(drop)
	}

	/// A guest's root filesystem and disks, attached in its directory.
	fn attach_images(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		base: u64,
	) -> Result<(), String> {
		let dir = self.vm_dir(contract_id, name);
		Self::attach_image(&self.rootfs_file(contract_id, name), &dir.join("root.img"), base)?;
		for mount in &vm.mounts {
			Self::attach_image(
				&self.disk_file(contract_id, &mount.disk),
				&dir.join(format!("disk-{}.img", mount.disk)),
				base,
			)?;
		}
		Ok(())
	}

	/// Boot `vm` as a guest: its image's filesystem told what to run, its disks attached, and a
	/// container running QEMU (SPEC §10, `hypervisor = "qemu"`).
	fn start_guest(
		&self,
		qemu: &Qemu,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		record: &Record,
		slot: u64,
	) -> Result<RunningVm, String> {
		let base = self.base(slot);
		let public = if vm.public_ip.is_empty() {
			None
		} else {
			let (address, gateway) = self.public_address(vm, record)?;
			let mac = public_mac(&address)?;
			Some((address, gateway, mac))
		};
		for mount in &vm.mounts {
			check_mount_point(&mount.mount_point)?;
		}
		let network = self.deployment_network(contract_id)?;
		let (subnet, dns) = self.network_subnet(&network)?;
		let (image_command, image_env, workdir) = self.make_rootfs(contract_id, name, vm, base)?;
		let root = self.rootfs_mount(contract_id, name);
		let written = Self::command_of(vm, image_command).and_then(|command| {
			let mut env = image_env;
			env.extend(vm.env.iter().map(|(k, v)| format!("{k}={v}")));
			Qemu::write_guest(
				&root,
				&Guest {
					hostname: name,
					dns: &dns,
					subnet: &subnet,
					public: public.clone(),
					mounts: vm
						.mounts
						.iter()
						.map(|m| (m.disk.clone(), m.mount_point.clone()))
						.collect(),
					env,
					command,
					workdir: if workdir.is_empty() { "/".into() } else { workdir },
					ssh_keys: &vm.ssh_keys,
				},
			)
		});
		Self::unmount(&root);
		written?;
		self.attach_images(contract_id, name, vm, base)?;
		let dir = self.vm_dir(contract_id, name);
		let _ = std::fs::remove_file(dir.join(qemu::WIRED));

		let limits = Limits {
			cpu: vm.cpu,
			memory: vm.memory.saturating_add(qemu::OVERHEAD),
			pids: qemu::PIDS,
		};
		let mut args = self.run_args(contract_id, name, slot, &limits, network);
		// QEMU opens its taps (made and owned for it by the agent) through the tun device.
		args.extend(["--device".into(), "/dev/net/tun".into()]);
		if qemu.accel == "kvm" {
			args.extend(["--device".into(), "/dev/kvm".into()]);
		}
		for mount in qemu.mounts(&dir) {
			args.extend(["--mount".into(), mount]);
		}
		args.extend(["--rootfs".into(), qemu.root().to_string_lossy().into_owned()]);
		let disks: Vec<String> = vm.mounts.iter().map(|m| m.disk.clone()).collect();
		args.extend(qemu.command(
			vm.cpu,
			vm.memory,
			&disks,
			public.as_ref().map(|(_, _, mac)| mac.as_str()),
		));
		self.launch(contract_id, name, vm, record, slot, &args)
	}

	/// The subnet of a deployment's network and its gateway (its DNS server).
	fn network_subnet(&self, network: &str) -> Result<(String, String), String> {
		let inspect = self.podman(&["network", "inspect", "--format", "json", network])?;
		let inspect: serde_json::Value =
			serde_json::from_str(&inspect).map_err(|e| format!("podman network inspect: {e}"))?;
		let subnet = &inspect[0]["subnets"][0];
		match (subnet["subnet"].as_str(), subnet["gateway"].as_str()) {
			(Some(cidr), Some(gateway)) => Ok((cidr.to_string(), gateway.to_string())),
			_ => Err(format!("network {network} has no subnet")),
		}
	}

	/// The QMP socket of a guest.
	fn monitor(&self, contract_id: u64, name: &str) -> PathBuf {
		self.vm_dir(contract_id, name).join("qmp.sock")
	}

	/// Whether a guest's vCPUs are stopped (`None`: its monitor does not answer).
	fn guest_paused(&self, contract_id: u64, name: &str) -> Option<bool> {
		let status = qemu::qmp(&self.monitor(contract_id, name), "query-status").ok()?;
		Some(status["status"].as_str() == Some("paused"))
	}

	/// Give a running VM its public IP (if it has one) and note its pid.
	fn connect_public(
		&self,
		contract_id: u64,
		vm: &VmData,
		record: &Record,
		mut running: RunningVm,
	) -> Result<RunningVm, String> {
		let inspected = self
			.inspect(&running.container)
			.ok_or_else(|| "the container vanished after it started".to_string())?;
		if running.pid != inspected.pid {
			// A new network namespace: its counters start from zero.
			running.net_seen.clear();
		}
		running.pid = inspected.pid;
		if inspected.status != "running" {
			return Ok(running);
		}
		if vm.public_ip.is_empty() {
			if self.qemu.is_some() {
				self.wire_guest(contract_id, &running, false)?;
			}
			return Ok(running);
		}
		let (address, gateway) = self.public_address(vm, record)?;
		let (host, peer) = Self::public_veth(running.slot);
		let pid = inspected.pid.to_string();
		let _ = run("ip", &["link", "del", &host]);
		// The interface's MAC follows from its IP: a VM started again (an update, a restart) keeps
		// it, so the neighbours' ARP caches stay right. A guest holds that MAC itself, and
		// `pub0` is only a port of the bridge to it.
		let mac = public_mac(&address)?;
		let mut link = vec!["link", "add", &host, "type", "veth", "peer", "name", &peer];
		if self.qemu.is_none() {
			link.extend(["address", &mac]);
		}
		link.extend(["netns", &pid]);
		run("ip", &link)?;
		run("ip", &["link", "set", &host, "master", &self.public_interface, "up"])?;
		let inside = |args: &[&str]| {
			let mut all = vec!["-t", pid.as_str(), "-n", "ip"];
			all.extend_from_slice(args);
			run("nsenter", &all)
		};
		inside(&["link", "set", &peer, "name", "pub0"])?;
		if self.qemu.is_some() {
			self.wire_guest(contract_id, &running, true)?;
			return Ok(running);
		}
		let (address, gateway) = (address.as_str(), gateway.as_str());
		inside(&["addr", "add", address, "dev", "pub0"])?;
		inside(&["link", "set", "pub0", "up"])?;
		inside(&["route", "replace", "default", "via", gateway, "dev", "pub0"])?;
		Ok(running)
	}

	/// Wire a guest's taps in its container, then let QEMU start.
	fn wire_guest(
		&self,
		contract_id: u64,
		running: &RunningVm,
		public: bool,
	) -> Result<(), String> {
		Qemu::wire(running.pid, self.base(running.slot), public)?;
		let wired = self.vm_dir(contract_id, &running.name).join(qemu::WIRED);
		std::fs::write(&wired, b"").map_err(|e| format!("cannot write {}: {e}", wired.display()))
	}

	/// Keep a deployment's network away from the node and its private networks: from its
	/// bridge, only DNS to the gateway, replies, its own subnet and the outside world get through
	/// (mangle PREROUTING, before Podman's own forwarding rules). Idempotent.
	fn fence(&self, network: &str) -> Result<(), String> {
		let inspect = self.podman(&["network", "inspect", "--format", "json", network])?;
		let inspect: serde_json::Value =
			serde_json::from_str(&inspect).map_err(|e| format!("podman network inspect: {e}"))?;
		let bridge = inspect[0]["network_interface"].as_str().unwrap_or("").to_string();
		let subnet = &inspect[0]["subnets"][0];
		let (Some(cidr), Some(gateway)) = (subnet["subnet"].as_str(), subnet["gateway"].as_str())
		else {
			return Err(format!("network {network} has no subnet"));
		};
		if bridge.is_empty() {
			return Err(format!("network {network} has no bridge"));
		}
		let tag = format!("gridchain:{network}");
		Self::unfence(&tag);
		let mut rules: Vec<Vec<&str>> = vec![
			vec!["-d", gateway, "-p", "udp", "--dport", "53", "-j", "RETURN"],
			vec!["-d", gateway, "-p", "tcp", "--dport", "53", "-j", "RETURN"],
			vec!["-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-j", "RETURN"],
			vec!["-m", "addrtype", "--dst-type", "LOCAL", "-j", "DROP"],
			vec!["-d", cidr, "-j", "RETURN"],
		];
		for private in PRIVATE_NETWORKS {
			rules.push(vec!["-d", private, "-j", "DROP"]);
		}
		for rule in rules {
			let mut args = vec!["-w", "-t", "mangle", "-A", "PREROUTING", "-i", &bridge];
			args.extend(rule);
			args.extend(["-m", "comment", "--comment", &tag]);
			if let Err(e) = run("iptables", &args) {
				Self::unfence(&tag);
				return Err(e);
			}
		}
		Ok(())
	}

	/// Remove the rules `fence` added with this tag.
	fn unfence(tag: &str) {
		let Ok(rules) = run("iptables", &["-w", "-t", "mangle", "-S", "PREROUTING"]) else {
			return;
		};
		for rule in rules.lines() {
			let words: Vec<String> =
				rule.split_whitespace().map(|w| w.trim_matches('"').to_string()).collect();
			if words.first().map(String::as_str) != Some("-A") || !words.iter().any(|w| w == tag) {
				continue;
			}
			let mut args = vec!["-w".to_string(), "-t".into(), "mangle".into(), "-D".into()];
			args.extend(words.into_iter().skip(1));
			let refs: Vec<&str> = args.iter().map(String::as_str).collect();
			let _ = run("iptables", &refs);
		}
	}

	/// Remove workload `name`'s container, whatever the record knows of it.
	fn remove_named(&self, contract_id: u64, name: &str) {
		self.changed();
		let _ = self.podman(&["rm", "-f", "-t", "0", &self.container_name(contract_id, name)]);
	}

	fn remove_container(&self, vm: &RunningVm) {
		self.changed();
		let _ = self.podman(&["rm", "-f", "-t", "2", &vm.container]);
		let _ = run("ip", &["link", "del", &Self::public_veth(vm.slot).0]);
	}

	/// Remove every container of the contract (those the record knows and any other with its
	/// label), and their public interfaces.
	fn remove_containers(&self, contract_id: u64, vms: &[RunningVm]) {
		for vm in vms {
			self.remove_container(vm);
		}
		for c in self.containers(Some(contract_id)).unwrap_or_default() {
			if let Some(id) = c["Id"].as_str() {
				let _ = self.podman(&["rm", "-f", "-t", "2", id]);
			}
			if let Some(slot) = c["Labels"][LABEL_SLOT].as_str().and_then(|s| s.parse().ok()) {
				let _ = run("ip", &["link", "del", &Self::public_veth(slot).0]);
			}
		}
	}

	/// Remove everything of a contract: containers, public interfaces, network, disks.
	fn remove_contract(&self, contract_id: u64, vms: &[RunningVm]) {
		self.remove_containers(contract_id, vms);
		let network = self.network(contract_id);
		Self::unfence(&format!("gridchain:{network}"));
		let _ = self.podman(&["network", "rm", "-f", &network]);
		for dir in [self.mount_dir(contract_id), self.contract_dir(contract_id)] {
			Self::remove_unmounted(&dir);
		}
	}

	fn vms(record: &Record) -> Vec<(String, VmData)> {
		record
			.deployment
			.workloads
			.iter()
			.filter_map(|w| match &w.data {
				WorkloadData::Vm(vm) => Some((w.name.clone(), vm.clone())),
				_ => None,
			})
			.collect()
	}

	/// Provision everything, or the reason the first thing failed.
	fn provision_vm(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
		record: &Record,
		taken: &[u64],
		preferred: Option<u64>,
	) -> Result<RunningVm, String> {
		let _lock = slot_lock()?;
		let slot = self.free_slot(taken, preferred)?;
		self.start_vm(contract_id, name, vm, record, slot)
	}
}

fn result(
	name: &str,
	state: WorkloadState,
	message: String,
	data: serde_json::Value,
) -> WorkloadResult {
	WorkloadResult { name: name.to_string(), state, message, data }
}

impl Provisioner for ContainerProvisioner {
	fn check(&self, doc: &Deployment) -> Result<(), (&'static str, String)> {
		for w in &doc.workloads {
			let WorkloadData::Vm(vm) = &w.data else { continue };
			check_image(&vm.image)
				.map_err(|e| ("BadImage", format!("workload {}: {e}", w.name)))?;
			if self.qemu.is_some() && vm.memory < qemu::MIN_MEMORY {
				return Err((
					"TooLittleMemory",
					format!(
						"workload {}: memory: a virtual machine boots with {} bytes at least, not {}",
						w.name,
						qemu::MIN_MEMORY,
						vm.memory
					),
				));
			}
			for mount in &vm.mounts {
				check_mount_point(&mount.mount_point)
					.map_err(|e| ("BadMountPoint", format!("workload {}: {e}", w.name)))?;
			}
			if vm.image.starts_with("localhost/")
				&& self.podman(&["image", "exists", &vm.image]).is_err()
			{
				return Err((
					"BadImage",
					format!(
						"workload {}: image `{}`: there is no such local image on this node",
						w.name, vm.image
					),
				));
			}
			if !vm.public_ip.is_empty() && self.public_interface.is_empty() {
				return Err((
					"NoPublicInterface",
					format!("workload {}: public_ip: this node gives no public IPs", w.name),
				));
			}
		}
		Ok(())
	}

	fn provision(&self, contract_id: u64, record: &mut Record) {
		// An update starts the VMs afresh, each with its uids of before; disks keep their data.
		self.remove_containers(contract_id, &record.vms);
		let slots: BTreeMap<String, u64> =
			record.vms.drain(..).map(|vm| (vm.name, vm.slot)).collect();
		Self::remove_unmounted(&self.mount_dir(contract_id));
		let _ = std::fs::create_dir_all(self.contract_dir(contract_id));
		let mut results = Vec::new();
		let mut disks = BTreeSet::new();
		for w in &record.deployment.workloads {
			if let WorkloadData::Disk(disk) = &w.data {
				disks.insert(w.name.clone());
				results.push(match self.make_disk(contract_id, &w.name, disk.size) {
					Ok(_) => result(
						&w.name,
						WorkloadState::Ok,
						format!("an ext4 filesystem of {} bytes", disk.size),
						serde_json::json!({"size": disk.size}),
					),
					Err(e) => result(
						&w.name,
						WorkloadState::Error,
						format!("cannot create the disk: {e}"),
						serde_json::Value::Null,
					),
				});
			}
		}
		// Disks and VMs the deployment no longer has (after an update) are removed, with their
		// data.
		let vms: BTreeSet<String> = Self::vms(record).into_iter().map(|(name, _)| name).collect();
		if let Ok(entries) = std::fs::read_dir(self.contract_dir(contract_id)) {
			for entry in entries.flatten() {
				let file = entry.file_name().to_string_lossy().to_string();
				let name = file.strip_suffix(".img").unwrap_or(&file);
				let stale = match (name.strip_prefix("disk-"), name.strip_prefix("vm-")) {
					(Some(disk), _) => !disks.contains(disk),
					(_, Some(vm)) => !vms.contains(vm),
					_ => true,
				};
				if stale {
					let _ = std::fs::remove_file(entry.path());
				}
			}
		}
		for w in &record.deployment.workloads {
			match &w.data {
				WorkloadData::Disk(_) => {}
				WorkloadData::PublicIp(_) => results.push(public_ip_result(record, &w.name)),
				WorkloadData::Vm(vm) => {
					let taken: Vec<u64> = record.vms.iter().map(|v| v.slot).collect();
					let disk_failed = vm.mounts.iter().any(|m| {
						results.iter().any(|r| r.name == m.disk && r.state == WorkloadState::Error)
					});
					let outcome = if disk_failed {
						Err("a disk it mounts could not be created".to_string())
					} else {
						self.provision_vm(
							contract_id,
							&w.name,
							vm,
							record,
							&taken,
							slots.get(&w.name).copied(),
						)
					};
					results.push(match outcome {
						Ok(running) => {
							let data = serde_json::json!({
								"container": running.container,
								"hypervisor": self.qemu.as_ref().map(|q| format!("qemu ({})", q.accel)),
								"public_ip": if vm.public_ip.is_empty() {
									serde_json::Value::Null
								} else {
									public_ip_result(record, &vm.public_ip).data["ip"].clone()
								},
							});
							record.vms.push(running);
							result(
								&w.name,
								WorkloadState::Ok,
								match &self.qemu {
									Some(q) => format!(
										"running {} as a virtual machine (QEMU, {}): {} vCPU, {} bytes of memory",
										vm.image, q.accel, vm.cpu, vm.memory
									),
									None => format!(
										"running {}: {} vCPU, {} bytes of memory, {} PIDs at most",
										vm.image, vm.cpu, vm.memory, self.pids_limit
									),
								},
								data,
							)
						}
						Err(reason) => {
							// Nothing half-made stays running.
							self.remove_named(contract_id, &w.name);
							result(&w.name, WorkloadState::Error, reason, serde_json::Value::Null)
						}
					});
				}
			}
		}
		// Results in document order.
		let order: Vec<&str> =
			record.deployment.workloads.iter().map(|w| w.name.as_str()).collect();
		results.sort_by_key(|r| order.iter().position(|n| *n == r.name));
		record.workloads = results;
	}

	fn deprovision(&self, contract_id: u64, record: &Record) {
		self.remove_contract(contract_id, &record.vms);
	}

	fn pause(&self, contract_id: u64, record: &mut Record) {
		for vm in &record.vms {
			if self.qemu.is_some() {
				// The guest's vCPUs stop; its memory and devices stay as they are.
				if let Err(e) = qemu::qmp(&self.monitor(contract_id, &vm.name), "stop") {
					tracing::warn!(contract_id, workload = %vm.name, "cannot pause the guest: {e}");
				}
				continue;
			}
			let _ = self.podman(&["pause", &vm.container]);
		}
		self.changed();
		mark_all(record, WorkloadState::Paused);
	}

	fn resume(&self, contract_id: u64, record: &mut Record) {
		for vm in &record.vms {
			if self.qemu.is_some() {
				if let Err(e) = qemu::qmp(&self.monitor(contract_id, &vm.name), "cont") {
					tracing::warn!(contract_id, workload = %vm.name, "cannot resume the guest: {e}");
				}
				continue;
			}
			let _ = self.podman(&["unpause", &vm.container]);
		}
		self.changed();
		mark_all(record, WorkloadState::Ok);
	}

	fn restore(&self, contract_id: u64, record: &mut Record) {
		// Containers are found again by their labels, with the uids (slot) they run with.
		for c in self.containers(Some(contract_id)).unwrap_or_default() {
			let (Some(id), Some(name), Some(slot)) = (
				c["Id"].as_str(),
				c["Labels"][LABEL_WORKLOAD].as_str(),
				c["Labels"][LABEL_SLOT].as_str().and_then(|s| s.parse::<u64>().ok()),
			) else {
				continue;
			};
			if let Some(vm) = record.vms.iter_mut().find(|v| v.name == name) {
				vm.container = id.to_string();
				vm.slot = slot;
			}
		}
		// After a reboot the loop mounts are gone: mount them again.
		let vms = Self::vms(record);
		for running in &record.vms {
			let Some((_, vm)) = vms.iter().find(|(name, _)| *name == running.name) else {
				continue;
			};
			let base = self.base(running.slot);
			if self.qemu.is_some() {
				// A guest's images are attached, never mounted on the host.
				let attached = self
					.prepare_vm_dir(contract_id, &running.name, base)
					.and_then(|()| self.attach_images(contract_id, &running.name, vm, base));
				if let Err(e) = attached {
					tracing::warn!(contract_id, workload = %running.name, "cannot attach its images again: {e}");
				}
				continue;
			}
			let mounted = self
				.prepare_vm_dir(contract_id, &running.name, base)
				.and_then(|()| {
					Self::mount(
						&self.rootfs_file(contract_id, &running.name),
						&self.rootfs_mount(contract_id, &running.name),
					)
				})
				.and_then(|()| {
					vm.mounts.iter().try_for_each(|m| {
						self.mount_disk(contract_id, &running.name, &m.disk, base).map(drop)
					})
				});
			if let Err(e) = mounted {
				tracing::warn!(contract_id, workload = %running.name, "cannot mount its filesystems again: {e}");
			}
		}
		self.supervise(contract_id, record);
	}

	fn take_network_bytes(&self, _contract_id: u64, record: &mut Record) -> u64 {
		let mut total = 0u64;
		for vm in &mut record.vms {
			let Some(inspected) = self.state(&vm.container) else { continue };
			if inspected.pid == 0 {
				continue;
			}
			if inspected.pid != vm.pid {
				// A new network namespace: its counters start from zero.
				vm.pid = inspected.pid;
				vm.net_seen.clear();
			}
			let mut now = interface_bytes(inspected.pid);
			if self.qemu.is_some() {
				// What the guest sent and received is on its taps (the container's own
				// interfaces carry the same bytes again).
				now.retain(|iface, _| iface.starts_with("tap"));
			}
			for (iface, bytes) in &now {
				let seen = vm.net_seen.get(iface).copied().unwrap_or(0);
				total = total.saturating_add(if *bytes >= seen { bytes - seen } else { *bytes });
			}
			vm.net_seen = now;
		}
		total
	}

	fn supervise(&self, contract_id: u64, record: &mut Record) -> bool {
		// A pause or resume that did not take is done again.
		for vm in &record.vms {
			if self.qemu.is_some() {
				match self.guest_paused(contract_id, &vm.name) {
					Some(false) if record.paused => {
						tracing::warn!(contract_id, workload = %vm.name, "paused in grace, yet running: pausing the guest");
						let _ = qemu::qmp(&self.monitor(contract_id, &vm.name), "stop");
					}
					Some(true) if !record.paused => {
						tracing::warn!(contract_id, workload = %vm.name, "paused out of grace: resuming the guest");
						let _ = qemu::qmp(&self.monitor(contract_id, &vm.name), "cont");
					}
					_ => {}
				}
				continue;
			}
			match self.state(&vm.container).map(|s| s.status) {
				Some(status) if record.paused && status == "running" => {
					tracing::warn!(contract_id, workload = %vm.name, "paused in grace, yet running: pausing it");
					let _ = self.podman(&["pause", &vm.container]);
					self.changed();
				}
				Some(status) if !record.paused && status == "paused" => {
					tracing::warn!(contract_id, workload = %vm.name, "paused out of grace: resuming it");
					let _ = self.podman(&["unpause", &vm.container]);
					self.changed();
				}
				_ => {}
			}
		}
		if record.paused {
			return false;
		}
		let mut changed = false;
		for (name, vm) in Self::vms(record) {
			let Some(index) = record.workloads.iter().position(|w| w.name == name) else {
				continue;
			};
			if record.workloads.get(index).is_none_or(|r| r.state == WorkloadState::Error) {
				continue;
			}
			let running = record.vms.iter().find(|r| r.name == name).cloned();
			let state = running.as_ref().and_then(|r| self.state(&r.container));
			let live =
				state.as_ref().is_some_and(|i| i.status == "running" || i.status == "paused");
			// Why it stopped (an OOM kill) only `inspect` knows.
			let inspected = if live {
				state
			} else {
				self.changed();
				running.as_ref().and_then(|r| self.inspect(&r.container))
			};
			if live {
				// Taken over after a restart: make sure its public interface is there.
				if let (Some(r), false) = (&running, vm.public_ip.is_empty()) {
					let host = Self::public_veth(r.slot).0;
					if !Path::new("/sys/class/net").join(&host).exists() {
						if let Ok(r) = self.connect_public(contract_id, &vm, record, r.clone()) {
							record.vms.retain(|v| v.name != name);
							record.vms.push(r);
							changed = true;
						}
					}
				}
				continue;
			}
			let Some(result) = record.workloads.get_mut(index) else { continue };
			let mut restarts = result.data["restarts"].as_u64().unwrap_or(0);
			if running.as_ref().is_some_and(|old| {
				gridchain_sdk::agent::now_secs().saturating_sub(old.started_at) >= STABLE_SECS
			}) {
				restarts = 0;
			}
			// Podman does not always see the kernel's OOM kill (cgroup v1); the kernel log does.
			let kills = running.as_ref().map_or(0, |r| oom_kills(&r.container));
			let seen = result.data["oom_kills"].as_u64().unwrap_or(0);
			let oom = inspected.as_ref().is_some_and(|i| i.oom_killed) || kills > seen;
			result.data["oom_kills"] = kills.into();
			result.data["oom_killed"] = oom.into();
			let why = match &inspected {
				_ if oom => {
					format!("killed for using more than its {} bytes of memory (OOM)", vm.memory)
				}
				Some(i) => format!("exited with code {}", i.exit_code),
				None => "its container is gone".to_string(),
			};
			changed = true;
			if restarts >= MAX_RESTARTS {
				tracing::warn!(contract_id, workload = %name, "the VM keeps exiting; giving up");
				result.state = WorkloadState::Error;
				result.message = format!(
					"{why}; it stopped {restarts} times in a row and is not restarted again"
				);
				continue;
			}
			tracing::warn!(contract_id, workload = %name, "the VM {why}; restarting it");
			let restarted = match (&running, &inspected) {
				// The container is there: start it again, with its root filesystem as it was.
				(Some(r), Some(_)) => {
					// QEMU waits again for its taps, in the container's new network namespace.
					let _ = std::fs::remove_file(self.vm_dir(contract_id, &name).join(qemu::WIRED));
					self.podman(&["start", &r.container])
				}
				.map(|_| {
					let mut r = r.clone();
					r.started_at = gridchain_sdk::agent::now_secs();
					r
				}),
				_ => {
					let taken: Vec<u64> =
						record.vms.iter().filter(|v| v.name != name).map(|v| v.slot).collect();
					let before = running.as_ref().map(|r| r.slot);
					self.provision_vm(contract_id, &name, &vm, record, &taken, before)
				}
			};
			let restarted = restarted.and_then(|r| {
				if matches!((&running, &inspected), (Some(_), Some(_))) {
					self.connect_public(contract_id, &vm, record, r)
				} else {
					Ok(r)
				}
			});
			let Some(result) = record.workloads.get_mut(index) else { continue };
			result.data["restarts"] = (restarts + 1).into();
			match restarted {
				Ok(r) => {
					result.message = format!("restarted: it {why}");
					result.data["container"] = r.container.clone().into();
					record.vms.retain(|v| v.name != name);
					record.vms.push(r);
				}
				Err(reason) => {
					// Nothing runs unbilled and unsupervised.
					self.remove_named(contract_id, &name);
					result.state = WorkloadState::Error;
					result.message = format!("it {why}, and could not be restarted: {reason}");
				}
			}
		}
		if changed {
			self.changed();
		}
		changed
	}

	fn logs(
		&self,
		_contract_id: u64,
		record: &Record,
		workload: &str,
		tail: usize,
	) -> Result<String, String> {
		let vm = record
			.vms
			.iter()
			.find(|v| v.name == workload)
			.ok_or_else(|| format!("workload `{workload}` has no container"))?;
		let mut args =
			vec!["logs".to_string(), "--tail".into(), tail.to_string(), vm.container.clone()];
		if let Some(runtime) = &self.runtime {
			args.splice(0..0, ["--runtime".to_string(), runtime.clone()]);
		}
		// The container's stdout and stderr, interleaved as written, through one pipe.
		let (mut reader, writer) = std::io::pipe().map_err(|e| e.to_string())?;
		let mut child = Command::new("podman")
			.args(&args)
			.env_clear()
			.env("PATH", SEARCH_PATH)
			.stdin(Stdio::null())
			.stdout(writer.try_clone().map_err(|e| e.to_string())?)
			.stderr(writer)
			.spawn()
			.map_err(|e| format!("cannot run podman: {e}"))?;
		let mut text = String::new();
		use std::io::Read;
		// The command's own copies of the pipe's write end are dropped with `Command`.
		let read = reader.read_to_string(&mut text);
		let status = child.wait().map_err(|e| e.to_string())?;
		read.map_err(|e| e.to_string())?;
		if !status.success() {
			return Err(format!("podman logs: {}", text.trim()));
		}
		Ok(text)
	}

	fn cleanup(&self, live: &[u64]) {
		// Containers and networks of contracts the agent no longer holds (a crash between removing
		// a deployment from the database and removing its containers).
		for c in self.containers(None).unwrap_or_default() {
			let Some(contract) =
				c["Labels"][LABEL_CONTRACT].as_str().and_then(|s| s.parse::<u64>().ok())
			else {
				continue;
			};
			if !live.contains(&contract) {
				tracing::warn!(contract_id = contract, "removing a container no deployment owns");
				self.remove_contract(contract, &[]);
			}
		}
		// Networks, their fences and filesystems left by a crash before any container ran.
		let mut stale: BTreeSet<u64> = BTreeSet::new();
		let networks = self.podman(&["network", "ls", "--format", "{{.Name}}"]).unwrap_or_default();
		let own = format!("{}-", self.prefix);
		stale.extend(
			networks
				.lines()
				.filter_map(|n| n.strip_prefix(&own).and_then(|id| id.parse::<u64>().ok())),
		);
		let rules =
			run("iptables", &["-w", "-t", "mangle", "-S", "PREROUTING"]).unwrap_or_default();
		let tag = format!("gridchain:{own}");
		stale.extend(rules.split_whitespace().filter_map(|w| {
			w.trim_matches('"').strip_prefix(&tag).and_then(|id| id.parse::<u64>().ok())
		}));
		for dir in [&self.dir, &self.mounts] {
			if let Ok(entries) = std::fs::read_dir(dir) {
				stale.extend(
					entries.flatten().filter_map(|e| e.file_name().to_str()?.parse::<u64>().ok()),
				);
			}
		}
		for contract in stale.into_iter().filter(|c| !live.contains(c)) {
			tracing::warn!(contract_id = contract, "removing what no deployment owns");
			self.remove_contract(contract, &[]);
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_registry_references_are_images() {
		for good in [
			"docker.io/library/nginx:1.27",
			"nginx",
			"localhost/gridchain-test:busybox",
			"ghcr.io/owner/app@sha256:0123abcd",
			"registry.example.com:5000/team/app:v1",
		] {
			assert_eq!(check_image(good), Ok(()), "{good}");
		}
		for bad in [
			"",
			"-v",
			"--authfile=/etc/shadow",
			"dir:/var/lib/grid-agent",
			"oci-archive:/tmp/x.tar",
			"docker-archive:/root/x.tar",
			"containers-storage:[overlay@/var/lib]x",
			"docker://evil.example/x",
			"/etc/passwd",
			"127.0.0.1:5000/x",
			"10.0.0.5/x",
			"169.254.169.254/latest",
			"localhost:8080/x",
			"nginx latest",
			"a$(id)",
		] {
			assert!(check_image(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn a_public_interface_has_the_mac_of_its_ip() {
		assert_eq!(public_mac("185.206.122.33/24"), Ok("02:00:b9:ce:7a:21".to_string()));
		assert!(public_mac("2001:db8::1/64").is_err());
	}

	#[test]
	fn mount_points_that_podman_would_misread_are_refused() {
		assert!(check_mount_point("/data").is_ok());
		assert!(check_mount_point("/srv/www").is_ok());
		for bad in ["data", "/", "/a/../etc", "/x,readonly=false", "/a:b", ""] {
			assert!(check_mount_point(bad).is_err(), "{bad}");
		}
	}

	#[test]
	fn traffic_is_received_plus_sent_bytes_of_every_interface_but_loopback() {
		let text = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     500       5    0    0    0     0          0         0      500       5    0    0    0     0       0          0
  eth0:    1360      16    0    0    0     0          0         0      586       7    0    0    0     0       0          0
  pub0:    1161      14    0    0    0     0          0         0      925      10    0    0    0     0       0          0
";
		let bytes = parse_net_dev(text);
		assert_eq!(bytes.len(), 2, "{bytes:?}");
		assert_eq!(bytes["eth0"], 1360 + 586);
		assert_eq!(bytes["pub0"], 1161 + 925);
	}
}
