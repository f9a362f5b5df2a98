//! What the indexer's tests start: a real PostgreSQL server in a temp dir, and the real
//! `grid-indexer` binary, polled through `/health` and queried through GraphQL.

use serde_json::Value;
use std::{
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

pub use crate::{env_num, free_port};

/// A PostgreSQL server of its own: `initdb` into a temp dir, listening on a free loopback port,
/// stopped on drop. Debian's `postgresql` package (`scripts/setup.sh` installs it); the binaries
/// are found in `GRIDCHAIN_PG_BIN` or `/usr/lib/postgresql/<newest>/bin`. As root the server
/// runs as the `postgres` user, since PostgreSQL refuses to run as root.
pub struct Postgres {
	dir: tempfile::TempDir,
	bin: PathBuf,
	pub port: u16,
	as_postgres: bool,
}

fn pg_bin_dir() -> PathBuf {
	if let Some(dir) = std::env::var_os("GRIDCHAIN_PG_BIN") {
		return PathBuf::from(dir);
	}
	let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
		.expect("PostgreSQL is installed (/usr/lib/postgresql): run ./scripts/setup.sh")
		.filter_map(|e| e.ok())
		.filter_map(|e| {
			let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
			Some((v, e.path().join("bin")))
		})
		.filter(|(_, bin)| bin.join("initdb").exists())
		.collect();
	versions.sort();
	versions.pop().expect("a PostgreSQL server under /usr/lib/postgresql").1
}

fn is_root() -> bool {
	Command::new("id")
		.arg("-u")
		.output()
		.map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
		.unwrap_or(false)
}

impl Postgres {
	pub fn start() -> Postgres {
		let bin = pg_bin_dir();
		let dir = tempfile::tempdir().expect("temp dir");
		let as_postgres = is_root();
		if as_postgres {
			let ok = Command::new("chown")
				.args(["-R", "postgres:postgres"])
				.arg(dir.path())
				.status()
				.expect("chown")
				.success();
			assert!(ok, "chown the PostgreSQL dir to postgres");
		}
		let pg = Postgres { dir, bin, port: free_port(), as_postgres };
		let data = pg.data_dir();
		pg.run(
			"initdb",
			&[
				"-D",
				&data,
				"-A",
				"trust",
				"-U",
				"grid",
				"-E",
				"UTF8",
				"--no-sync",
				"--no-instructions",
			],
		);
		let options = format!(
			"-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off",
			pg.port,
			pg.dir.path().display()
		);
		let log = pg.dir.path().join("postgres.log").display().to_string();
		pg.run("pg_ctl", &["-D", &data, "-l", &log, "-o", &options, "-w", "-t", "60", "start"]);
		pg
	}

	fn data_dir(&self) -> String {
		self.dir.path().join("data").display().to_string()
	}

	fn command(&self, tool: &str) -> Command {
		let tool = self.bin.join(tool);
		if self.as_postgres {
			let mut c = Command::new("runuser");
			c.args(["-u", "postgres", "--"]).arg(tool);
			c
		} else {
			Command::new(tool)
		}
	}

	fn run(&self, tool: &str, args: &[&str]) {
		let out = self.command(tool).args(args).output().expect(tool);
		assert!(
			out.status.success(),
			"{tool} {args:?} failed: {}{}",
			String::from_utf8_lossy(&out.stdout),
			String::from_utf8_lossy(&out.stderr)
		);
	}

	/// A new, empty database; its URL.
	pub fn database(&self, name: &str) -> String {
		let port = self.port.to_string();
		self.run("createdb", &["-h", "127.0.0.1", "-p", &port, "-U", "grid", name]);
		format!("postgres://grid@127.0.0.1:{}/{name}", self.port)
	}
}

impl Drop for Postgres {
	fn drop(&mut self) {
		let data = self.data_dir();
		let _ = self.command("pg_ctl").args(["-D", &data, "-m", "immediate", "stop"]).output();
	}
}

/// A running `grid-indexer`, killed on drop.
pub struct Indexer {
	child: Option<Child>,
	pub port: u16,
	args: Vec<String>,
	log: PathBuf,
}

impl Indexer {
	/// Start `grid-indexer --chain CHAIN --database DATABASE` with `extra` arguments, on a port
	/// the system picks (read back from its log, so two tests never race for one).
	pub fn start(chain: &str, database: &str, log_dir: &Path, extra: &[&str]) -> Indexer {
		let mut args = vec![
			"--chain".to_string(),
			chain.to_string(),
			"--database".into(),
			database.to_string(),
			"--listen".into(),
			"127.0.0.1:0".into(),
		];
		args.extend(extra.iter().map(|s| s.to_string()));
		let log = tempfile::Builder::new()
			.prefix("indexer-")
			.suffix(".log")
			.tempfile_in(log_dir)
			.expect("log file")
			.into_temp_path()
			.keep()
			.expect("log kept");
		let mut indexer = Indexer { child: None, port: 0, args, log };
		indexer.spawn();
		indexer
	}

	fn spawn(&mut self) {
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(&self.log)
			.expect("indexer log");
		let child = Command::new(crate::target_bin("grid-indexer"))
			.args(&self.args)
			.env("RUST_LOG", "grid_indexer=debug")
			.stdout(Stdio::null())
			.stderr(Stdio::from(log))
			.spawn()
			.expect("grid-indexer starts");
		self.child = Some(child);
		let deadline = Instant::now() + Duration::from_secs(60);
		// Each start logs its address once; the newest line is this start's.
		let said = self.log_text().matches("GraphQL on http://").count();
		loop {
			let log = self.log_text();
			if log.matches("GraphQL on http://").count() > said {
				let addr = log.rsplit("GraphQL on http://").next().unwrap_or("");
				let port = addr.split('/').next().and_then(|a| a.rsplit(':').next());
				self.port = port.and_then(|p| p.parse().ok()).expect("the port in the log");
				break;
			}
			assert!(Instant::now() < deadline, "the indexer never listened: {log}");
			std::thread::sleep(Duration::from_millis(20));
		}
		while self.health().is_none() {
			assert!(Instant::now() < deadline, "the indexer never answered: {}", self.log_text());
			std::thread::sleep(Duration::from_millis(50));
		}
	}

	pub fn log_text(&self) -> String {
		std::fs::read_to_string(&self.log).unwrap_or_default()
	}

	/// `/health` as JSON, `None` while it does not answer.
	pub fn health(&self) -> Option<Value> {
		http_get(self.port, "/health").and_then(|(_, body)| serde_json::from_str(&body).ok())
	}

	pub fn indexed_height(&self) -> i64 {
		self.health().and_then(|h| h["indexed_height"].as_i64()).unwrap_or(-1)
	}

	/// Wait until block `height` is committed.
	pub fn wait_for(&self, height: u64) {
		let deadline = Instant::now() + Duration::from_secs(180);
		while self.indexed_height() < height as i64 {
			assert!(
				Instant::now() < deadline,
				"the indexer did not reach block {height}: {:?}\n{}",
				self.health(),
				self.log_text()
			);
			std::thread::sleep(Duration::from_millis(100));
		}
	}

	/// A GraphQL query's `data`; panics on GraphQL errors.
	pub fn query(&self, query: &str) -> Value {
		let response = self.query_raw(query);
		assert!(response.get("errors").is_none(), "GraphQL errors for {query}: {response}");
		response["data"].clone()
	}

	/// A GraphQL query's whole response.
	pub fn query_raw(&self, query: &str) -> Value {
		let body = serde_json::json!({ "query": query }).to_string();
		let (_, text) = http_post(self.port, "/graphql", &body).expect("the indexer answers");
		serde_json::from_str(&text).expect("JSON")
	}

	pub fn metrics(&self) -> String {
		http_get(self.port, "/metrics").map(|(_, b)| b).unwrap_or_default()
	}

	/// SIGTERM and wait.
	pub fn stop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
			let _ = child.wait();
		}
	}

	/// SIGKILL and wait.
	pub fn kill9(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	/// Start again with the same arguments.
	pub fn restart(&mut self) {
		self.spawn();
	}
}

impl Drop for Indexer {
	fn drop(&mut self) {
		self.kill9();
	}
}

fn http(port: u16, request: String) -> Option<(u16, String)> {
	use std::io::{Read, Write};
	let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
	stream.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
	stream.write_all(request.as_bytes()).ok()?;
	let mut response = String::new();
	stream.read_to_string(&mut response).ok()?;
	let (head, body) = response.split_once("\r\n\r\n")?;
	let code = head.split_whitespace().nth(1)?.parse().ok()?;
	let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
		dechunk(body)
	} else {
		body.to_string()
	};
	Some((code, body))
}

fn dechunk(mut body: &str) -> String {
	let mut out = String::new();
	while let Some((size, rest)) = body.split_once("\r\n") {
		let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
		if size == 0 || rest.len() < size {
			break;
		}
		out.push_str(&rest[..size]);
		body = rest[size..].trim_start_matches("\r\n");
	}
	out
}

pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
	http(port, format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
}

pub fn http_post(port: u16, path: &str, body: &str) -> Option<(u16, String)> {
	http(
		port,
		format!(
			"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
			body.len()
		),
	)
}

/// Seal and finalize one block on a `--sealing manual` chain.
pub async fn create_block(client: &gridchain_sdk::Client) {
	let _: Value = client
		.rpc()
		.request("engine_createBlock", subxt::rpcs::rpc_params![true, true, Option::<String>::None])
		.await
		.expect("engine_createBlock");
}

/// The best block's number.
pub async fn best_number(client: &gridchain_sdk::Client) -> u64 {
	let header: Value =
		client.rpc().request("chain_getHeader", subxt::rpcs::rpc_params![]).await.expect("header");
	let hex = header["number"].as_str().expect("number").trim_start_matches("0x");
	u64::from_str_radix(hex, 16).expect("hex number")
}
