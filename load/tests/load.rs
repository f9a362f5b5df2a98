//! `grid-load` against a real `gridchain-node --dev` with its 6 s Aura blocks: a small run of the
//! four kinds, checked from its JSON report; and a wrong argument refused with exit code 2.

use serde_json::Value;
use std::{
	net::TcpListener,
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A binary of the workspace beside this test's own (`target/debug/NAME`).
fn target_bin(name: &str) -> PathBuf {
	let exe = std::env::current_exe().expect("test binary path");
	let dir = exe.parent().and_then(|deps| deps.parent()).expect("target dir");
	let bin = dir.join(name);
	assert!(bin.exists(), "{} is missing: build it with `cargo build --workspace`", bin.display());
	bin
}

struct Node(Child);

impl Drop for Node {
	fn drop(&mut self) {
		let _ = self.0.kill();
		let _ = self.0.wait();
	}
}

fn grid_load(url: &str, args: &[&str]) -> std::process::Output {
	Command::new(env!("CARGO_BIN_EXE_grid-load"))
		.args(["--url", url])
		.args(args)
		.output()
		.expect("grid-load runs")
}

#[test]
fn a_small_run_includes_every_transaction_and_reports_each_kind() {
	let port = TcpListener::bind("127.0.0.1:0")
		.and_then(|l| l.local_addr())
		.map(|a| a.port())
		.expect("a free port");
	let log = std::env::temp_dir().join(format!("grid-load-node-{port}.log"));
	let _node = Node(
		Command::new(target_bin("gridchain-node"))
			.args(["--dev", "--tmp", "--rpc-port", &port.to_string()])
			.args(["--listen-addr", "/ip4/127.0.0.1/tcp/0", "--no-prometheus", "--no-telemetry"])
			.stdout(Stdio::null())
			.stderr(std::fs::File::create(&log).expect("log file"))
			.spawn()
			.expect("gridchain-node starts"),
	);
	let url = format!("ws://127.0.0.1:{port}");

	let deadline = Instant::now() + Duration::from_secs(240);
	let output = loop {
		let output = grid_load(
			&url,
			&["--senders", "4", "--transfers", "30", "--contracts", "30"]
				.iter()
				.chain(&["--report-calls", "2", "--stall-secs", "60", "--json"])
				.copied()
				.collect::<Vec<_>>(),
		);
		let refused_connection =
			String::from_utf8_lossy(&output.stderr).contains("cannot reach the chain");
		if output.status.success() || !refused_connection || Instant::now() > deadline {
			break output;
		}
		std::thread::sleep(Duration::from_secs(1));
	};
	assert!(
		output.status.success(),
		"grid-load failed: {}\n(node log: {})",
		String::from_utf8_lossy(&output.stderr),
		log.display()
	);
	let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
	assert_eq!(report["block_time_ms"], 6000);
	let phases = report["phases"].as_array().expect("phases");
	let kinds: Vec<&str> = phases.iter().map(|p| p["kind"].as_str().expect("kind")).collect();
	assert_eq!(
		kinds,
		["transfer", "create_node_contract", "confirm_deployment", "report_consumption"]
	);
	for (phase, sent) in phases.iter().zip([30, 30, 30, 2]) {
		assert_eq!(phase["sent"], sent, "{phase}");
		assert_eq!(phase["refused"], 0, "{phase}");
		assert_eq!(phase["included"], sent, "{phase}");
		let counts: Vec<u64> = phase["per_block_counts"]
			.as_array()
			.expect("counts")
			.iter()
			.map(|c| c.as_u64().expect("a count"))
			.collect();
		assert_eq!(counts.iter().sum::<u64>(), sent, "{phase}");
		assert_eq!(counts.len() as u64, phase["blocks"].as_u64().expect("blocks"));
		assert!(phase["per_second"].as_f64().expect("rate") > 0.0, "{phase}");
		assert!(phase["ceiling"]["per_block"].as_u64().expect("ceiling") > 0, "{phase}");
		assert!(phase["ceiling"]["ref_time"].as_u64().expect("weight") > 0, "{phase}");
		// Each block the phase used was charged weight, and the budget over the mean charged
		// in the fullest block fits at least what that block held.
		let weights = phase["per_block_weight_ms"].as_array().expect("weights");
		assert_eq!(weights.len(), counts.len(), "{phase}");
		assert!(weights.iter().all(|w| w.as_f64().expect("ms") > 0.0), "{phase}");
		let charged = phase["ceiling"]["per_block_charged"].as_u64().expect("charged");
		assert!(charged >= phase["max_per_block"].as_u64().expect("most"), "{phase}");
	}
	// A report batch is refunded to the records it read: by what blocks were charged, more fit a
	// block than by the weight it is charged before it runs.
	assert!(
		phases[3]["ceiling"]["per_block_charged"].as_u64()
			> phases[3]["ceiling"]["per_block"].as_u64(),
		"{}",
		phases[3]
	);
	assert_eq!(phases[0]["ratio_to_transfers"], 1.0);
	// Two calls of 30 reports, all accepted: each contract was confirmed, and each report bills
	// what its contract declares.
	assert_eq!(phases[3]["items_accepted"], 60);
	// A contract creation weighs more than a transfer: fewer fit a block.
	assert!(
		phases[1]["ceiling"]["per_block"].as_u64() < phases[0]["ceiling"]["per_block"].as_u64()
	);
}

#[test]
fn a_wrong_argument_is_named_and_exits_2() {
	let output = grid_load("ws://127.0.0.1:1", &["--senders", "0"]);
	assert_eq!(output.status.code(), Some(2));
	assert!(String::from_utf8_lossy(&output.stderr).contains("--senders"));
	let output = grid_load("ws://127.0.0.1:1", &["--data-bytes", "9000"]);
	assert_eq!(output.status.code(), Some(2));
	assert!(String::from_utf8_lossy(&output.stderr).contains("--data-bytes"));
	// A node holds at most 500 live node contracts.
	let output = grid_load("ws://127.0.0.1:1", &["--contracts", "501"]);
	assert_eq!(output.status.code(), Some(2));
	assert!(String::from_utf8_lossy(&output.stderr).contains("--contracts"));
}
