//! A VM's entrypoint runs as a supervised child process in its own process group, limited by a
//! cgroup v2 (cpu.max, memory.max) where `/sys/fs/cgroup` is writable; a disk is a file of its
//! size in the data dir. zos's VMs, containers and networks are out of scope.

use super::{mark_all, public_ip_result, Provisioner};
use crate::state::{Record, RunningVm};
use gridchain_sdk::{
	agent::{WorkloadResult, WorkloadState},
	deployment::{VmData, WorkloadData},
};
use nix::{
	sys::signal::{killpg, Signal},
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

/// A VM whose entrypoint exits this many times in a row is left in `error`.
const MAX_RESTARTS: u64 = 5;
/// A process that ran this long before it exited had a clean run.
const STABLE_SECS: u64 = 600;

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

	fn start_vm(
		&self,
		contract_id: u64,
		name: &str,
		vm: &VmData,
	) -> Result<(RunningVm, String), String> {
		let log_path = self.log_path(contract_id, name);
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
		let running = RunningVm {
			name: name.to_string(),
			pid,
			start_ticks: start_ticks(pid).unwrap_or_default(),
			started_at: gridchain_sdk::agent::now_secs(),
		};
		Ok((running, note))
	}

	fn stop_vm(&self, contract_id: u64, vm: &RunningVm) {
		if self.alive(contract_id, vm) {
			let group = Pid::from_raw(vm.pid as i32);
			let _ = killpg(group, Signal::SIGCONT);
			let _ = killpg(group, Signal::SIGTERM);
			let deadline = Instant::now() + Duration::from_secs(5);
			while Instant::now() < deadline && self.alive(contract_id, vm) {
				std::thread::sleep(Duration::from_millis(50));
			}
			if self.alive(contract_id, vm) {
				let _ = killpg(group, Signal::SIGKILL);
				std::thread::sleep(Duration::from_millis(50));
				self.alive(contract_id, vm);
			}
		}
		if let Ok(mut children) = self.children.lock() {
			children.remove(&(contract_id, vm.name.clone()));
		}
		if let Ok(root) = cgroup_root() {
			let _ = std::fs::remove_dir(Self::cgroup_dir(&root, contract_id, &vm.name));
		}
	}

	/// Whether the VM's process runs; reaps it if it was our child and exited. A process the
	/// agent took over after a restart counts only if its start time is the recorded one.
	fn alive(&self, contract_id: u64, vm: &RunningVm) -> bool {
		if let Ok(mut children) = self.children.lock() {
			if let Some(child) = children.get_mut(&(contract_id, vm.name.clone())) {
				return matches!(child.try_wait(), Ok(None));
			}
		}
		is_ours(vm)
	}

	fn stop_all(&self, contract_id: u64, record: &Record) {
		for vm in &record.vms {
			self.stop_vm(contract_id, vm);
		}
	}

	fn log_path(&self, contract_id: u64, name: &str) -> PathBuf {
		self.data_dir.join("logs").join(format!("{contract_id}-{name}.log"))
	}
}

/// A file of `size` bytes with its blocks allocated, so the node's disk cannot fill up behind
/// the capacity it promised; a sparse file where the filesystem cannot allocate ahead. An
/// existing file keeps its data.
fn preallocate(path: &Path, size: u64) -> std::io::Result<()> {
	let file = std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(path)?;
	let len = i64::try_from(size).map_err(|_| std::io::Error::other("the disk is too large"))?;
	match nix::fcntl::fallocate(&file, nix::fcntl::FallocateFlags::empty(), 0, len) {
		Ok(()) => Ok(()),
		Err(nix::errno::Errno::EOPNOTSUPP) => file.set_len(size),
		Err(e) => Err(std::io::Error::from(e)),
	}
}

/// The start time of process `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`).
fn start_ticks(pid: u32) -> Option<u64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// The command name (field 2) may hold spaces; the fields after it start at field 3.
	let after_name = &stat[stat.rfind(')')? + 1..];
	after_name.split_whitespace().nth(19)?.parse().ok()
}

/// The process still runs and is the one that was started (not a later one with its pid).
fn is_ours(vm: &RunningVm) -> bool {
	start_ticks(vm.pid).is_some_and(|ticks| ticks == vm.start_ticks)
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
		record.vms.clear();
		let mut results = Vec::new();
		let mut disks = Vec::new();
		for w in &record.deployment.workloads {
			let outcome = match &w.data {
				WorkloadData::Disk(disk) => {
					let path = self.disk_path(contract_id, &w.name);
					disks.push(path.clone());
					preallocate(&path, disk.size)
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
				WorkloadData::PublicIp(_) => public_ip_result(record, &w.name),
				WorkloadData::Vm(vm) => match self.start_vm(contract_id, &w.name, vm) {
					Ok((running, note)) => {
						let pid = running.pid;
						record.vms.push(running);
						let address = match vm.public_ip.as_str() {
							"" => serde_json::Value::Null,
							ip => public_ip_result(record, ip).data["ip"].clone(),
						};
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
		for vm in record.vms.iter().filter(|vm| is_ours(vm)) {
			let _ = killpg(Pid::from_raw(vm.pid as i32), Signal::SIGSTOP);
		}
		mark_all(record, WorkloadState::Paused);
	}

	fn resume(&self, _contract_id: u64, record: &mut Record) {
		for vm in record.vms.iter().filter(|vm| is_ours(vm)) {
			let _ = killpg(Pid::from_raw(vm.pid as i32), Signal::SIGCONT);
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
			let running = record.vms.iter().find(|r| r.name == name).cloned();
			if running.as_ref().is_some_and(|r| self.alive(contract_id, r)) {
				continue;
			}
			let Some(result) = record.workloads.iter_mut().find(|w| w.name == name) else {
				continue;
			};
			if result.state == WorkloadState::Error {
				continue;
			}
			record.vms.retain(|r| r.name != name);
			// A process that ran a good while had a clean run: its count starts again.
			let mut restarts = result.data["restarts"].as_u64().unwrap_or(0);
			if let Some(old) = &running {
				if gridchain_sdk::agent::now_secs().saturating_sub(old.started_at) >= STABLE_SECS {
					restarts = 0;
				}
				// The group leader is gone; whatever it left in its group goes too.
				if start_ticks(old.pid).is_none() {
					let _ = killpg(Pid::from_raw(old.pid as i32), Signal::SIGKILL);
				}
			}
			if restarts >= MAX_RESTARTS {
				let log = self.log_path(contract_id, &name);
				tracing::warn!(contract_id, workload = %name, "the VM's process keeps exiting; giving up");
				result.state = WorkloadState::Error;
				result.message = format!(
					"the entrypoint exited {restarts} times in a row; not restarted again (see {})",
					log.display()
				);
				changed = true;
				continue;
			}
			tracing::warn!(contract_id, workload = %name, "the VM's process is gone; restarting it");
			match self.start_vm(contract_id, &name, &vm) {
				Ok((started, note)) => {
					result.message = format!("restarted; {note}");
					result.data["pid"] = started.pid.into();
					record.vms.push(started);
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
