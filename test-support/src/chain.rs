//! A real `gridchain-node --dev --tmp` and the real `grid` binary, driven as a user drives them.

use crate::{node_binary, start_node, target_bin, NodeProcess};
use serde_json::Value;
use std::{
	path::{Path, PathBuf},
	process::Command,
	time::{Duration, Instant},
};

/// A running dev node, killed on drop.
pub struct Chain {
	/// The node itself, killed on drop.
	pub node: NodeProcess,
	pub url: String,
	/// A folder for this test's files, and its `grid` config home.
	pub dir: tempfile::TempDir,
}

impl Chain {
	/// Start a throw-away dev chain with instant sealing; returns once `grid` can talk to it.
	pub fn start() -> Chain {
		Chain::start_sealing("instant")
	}

	/// Start a throw-away dev chain sealing `instant`, `manual` (blocks on `engine_createBlock`)
	/// or `aura` (a block every 6 s, finalized by GRANDPA, as a real chain).
	pub fn start_sealing(sealing: &str) -> Chain {
		let dir = tempfile::tempdir().expect("temp dir");
		let mut args = vec!["--dev", "--tmp"];
		if sealing != "aura" {
			args.extend(["--sealing", sealing]);
		}
		// Every block's state stays readable: the indexer reads old blocks.
		args.extend(["--state-pruning", "archive"]);
		let node = start_node(&node_binary(), &args, &dir.path().join("node.log"));
		let chain = Chain { url: node.url(), node, dir };
		let deadline = Instant::now() + Duration::from_secs(180);
		loop {
			let out = chain.grid("//Alice", &["balance"]);
			if out.code == 0 {
				return chain;
			}
			assert!(Instant::now() < deadline, "the node never answered: {}", out.stderr);
			std::thread::sleep(Duration::from_millis(300));
		}
	}

	/// Run `grid ARGS` with `--key KEY` against this chain.
	pub fn grid(&self, key: &str, args: &[&str]) -> Run {
		self.grid_env(key, args, &[])
	}

	/// Run `grid` with extra environment variables.
	pub fn grid_env(&self, key: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
		let mut command = Command::new(target_bin("grid"));
		command.args(["--url", &self.url]).env("XDG_CONFIG_HOME", self.dir.path().join("config"));
		command.env_remove("GRID_MNEMONIC");
		if !key.is_empty() {
			command.args(["--key", key]);
		}
		command.args(args);
		for (k, v) in env {
			command.env(k, v);
		}
		let out = command.output().expect("grid runs");
		Run {
			code: out.status.code().unwrap_or(-1),
			stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
			stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
			args: args.iter().map(|a| a.to_string()).collect(),
		}
	}

	/// `grid --json ARGS`, which must succeed; its output parsed.
	pub fn json(&self, key: &str, args: &[&str]) -> Value {
		let mut all = vec!["--json"];
		all.extend_from_slice(args);
		let run = self.grid(key, &all);
		run.ok();
		serde_json::from_str(&run.stdout)
			.unwrap_or_else(|e| panic!("grid {:?} printed no JSON ({e}): {}", run.args, run.stdout))
	}

	/// A path in the test's folder.
	pub fn path(&self, name: &str) -> PathBuf {
		self.dir.path().join(name)
	}

	/// Alice farms: farm 1 with `ips` public IPs 185.206.122.33, .34, …
	pub fn grid_with_a_farm(ips: u8) -> Chain {
		let chain = Chain::start();
		chain.grid("//Alice", &["twin", "create"]).ok();
		chain.grid("//Alice", &["farm", "create", "farm-one"]).ok();
		for i in 0..ips {
			let ip = format!("185.206.122.{}/24", 33 + i);
			chain.grid("//Alice", &["farm", "add-ip", "1", &ip, "185.206.122.1"]).ok();
		}
		chain
	}

	/// A farm (as `grid_with_a_farm`), and Bob's twin is node 1 on it with 8 vCPUs, 32 GiB of
	/// memory and 1000 GiB of SSD, in Ghent.
	pub fn grid_with_a_node(ips: u8) -> Chain {
		let chain = Chain::grid_with_a_farm(ips);
		chain.grid("//Bob", &["twin", "create", "--relay", "http://127.0.0.1:1"]).ok();
		chain.register_node("//Bob");
		chain
	}

	/// Write a VM deployment for `key`'s twin: 2 vCPUs, 4 GiB, a 50 GiB disk and, if asked, a
	/// public IP. Returns its path.
	pub fn new_deployment(&self, key: &str, name: &str, public_ip: bool) -> PathBuf {
		let path = self.path(&format!("{name}.json"));
		let path_text = path.to_string_lossy().to_string();
		let mut args = vec![
			"deployment",
			"new",
			"--name",
			name,
			"--image",
			"docker.io/library/nginx:1.27",
			"--cpu",
			"2",
			"--memory",
			"4G",
			"--disk",
			"50G",
			"--env",
			"TZ=UTC",
			"--entrypoint",
			"nginx -g 'daemon off;'",
			"-o",
			&path_text,
		];
		if public_ip {
			args.push("--public-ip");
		}
		self.grid(key, &args).ok();
		path
	}

	/// The ids of every live contract of `key`'s twin.
	pub fn contract_ids(&self, key: &str) -> Vec<u64> {
		self.json(key, &["contract", "list"])
			.as_array()
			.expect("a list")
			.iter()
			.map(|c| c["id"].as_u64().expect("id"))
			.collect()
	}

	/// `key`'s twin registers a node on farm 1: 8 vCPUs, 32 GiB of memory, 1000 GiB of SSD, in
	/// Ghent.
	pub fn register_node(&self, key: &str) {
		let spec =
			["--cru", "8", "--mru", "32G", "--sru", "1000G", "--country", "BE", "--city", "Ghent"];
		self.grid(key, &[&["node", "create", "--farm", "1"][..], &spec].concat()).ok();
	}

	/// The ids of every live contract of twin `twin`.
	pub fn contract_ids_of_twin(&self, twin: u32) -> Vec<u64> {
		self.json("//Alice", &["contract", "list", "--twin", &twin.to_string()])
			.as_array()
			.expect("a list")
			.iter()
			.map(|c| c["id"].as_u64().expect("id"))
			.collect()
	}

	/// Free IPs of farm 1.
	pub fn free_ips(&self) -> usize {
		self.json("//Alice", &["farm", "ips", "1", "--free"]).as_array().expect("a list").len()
	}
}

/// One run of `grid`.
pub struct Run {
	pub code: i32,
	pub stdout: String,
	pub stderr: String,
	pub args: Vec<String>,
}

impl Run {
	/// It succeeded.
	pub fn ok(&self) -> &Run {
		assert_eq!(self.code, 0, "grid {:?} failed:\n{}{}", self.args, self.stdout, self.stderr);
		self
	}

	/// It failed with `code` and said `text` on stderr.
	pub fn fails(&self, code: i32, text: &str) -> &Run {
		assert_eq!(
			self.code, code,
			"grid {:?}: exit {} (expected {code}):\n{}{}",
			self.args, self.code, self.stdout, self.stderr
		);
		assert!(
			self.stderr.contains(text),
			"grid {:?}: stderr lacks `{text}`:\n{}",
			self.args,
			self.stderr
		);
		self
	}
}

/// Read a JSON file.
pub fn read_json(path: &Path) -> Value {
	serde_json::from_slice(&std::fs::read(path).expect("file")).expect("JSON")
}

/// Run `grid ARGS` without a node, as a user whose umask is `umask` (e.g. `022`), with
/// `config_home` as XDG_CONFIG_HOME and no GRID_MNEMONIC: what `grid` does on this machine alone
/// (keys, documents). `--url` names a closed port, so a command that reaches for a chain fails.
pub fn grid_offline(config_home: &Path, umask: &str, args: &[&str]) -> Run {
	let out = Command::new("sh")
		.arg("-c")
		.arg(format!("umask {umask} && exec \"$0\" \"$@\""))
		.arg(target_bin("grid"))
		.args(["--url", "ws://127.0.0.1:1"])
		.args(args)
		.env("XDG_CONFIG_HOME", config_home)
		.env_remove("GRID_MNEMONIC")
		.output()
		.expect("grid runs");
	Run {
		code: out.status.code().unwrap_or(-1),
		stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
		stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
		args: args.iter().map(|a| a.to_string()).collect(),
	}
}

/// A file's permission bits (`0o600`); a symlink's own.
pub fn file_mode(path: &Path) -> u32 {
	use std::os::unix::fs::PermissionsExt;
	std::fs::symlink_metadata(path).expect("file").permissions().mode() & 0o777
}
