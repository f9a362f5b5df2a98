//! A VM's entrypoint runs as a supervised child process in its own process group, limited by a
//! cgroup v2 (cpu.max, memory.max) where `/sys/fs/cgroup` is writable; a disk is a file of its
//! size in the data dir. zos's VMs, containers and networks are out of scope.

use super::{mark_all, public_ip_results, Provisioner};
use crate::state::Record;
use gridchain_sdk::{
	agent::{WorkloadResult, WorkloadState},
	deployment::{VmData, WorkloadData},
};
use nix::{
	sys::signal::{kill, killpg, Signal},
	unistd::Pid,
};
use std::{
	collections::HashMap,
	os::unix::process::CommandExt,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	sync::Mutex,
	time::{Duration, Instant},
};

/// A VM whose entrypoint exits this many times is left in `error`.
const MAX_RESTARTS: u64 = 5;

/// Where a cgroup v2 hierarchy may be mounted: alone, or beside v1 controllers.
const CGROUP_MOUNTS: [&str; 2] = ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"];

/// The cgroup v2 hierarchy, if it has the cpu and memory controllers.
fn cgroup_root() -> Result<PathBuf, String> {
	for mount in CGROUP_MOUNTS {
		let root = Path::new(mount);
		if let Ok(controllers) = std::fs::read_to_string(root.join("cgroup.controllers")) {
			let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
			if has("cpu") && has("memory") {
				return Ok(root.to_path_buf());
			}
			return Err(format!(
				"the cgroup v2 hierarchy at {mount} has no cpu and memory controllers"
			));
		}
	}
	Err("no cgroup v2 hierarchy is mounted".into())
}

pub struct ProcessProvisioner {
	data_dir: PathBuf,
	/// Children this agent started, reaped as they exit.
	children: Mutex<HashMap<(u64, String), Child>>,
}

impl ProcessProvisioner {
	pub fn new(data_dir: &Path) -> anyhow::Result<ProcessProvisioner> {
		std::fs::create_dir_all(data_dir.join("disks"))?;
		std::fs::create_dir_all(data_dir.join("logs"))?;
		Ok(ProcessProvisioner {
			data_dir: data_dir.to_path_buf(),
			children: Mutex::new(HashMap::new()),
		})
	}

	/// The file backing a disk workload.
	pub fn disk_path(&self, contract_id: u64, name: &str) -> PathBuf {
		self.data_dir.join("disks").join(format!("{contract_id}-{name}.img"))
	}

	fn cgroup_dir(root: &Path, contract_id: u64, name: &str) -> PathBuf {
		root.join("grid-agent").join(format!("{contract_id}-{name}"))
	}

	/// Put `pid` in a cgroup limited to the VM's cpu and memory; the reason when it cannot.
	fn limit(contract_id: u64, name: &str, vm: &VmData, pid: u32) -> Result<(), String> {
		let root = cgroup_root()?;
		let parent = root.join("grid-agent");
		std::fs::create_dir_all(&parent)
			.map_err(|e| format!("cgroups are not writable here ({e})"))?;
		let _ = std::fs::write(root.join("cgroup.subtree_control"), "+cpu +memory");
		let _ = std::fs::write(parent.join("cgroup.subtree_control"), "+cpu +memory");
		let dir = Self::cgroup_dir(&root, contract_id, name);
		std::fs::create_dir_all(&dir)
			.map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
		let period = 100_000u64;
		let write = |file: &str, value: String| {
			std::fs::write(dir.join(file), value).map_err(|e| format!("cannot write {file}: {e}"))
		};
		write("cpu.max", format!("{} {period}", u64::from(vm.cpu).saturating_mul(period)))?;
		write("memory.max", vm.memory.to_string())?;
		write("cgroup.procs", pid.to_string())
	}

	fn start_vm(&self, contract_id: u64, name: &str, vm: &VmData) -> Result<(u32, String), String> {
		let log_path = self.data_dir.join("logs").join(format!("{contract_id}-{name}.log"));
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&log_path)
			.map_err(|e| format!("cannot open {}: {e}", log_path.display()))?;
		let err_log = log.try_clone().map_err(|e| e.to_string())?;
		let entrypoint =
			if vm.entrypoint.trim().is_empty() { "sleep infinity" } else { vm.entrypoint.as_str() };
		let child = Command::new("sh")
			.arg("-c")
			.arg(entrypoint)
			.envs(&vm.env)
			.current_dir(&self.data_dir)
			.stdin(Stdio::null())
			.stdout(Stdio::from(log))
			.stderr(Stdio::from(err_log))
			.process_group(0)
			.spawn()
			.map_err(|e| format!("cannot start `{entrypoint}`: {e}"))?;
		let pid = child.id();
		let note = match Self::limit(contract_id, name, vm, pid) {
			Ok(()) => {
				format!("running as pid {pid}, limited to {} vCPU and {} bytes", vm.cpu, vm.memory)
			}
			Err(reason) => format!("running as pid {pid} without limits: {reason}"),
		};
		if let Ok(mut children) = self.children.lock() {
			children.insert((contract_id, name.to_string()), child);
		}
		Ok((pid, note))
	}

	fn stop_vm(&self, contract_id: u64, name: &str, pid: u32) {
		let group = Pid::from_raw(pid as i32);
		let _ = killpg(group, Signal::SIGCONT);
		let _ = killpg(group, Signal::SIGTERM);
		let deadline = Instant::now() + Duration::from_secs(5);
		while Instant::now() < deadline && self.alive(contract_id, name, pid) {
			std::thread::sleep(Duration::from_millis(50));
		}
		if self.alive(contract_id, name, pid) {
			let _ = killpg(group, Signal::SIGKILL);
			std::thread::sleep(Duration::from_millis(50));
			self.alive(contract_id, name, pid);
		}
		if let Ok(mut children) = self.children.lock() {
			children.remove(&(contract_id, name.to_string()));
		}
		if let Ok(root) = cgroup_root() {
			let _ = std::fs::remove_dir(Self::cgroup_dir(&root, contract_id, name));
		}
	}

	/// Whether the VM's process runs; reaps it if it was our child and exited.
	fn alive(&self, contract_id: u64, name: &str, pid: u32) -> bool {
		if let Ok(mut children) = self.children.lock() {
			if let Some(child) = children.get_mut(&(contract_id, name.to_string())) {
				return matches!(child.try_wait(), Ok(None));
			}
		}
		kill(Pid::from_raw(pid as i32), None).is_ok()
	}

	fn stop_all(&self, contract_id: u64, record: &Record) {
		for (name, pid) in &record.pids {
			self.stop_vm(contract_id, name, *pid);
		}
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

impl Provisioner for ProcessProvisioner {
	fn provision(&self, contract_id: u64, record: &mut Record) {
		self.stop_all(contract_id, record);
		record.pids.clear();
		let ips = public_ip_results(record);
		let mut results = Vec::new();
		let mut disks = Vec::new();
		for w in &record.deployment.workloads {
			let outcome = match &w.data {
				WorkloadData::Disk(disk) => {
					let path = self.disk_path(contract_id, &w.name);
					disks.push(path.clone());
					std::fs::OpenOptions::new()
						.create(true)
						.write(true)
						.truncate(false)
						.open(&path)
						.and_then(|f| f.set_len(disk.size))
						.map(|()| {
							result(
								&w.name,
								WorkloadState::Ok,
								String::new(),
								serde_json::json!({"path": path}),
							)
						})
						.unwrap_or_else(|e| {
							result(
								&w.name,
								WorkloadState::Error,
								format!("cannot create the disk: {e}"),
								serde_json::Value::Null,
							)
						})
				}
				WorkloadData::PublicIp(_) => {
					ips.iter().find(|r| r.name == w.name).cloned().unwrap_or_else(|| {
						result(
							&w.name,
							WorkloadState::Error,
							"no IP".into(),
							serde_json::Value::Null,
						)
					})
				}
				WorkloadData::Vm(vm) => match self.start_vm(contract_id, &w.name, vm) {
					Ok((pid, note)) => {
						record.pids.push((w.name.clone(), pid));
						let ip = vm.public_ip.clone();
						let address = ips
							.iter()
							.find(|r| r.name == ip)
							.map(|r| r.data["ip"].clone())
							.unwrap_or_default();
						result(
							&w.name,
							WorkloadState::Ok,
							note,
							serde_json::json!({"pid": pid, "public_ip": address}),
						)
					}
					Err(reason) => {
						result(&w.name, WorkloadState::Error, reason, serde_json::Value::Null)
					}
				},
			};
			results.push(outcome);
		}
		// Disks the deployment no longer has (after an update) are removed.
		if let Ok(entries) = std::fs::read_dir(self.data_dir.join("disks")) {
			let prefix = format!("{contract_id}-");
			for entry in entries.flatten() {
				let path = entry.path();
				let ours = path
					.file_name()
					.and_then(|n| n.to_str())
					.is_some_and(|n| n.starts_with(&prefix));
				if ours && !disks.contains(&path) {
					let _ = std::fs::remove_file(path);
				}
			}
		}
		record.workloads = results;
	}

	fn deprovision(&self, contract_id: u64, record: &Record) {
		self.stop_all(contract_id, record);
		for w in &record.deployment.workloads {
			if matches!(w.data, WorkloadData::Disk(_)) {
				let _ = std::fs::remove_file(self.disk_path(contract_id, &w.name));
			}
		}
	}

	fn pause(&self, _contract_id: u64, record: &mut Record) {
		for (_, pid) in &record.pids {
			let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGSTOP);
		}
		mark_all(record, WorkloadState::Paused);
	}

	fn resume(&self, _contract_id: u64, record: &mut Record) {
		for (_, pid) in &record.pids {
			let _ = killpg(Pid::from_raw(*pid as i32), Signal::SIGCONT);
		}
		mark_all(record, WorkloadState::Ok);
	}

	fn restore(&self, contract_id: u64, record: &mut Record) {
		self.supervise(contract_id, record);
	}

	fn take_network_bytes(&self, _contract_id: u64) -> u64 {
		// Processes share the host's network; there is no per-deployment interface to count.
		0
	}

	fn supervise(&self, contract_id: u64, record: &mut Record) -> bool {
		if record.paused {
			return false;
		}
		let mut changed = false;
		let vms: Vec<(String, VmData)> = record
			.deployment
			.workloads
			.iter()
			.filter_map(|w| match &w.data {
				WorkloadData::Vm(vm) => Some((w.name.clone(), vm.clone())),
				_ => None,
			})
			.collect();
		for (name, vm) in vms {
			let running = record.pids.iter().find(|(n, _)| *n == name).map(|(_, pid)| *pid);
			if running.is_some_and(|pid| self.alive(contract_id, &name, pid)) {
				continue;
			}
			let Some(result) = record.workloads.iter_mut().find(|w| w.name == name) else {
				continue;
			};
			if result.state == WorkloadState::Error {
				continue;
			}
			record.pids.retain(|(n, _)| *n != name);
			let restarts = result.data["restarts"].as_u64().unwrap_or(0);
			if restarts >= MAX_RESTARTS {
				let log = self.data_dir.join("logs").join(format!("{contract_id}-{name}.log"));
				tracing::warn!(contract_id, workload = %name, "the VM's process keeps exiting; giving up");
				result.state = WorkloadState::Error;
				result.message = format!(
					"the entrypoint exited {restarts} times; not restarted again (see {})",
					log.display()
				);
				changed = true;
				continue;
			}
			tracing::warn!(contract_id, workload = %name, "the VM's process is gone; restarting it");
			match self.start_vm(contract_id, &name, &vm) {
				Ok((pid, note)) => {
					record.pids.push((name.clone(), pid));
					result.message = format!("restarted; {note}");
					result.data["pid"] = pid.into();
				}
				Err(reason) => {
					result.state = WorkloadState::Error;
					result.message = reason;
				}
			}
			result.data["restarts"] = (restarts + 1).into();
			changed = true;
		}
		changed
	}
}
