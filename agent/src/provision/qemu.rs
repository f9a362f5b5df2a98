//! The `qemu` hypervisor of the `container` provisioner (SPEC §10, `hypervisor = "qemu"`): each
//! `vm` workload boots its image as a virtual machine with its own kernel.
//!
//! The VM's container no longer runs the image: it runs QEMU, and is QEMU's jail (its own user
//! namespace, cgroup limits, network namespace and fence, as for a container). What the tenant
//! runs is inside the guest, under a distribution kernel, and sees neither the host's processes
//! nor its files: only its virtual disks and network cards.
//! - **Kernel and init**: the configured kernel (by default the newest `/boot/vmlinuz-*`, from
//!   Debian's kernel package) and an initramfs the agent builds at start: busybox (static), the
//!   virtio modules of that kernel and [`GUEST_INIT`]. The init mounts the image's filesystem,
//!   the document's disks, sets up the network and hands PID 1 to the workload's command.
//! - **Root filesystem and disks**: the ext4 image file the `container` mode builds (the image's
//!   files with their own uids, not shifted: the guest kernel owns them), and each disk's ext4
//!   file, as virtio block devices with serials `root` and `disk-NAME`. Neither is mounted on
//!   the host while the VM runs.
//! - **Limits by construction**: `cpu` vCPUs and `memory` of guest RAM; the container's cgroup
//!   holds QEMU to that plus [`OVERHEAD`].
//! - **Network**: two tap devices in the container's network namespace, owned by its root (QEMU
//!   opens them without any capability): `tap0` to a /30 routed and masqueraded through the
//!   container's own interface (so the deployment's network and its fence apply), with what
//!   arrives at the container's address forwarded to the guest (the VM's address on the
//!   deployment's network is its container's, as in the container mode), and `tap1`
//!   bridged with the public interface (`pub0`) when the VM has a public IP, which the guest
//!   itself holds, with the MAC that follows from it. nru is the taps' byte counters.
//! - **Pause and resume** stop and continue the guest's vCPUs through QMP, QEMU's monitor, on a
//!   socket in the VM's own directory.

use std::{
	io::{BufRead, BufReader, Write},
	os::unix::net::UnixStream,
	path::{Path, PathBuf},
	time::Duration,
};

/// The guest's first process, in the initramfs.
pub const GUEST_INIT: &str = include_str!("guest-init.sh");
/// What the guest runs as PID 1 once inside the image's root.
const GUEST_START: &str = include_str!("guest-start.sh");
/// The virtio drivers the guest loads, dependencies first.
const MODULES: [&str; 10] = [
	"virtio_ring",
	"virtio",
	"virtio_pci_modern_dev",
	"virtio_pci_legacy_dev",
	"virtio_pci",
	"virtio_blk",
	"failover",
	"net_failover",
	"virtio_net",
	"virtio_mmio",
];
/// The guest's private interface: its MAC, its address, and the gateway (the container's end of
/// `tap0`).
const PRIVATE_MAC: &str = "02:00:0a:c8:00:02";
const PRIVATE_GUEST: &str = "10.200.0.2/30";
const PRIVATE_HOST: &str = "10.200.0.2";
const PRIVATE_GATEWAY: &str = "10.200.0.1";
const PRIVATE_NET: &str = "10.200.0.0/30";
/// Memory QEMU itself may use beyond the guest's RAM (its own code, device models, TCG's
/// translation cache).
pub const OVERHEAD: u64 = 192 << 20;
/// The least memory a guest boots with.
pub const MIN_MEMORY: u64 = 128 << 20;
/// Processes and threads of a VM's container: QEMU's vCPU, I/O and RCU threads.
pub const PIDS: u64 = 64;
/// Where the agent's kernel, initramfs and QEMU's root are seen inside a VM's container.
pub const BOOT: &str = "/boot";
/// Where the VM's own directory is seen inside its container.
pub const VM: &str = "/vm";
/// The file the agent writes once the VM's taps exist; QEMU starts after it.
pub const WIRED: &str = "wired";

/// How guests are run.
#[derive(Debug, Clone)]
pub struct Qemu {
	/// `kvm` or `tcg`.
	pub accel: String,
	/// The kernel, initramfs and `root` (QEMU's container root): readable by every VM's uid.
	pub dir: PathBuf,
}

/// What the guest's init is told: written into the image's filesystem as `/.gridchain/`.
pub struct Guest<'a> {
	pub hostname: &'a str,
	/// The deployment network's DNS server (its gateway), and its subnet.
	pub dns: &'a str,
	pub subnet: &'a str,
	/// `(address/prefix, gateway, MAC)` of the public IP.
	pub public: Option<(String, String, String)>,
	/// `(disk name, mount point)`.
	pub mounts: Vec<(String, String)>,
	/// `KEY=value`, the image's then the document's.
	pub env: Vec<String>,
	pub command: Vec<String>,
	pub workdir: String,
	pub ssh_keys: &'a [String],
}

fn run(program: &str, args: &[&str]) -> Result<String, String> {
	super::container::run(program, args)
}

impl Qemu {
	/// Check this machine can boot guests with `accel`, then write the kernel, the initramfs
	/// and QEMU's root under `dir`. What is missing goes to `problems`.
	pub fn prepare(
		accel: &str,
		kernel: &str,
		dir: &Path,
		problems: &mut Vec<String>,
	) -> Option<Qemu> {
		for tool in ["qemu-system-x86_64", "modinfo", "cpio", "gzip", "nsenter", "sysctl"] {
			if run("sh", &["-c", &format!("command -v {tool}")]).is_err() {
				problems.push(format!("`{tool}` is not installed (hypervisor = \"qemu\")"));
			}
		}
		match accel {
			"kvm" => {
				use std::os::unix::fs::PermissionsExt;
				match std::fs::metadata("/dev/kvm") {
					Err(_) => problems.push(
						"hypervisor = \"qemu\" with accel = \"kvm\": this machine has no /dev/kvm"
							.into(),
					),
					Ok(m) if m.permissions().mode() & 0o006 != 0o006 => problems.push(
						"hypervisor = \"qemu\": /dev/kvm is not open to the VMs' unprivileged uids (mode 0666, as systemd's udev rules set it)".into(),
					),
					Ok(_) => {}
				}
			}
			"tcg" => tracing::warn!(
				"hypervisor = \"qemu\" with accel = \"tcg\": guests are emulated in software, slowly; for machines whose KVM cannot run a guest"
			),
			other => problems.push(format!("container.accel `{other}`: `kvm` or `tcg`")),
		}
		let kernel = match kernel_of(kernel) {
			Ok(k) => k,
			Err(e) => {
				problems.push(e);
				return None;
			}
		};
		if !problems.is_empty() {
			return None;
		}
		let qemu = Qemu { accel: accel.to_string(), dir: dir.to_path_buf() };
		if let Err(e) = qemu.install(&kernel) {
			problems.push(format!("cannot prepare the guests' kernel and initramfs: {e}"));
			return None;
		}
		Some(qemu)
	}

	/// Copy the kernel, build the initramfs, make QEMU's root: all world-readable, owned by
	/// root (each VM's container reaches them under its own uid, and can change none of it).
	fn install(&self, (kernel, version): &(PathBuf, String)) -> Result<(), String> {
		use std::os::unix::fs::PermissionsExt;
		let io = |what: &Path| {
			let what = what.display().to_string();
			move |e: std::io::Error| format!("{what}: {e}")
		};
		std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
		std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o755))
			.map_err(io(&self.dir))?;
		let vmlinuz = self.dir.join("vmlinuz");
		std::fs::copy(kernel, &vmlinuz).map_err(io(kernel))?;
		std::fs::set_permissions(&vmlinuz, std::fs::Permissions::from_mode(0o644))
			.map_err(io(&vmlinuz))?;

		let build = self.dir.join("initramfs");
		let _ = std::fs::remove_dir_all(&build);
		for sub in ["bin", "lib/modules", "proc", "sys", "dev", "newroot"] {
			std::fs::create_dir_all(build.join(sub)).map_err(io(&build))?;
		}
		let busybox = build.join("bin/busybox");
		std::fs::copy("/bin/busybox", &busybox).map_err(io(Path::new("/bin/busybox")))?;
		let linked = run("sh", &["-c", "ldd /bin/busybox 2>&1 || true"]).unwrap_or_default();
		if !linked.contains("not a dynamic executable") && !linked.contains("statically linked") {
			return Err("/bin/busybox is not static (install busybox-static)".into());
		}
		let mut order = Vec::new();
		for module in MODULES {
			let file = run("modinfo", &["-k", version, "-F", "filename", module])
				.map_err(|e| format!("kernel {version} has no module {module}: {e}"))?;
			let file = file.trim();
			if file.is_empty() || file == "(builtin)" {
				continue;
			}
			if !file.ends_with(".ko") {
				return Err(format!("module {file}: only uncompressed modules are supported"));
			}
			std::fs::copy(file, build.join(format!("lib/modules/{module}.ko")))
				.map_err(io(Path::new(file)))?;
			order.push(module);
		}
		std::fs::write(build.join("modules"), order.join("\n") + "\n").map_err(io(&build))?;
		let init = build.join("init");
		std::fs::write(&init, GUEST_INIT).map_err(io(&init))?;
		std::fs::set_permissions(&init, std::fs::Permissions::from_mode(0o755))
			.map_err(io(&init))?;
		let initrd = self.dir.join("initrd.img");
		let script = format!(
			"cd '{}' && find . | cpio -o -H newc --quiet -R 0:0 | gzip -1 > '{}'",
			build.display(),
			initrd.display()
		);
		run("sh", &["-c", &script])?;
		let _ = std::fs::remove_dir_all(&build);
		std::fs::set_permissions(&initrd, std::fs::Permissions::from_mode(0o644))
			.map_err(io(&initrd))?;

		// QEMU's root: the host's /usr read-only (QEMU, its libraries and firmware; nothing
		// secret), mount points for the boot files and the VM's directory.
		let root = self.dir.join("root");
		// Every mount point Podman and runc use is made here: the VMs' roots cannot create any.
		for sub in ["usr", "etc", "proc", "sys", "dev", "tmp", "run", "vm", "boot"] {
			std::fs::create_dir_all(root.join(sub)).map_err(io(&root))?;
		}
		for file in [
			"etc/hosts",
			"etc/resolv.conf",
			"etc/hostname",
			"etc/passwd",
			"etc/group",
			"run/.containerenv",
		] {
			let path = root.join(file);
			if !path.exists() {
				std::fs::write(&path, b"").map_err(io(&path))?;
			}
		}
		for (link, to) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")] {
			let at = root.join(link);
			if std::fs::symlink_metadata(&at).is_err() {
				std::os::unix::fs::symlink(to, &at).map_err(io(&at))?;
			}
		}
		Ok(())
	}

	/// The container's bind mounts: the host's `/usr` and the boot files read-only, the VM's
	/// directory read-write.
	pub fn mounts(&self, vm_dir: &Path) -> Vec<String> {
		vec![
			"type=bind,source=/usr,destination=/usr,ro=true".to_string(),
			format!("type=bind,source={},destination={BOOT},ro=true", self.dir.display()),
			format!("type=bind,source={},destination={VM},rw=true", vm_dir.display()),
		]
	}

	/// QEMU's root directory (for `--rootfs`).
	pub fn root(&self) -> PathBuf {
		self.dir.join("root")
	}

	/// The container's command: wait until the agent has wired the taps, then boot. Disks are
	/// `/vm/disk-NAME.img`, the root filesystem `/vm/root.img`.
	pub fn command(
		&self,
		cpu: u32,
		memory: u64,
		disks: &[String],
		public_mac: Option<&str>,
	) -> Vec<String> {
		let mut qemu: Vec<String> = vec![
			"qemu-system-x86_64".into(),
			"-M".into(),
			"q35".into(),
			"-accel".into(),
			if self.accel == "tcg" { "tcg,tb-size=64".into() } else { "kvm".into() },
			"-smp".into(),
			cpu.to_string(),
			"-m".into(),
			format!("{}M", memory >> 20),
			"-nodefaults".into(),
			"-no-user-config".into(),
			"-nographic".into(),
			"-no-reboot".into(),
			"-kernel".into(),
			format!("{BOOT}/vmlinuz"),
			"-initrd".into(),
			format!("{BOOT}/initrd.img"),
			"-append".into(),
			"console=ttyS0 quiet panic=-1 reboot=t".into(),
			"-serial".into(),
			"stdio".into(),
			"-qmp".into(),
			format!("unix:{VM}/qmp.sock,server=on,wait=off"),
			"-sandbox".into(),
			"on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny".into(),
		];
		if self.accel == "kvm" {
			qemu.extend(["-cpu".into(), "host".into()]);
		}
		let mut drives = vec![("root".to_string(), format!("{VM}/root.img"))];
		drives.extend(disks.iter().map(|d| (format!("disk-{d}"), format!("{VM}/disk-{d}.img"))));
		for (n, (serial, file)) in drives.iter().enumerate() {
			qemu.extend([
				"-drive".into(),
				format!("id=d{n},file={file},format=raw,if=none"),
				"-device".into(),
				format!("virtio-blk-pci,drive=d{n},serial={serial}"),
			]);
		}
		qemu.extend([
			"-netdev".into(),
			"tap,id=n0,ifname=tap0,script=no,downscript=no".into(),
			"-device".into(),
			format!("virtio-net-pci,netdev=n0,mac={PRIVATE_MAC}"),
		]);
		if let Some(mac) = public_mac {
			qemu.extend([
				"-netdev".into(),
				"tap,id=n1,ifname=tap1,script=no,downscript=no".into(),
				"-device".into(),
				format!("virtio-net-pci,netdev=n1,mac={mac}"),
			]);
		}
		let quoted: Vec<String> = qemu.iter().map(|w| shell_words::quote(w).into_owned()).collect();
		vec![
			"/bin/sh".into(),
			"-c".into(),
			format!("while [ ! -e {VM}/{WIRED} ]; do sleep 0.1; done; exec {}", quoted.join(" ")),
		]
	}

	/// Wire a VM's taps in the network namespace of process `pid` (its container's), owned by
	/// the container's root `base`: `tap0` routed and masqueraded through `eth0`, `tap1` bridged
	/// with `pub0` when the VM has a public IP.
	pub fn wire(pid: u32, base: u64, public: bool) -> Result<(), String> {
		let pid = pid.to_string();
		let owner = base.to_string();
		let inside = |program: &str, args: &[&str]| {
			let mut all = vec!["-t", pid.as_str(), "-n", program];
			all.extend_from_slice(args);
			run("nsenter", &all)
		};
		let tap = |name: &str| {
			inside(
				"ip",
				&["tuntap", "add", "dev", name, "mode", "tap", "user", &owner, "group", &owner],
			)
		};
		// Idempotent: a public interface put back on a running guest finds its taps there.
		let exists = |name: &str| inside("ip", &["link", "show", name]).is_ok();
		if !exists("tap0") {
			tap("tap0")?;
			inside("ip", &["addr", "add", &format!("{PRIVATE_GATEWAY}/30"), "dev", "tap0"])?;
			inside("ip", &["link", "set", "tap0", "up"])?;
			inside("sysctl", &["-q", "-w", "net.ipv4.ip_forward=1"])?;
			let nat = |rule: &[&str]| {
				let mut all = vec!["-w", "-t", "nat", "-A"];
				all.extend_from_slice(rule);
				inside("iptables", &all)
			};
			// Out through the container's address; in, everything sent to that address is
			// the guest's (the VM's address on the deployment's network, as a container's).
			nat(&["POSTROUTING", "-s", PRIVATE_NET, "-o", "eth0", "-j", "MASQUERADE"])?;
			nat(&["PREROUTING", "-i", "eth0", "-j", "DNAT", "--to-destination", PRIVATE_HOST])?;
		}
		if public {
			if !exists("tap1") {
				tap("tap1")?;
				inside("ip", &["link", "add", "br0", "type", "bridge"])?;
				inside("ip", &["link", "set", "tap1", "master", "br0", "up"])?;
				inside("ip", &["link", "set", "br0", "up"])?;
			}
			inside("ip", &["link", "set", "pub0", "master", "br0", "up"])?;
		}
		Ok(())
	}

	/// Write `/.gridchain/` into the image's filesystem mounted at `root` (on the host, before
	/// the VM runs): the init's settings, the command, the ssh keys. A `/.gridchain` the image
	/// brings (a symlink to a host path, say) is removed first, and every file is created new
	/// in a directory made here, so nothing is written outside `root`.
	pub fn write_guest(root: &Path, guest: &Guest) -> Result<(), String> {
		use std::os::unix::fs::PermissionsExt;
		let dir = root.join(".gridchain");
		if let Ok(meta) = std::fs::symlink_metadata(&dir) {
			let removed = if meta.is_dir() {
				std::fs::remove_dir_all(&dir)
			} else {
				std::fs::remove_file(&dir)
			};
			removed.map_err(|e| format!("cannot replace the image's /.gridchain: {e}"))?;
		}
		std::fs::create_dir(&dir).map_err(|e| format!("cannot create /.gridchain: {e}"))?;
		let write = |name: &str, text: &str, mode: u32| -> Result<(), String> {
			let path = dir.join(name);
			let mut file = std::fs::OpenOptions::new()
				.write(true)
				.create_new(true)
				.open(&path)
				.map_err(|e| format!("cannot write /.gridchain/{name}: {e}"))?;
			file.write_all(text.as_bytes())
				.and_then(|()| file.set_permissions(std::fs::Permissions::from_mode(mode)))
				.map_err(|e| format!("cannot write /.gridchain/{name}: {e}"))
		};
		let q = |s: &str| shell_words::quote(s).into_owned();
		let (public_ip, public_gateway, public_mac) = guest.public.clone().unwrap_or_default();
		let mounts: Vec<String> =
			guest.mounts.iter().map(|(disk, point)| format!("disk-{disk} {point}")).collect();
		let conf = [
			("hostname", guest.hostname.to_string()),
			("dns", guest.dns.to_string()),
			("subnet", guest.subnet.to_string()),
			("private_mac", PRIVATE_MAC.to_string()),
			("private_ip", PRIVATE_GUEST.to_string()),
			("private_gateway", PRIVATE_GATEWAY.to_string()),
			("public_ip", public_ip),
			("public_gateway", public_gateway),
			("public_mac", public_mac),
			("mounts", mounts.join("\n")),
		]
		.iter()
		.map(|(k, v)| format!("{k}={}\n", q(v)))
		.collect::<String>();
		write("vm.conf", &conf, 0o644)?;

		let mut command = format!("workdir={}\n", q(&guest.workdir));
		for pair in &guest.env {
			let (key, value) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
			let name_ok = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
				&& key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
			if !name_ok {
				return Err(format!("env: `{key}` is not a variable name"));
			}
			command.push_str(&format!("export {key}={}\n", q(value)));
		}
		let words: Vec<String> = guest.command.iter().map(|w| q(w)).collect();
		command.push_str(&format!("set -- {}\n", words.join(" ")));
		write("command", &command, 0o644)?;
		write("start", GUEST_START, 0o755)?;
		if !guest.ssh_keys.is_empty() {
			write("authorized_keys", &(guest.ssh_keys.join("\n") + "\n"), 0o600)?;
		}
		Ok(())
	}
}

/// The kernel to boot and its version: `configured`, or the newest `/boot/vmlinuz-*`.
fn kernel_of(configured: &str) -> Result<(PathBuf, String), String> {
	let path = if configured.is_empty() {
		let mut kernels: Vec<PathBuf> = std::fs::read_dir("/boot")
			.map_err(|e| format!("/boot: {e}"))?
			.flatten()
			.map(|e| e.path())
			.filter(|p| {
				p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("vmlinuz-"))
			})
			.collect();
		kernels.sort_by_key(|k| version_key(k));
		kernels.pop().ok_or(
			"hypervisor = \"qemu\": no kernel in /boot (install Debian's linux-image-cloud-amd64, or set container.kernel)",
		)?
	} else {
		PathBuf::from(configured)
	};
	let version = path
		.file_name()
		.and_then(|n| n.to_str())
		.and_then(|n| n.strip_prefix("vmlinuz-"))
		.ok_or_else(|| {
			format!("container.kernel `{}`: not a vmlinuz-VERSION file", path.display())
		})?
		.to_string();
	if !path.is_file() {
		return Err(format!("container.kernel `{}`: no such file", path.display()));
	}
	if !Path::new("/lib/modules").join(&version).is_dir() {
		return Err(format!("kernel {version}: no /lib/modules/{version} for its virtio drivers"));
	}
	Ok((path, version))
}

/// `vmlinuz-6.1.0-57-cloud-amd64` sorts by its numbers.
fn version_key(path: &Path) -> Vec<u64> {
	path.to_string_lossy()
		.split(|c: char| !c.is_ascii_digit())
		.filter_map(|n| n.parse().ok())
		.collect()
}

/// Send one QMP command to the monitor at `socket`; its `return` value.
pub fn qmp(socket: &Path, command: &str) -> Result<serde_json::Value, String> {
	let stream =
		UnixStream::connect(socket).map_err(|e| format!("QMP {}: {e}", socket.display()))?;
	stream
		.set_read_timeout(Some(Duration::from_secs(5)))
		.and_then(|()| stream.set_write_timeout(Some(Duration::from_secs(5))))
		.map_err(|e| e.to_string())?;
	let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
	let mut reader = BufReader::new(stream);
	let answer = |reader: &mut BufReader<UnixStream>| -> Result<serde_json::Value, String> {
		loop {
			let mut line = String::new();
			if reader.read_line(&mut line).map_err(|e| format!("QMP: {e}"))? == 0 {
				return Err("QMP: the monitor closed the connection".into());
			}
			let value: serde_json::Value =
				serde_json::from_str(&line).map_err(|e| format!("QMP: {e}"))?;
			if value.get("event").is_some() {
				continue;
			}
			return Ok(value);
		}
	};
	answer(&mut reader)?; // the greeting
	for execute in ["qmp_capabilities", command] {
		writeln!(writer, "{}", serde_json::json!({ "execute": execute }))
			.map_err(|e| format!("QMP: {e}"))?;
		let value = answer(&mut reader)?;
		if let Some(error) = value.get("error") {
			return Err(format!("QMP {execute}: {}", error["desc"].as_str().unwrap_or("error")));
		}
		if execute == command {
			return Ok(value["return"].clone());
		}
	}
	Err("QMP: no answer".into())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_guest_is_told_its_settings_quoted_and_an_image_symlink_cannot_redirect_them() {
		let dir = tempfile::tempdir().expect("dir");
		let root = dir.path().join("root");
		let outside = dir.path().join("outside");
		std::fs::create_dir_all(&root).expect("root");
		std::fs::create_dir_all(&outside).expect("outside");
		std::os::unix::fs::symlink(&outside, root.join(".gridchain")).expect("symlink");
		let keys = vec!["ssh-ed25519 AAAA test".to_string()];
		let guest = Guest {
			hostname: "web",
			dns: "10.89.0.1",
			subnet: "10.89.0.0/24",
			public: Some((
				"185.206.122.33/24".into(),
				"185.206.122.1".into(),
				"02:00:b9:ce:7a:21".into(),
			)),
			mounts: vec![("data".into(), "/var/lib/data".into())],
			env: vec!["PATH=/bin".into(), "GREETING=it's $HOME".into()],
			command: vec!["httpd".into(), "-f".into(), "-h".into(), "/w w".into()],
			workdir: "/".into(),
			ssh_keys: &keys,
		};
		Qemu::write_guest(&root, &guest).expect("written");
		assert!(std::fs::read_dir(&outside).expect("outside").next().is_none(), "nothing outside");
		let command = std::fs::read_to_string(root.join(".gridchain/command")).expect("command");
		// The shell reads back exactly what was written.
		let out = std::process::Command::new("sh")
			.arg("-c")
			.arg(format!("{command}\necho \"$GREETING|$#|$4\""))
			.output()
			.expect("sh");
		assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "it's $HOME|4|/w w");
		let conf = std::fs::read_to_string(root.join(".gridchain/vm.conf")).expect("conf");
		assert!(conf.contains("public_ip=185.206.122.33/24\n"), "{conf}");
		assert!(conf.contains("mounts='disk-data /var/lib/data'\n"), "{conf}");
		let bad = Guest { env: vec!["A;B=1".into()], ..guest };
		let err = Qemu::write_guest(&root, &bad).expect_err("refused");
		assert!(err.contains("`A;B`"), "{err}");
	}

	#[test]
	fn kernels_sort_by_version_numbers() {
		let mut k = [
			PathBuf::from("/boot/vmlinuz-6.10.0-1-amd64"),
			PathBuf::from("/boot/vmlinuz-6.9.0-3-amd64"),
		];
		k.sort_by_key(|p| version_key(p));
		assert_eq!(k[1], PathBuf::from("/boot/vmlinuz-6.10.0-1-amd64"));
	}

	#[test]
	fn the_container_waits_for_its_taps_and_boots_the_documents_size() {
		let qemu = Qemu { accel: "tcg".into(), dir: PathBuf::from("/x") };
		let command = qemu.command(2, 512 << 20, &["data".into()], Some("02:00:01:02:03:04"));
		let script = &command[2];
		assert!(script.starts_with("while [ ! -e /vm/wired ]"), "{script}");
		for part in [
			"-smp 2",
			"-m 512M",
			"serial=disk-data",
			"file=/vm/disk-data.img",
			"mac=02:00:01:02:03:04",
			"ifname=tap1",
			"tb-size=64",
		] {
			assert!(script.contains(part), "{part} in {script}");
		}
	}
}
