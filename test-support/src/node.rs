//! A `gridchain-node` process on a free loopback port, its output in a log file, killed on drop.

use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
};

/// A free loopback port, as the system picks it.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free port")
}

/// A running node, killed on drop.
pub struct NodeProcess {
	child: Child,
	/// Its RPC port on 127.0.0.1.
	pub port: u16,
	/// Where its output goes.
	pub log: PathBuf,
}

impl NodeProcess {
	/// Its RPC endpoint, `ws://127.0.0.1:PORT`.
	pub fn url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.port)
	}

	/// Kill it with SIGKILL and wait for it.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}

	/// Stop it with SIGTERM (`kill -TERM`), as an operator would, and wait up to a minute for
	/// it to exit.
	pub fn terminate(&mut self) {
		let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
		while std::time::Instant::now() < deadline {
			if let Ok(Some(_)) = self.child.try_wait() {
				return;
			}
			std::thread::sleep(std::time::Duration::from_millis(100));
		}
	}
}

impl Drop for NodeProcess {
	fn drop(&mut self) {
		self.kill();
	}
}

/// Start `binary ARGS` with RPC on a free loopback port and p2p on loopback only, no telemetry,
/// Prometheus or mDNS; its output goes to `log`. It returns at once: the caller waits for the
/// RPC as its client does.
pub fn start_node(binary: &Path, args: &[&str], log: &Path) -> NodeProcess {
	start_node_on(binary, args, free_port(), log)
}

/// [`start_node`] on RPC port `port`.
pub fn start_node_on(binary: &Path, args: &[&str], port: u16, log: &Path) -> NodeProcess {
	let log_file = std::fs::File::create(log).expect("log file");
	let child = Command::new(binary)
		.args(args)
		.args(["--rpc-port", &port.to_string()])
		.args([
			"--listen-addr",
			"/ip4/127.0.0.1/tcp/0",
			"--no-prometheus",
			"--no-telemetry",
			"--no-mdns",
		])
		.stdout(Stdio::null())
		.stderr(Stdio::from(log_file))
		.spawn()
		.unwrap_or_else(|e| panic!("{} does not start: {e}", binary.display()));
	NodeProcess { child, port, log: log.to_path_buf() }
}
