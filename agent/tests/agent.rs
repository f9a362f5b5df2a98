//! `grid-agent` end to end: the real `gridchain-node --sealing instant`, the real agent and the
//! real `grid`, plus signed requests made by hand for the refusals.

#[path = "../../cli/tests/common/mod.rs"]
mod common;

use common::*;
use gridchain_sdk::{
	agent::{request_message, AgentClient, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_TWIN},
	chain,
	deployment::{Deployment, Signature, SignatureRequest},
	Client, ContractState, Error, Identity,
};
use std::{
	io::{Read, Write},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// A running agent for Bob's node, killed on drop.
struct Agent {
	child: Option<Child>,
	port: u16,
	config: PathBuf,
	data_dir: PathBuf,
}

impl Agent {
	/// Write a config for Bob's node on farm 1 (8 vCPUs, 32 GiB, 1000 GiB SSD, reports every 2 s)
	/// and start the agent.
	fn start(chain: &Chain, provisioner: &str) -> Agent {
		let port = std::net::TcpListener::bind("127.0.0.1:0")
			.and_then(|l| l.local_addr())
			.map(|a| a.port())
			.expect("port");
		let data_dir = chain.path("agent");
		let config = chain.path("grid-agent.toml");
		std::fs::write(
			&config,
			format!(
				r#"url = "{url}"
key = "//Bob"
farm_id = 1
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"
data_dir = "{dir}"
report_interval_secs = 2
provisioner = "{provisioner}"
[location]
country = "BE"
city = "Ghent"
[capacity]
cru = 8
mru = 34359738368
sru = 1073741824000
hru = 0
"#,
				url = chain.url,
				dir = data_dir.display()
			),
		)
		.expect("config");
		let mut agent = Agent { child: None, port, config, data_dir };
		agent.restart();
		agent
	}

	/// (Re)start the agent process and wait until it answers.
	fn restart(&mut self) {
		std::fs::create_dir_all(&self.data_dir).expect("data dir");
		let log = std::fs::OpenOptions::new()
			.create(true)
			.append(true)
			.open(self.data_dir.join("agent.log"))
			.expect("log");
		let child = Command::new(target_bin("grid-agent"))
			.args(["run", "--config"])
			.arg(&self.config)
			.stdout(Stdio::null())
			.stderr(Stdio::from(log))
			.spawn()
			.expect("grid-agent starts");
		self.child = Some(child);
		let deadline = Instant::now() + Duration::from_secs(60);
		while http(self.port, "GET", "/v1/health", &[], b"").0 != 200 {
			assert!(
				Instant::now() < deadline,
				"the agent never answered; see {}",
				self.data_dir.join("agent.log").display()
			);
			std::thread::sleep(Duration::from_millis(200));
		}
	}

	/// Kill the agent with SIGKILL.
	fn kill9(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}

	fn url(&self) -> String {
		format!("http://127.0.0.1:{}", self.port)
	}

	/// A counter or gauge from `/metrics`.
	fn metric(&self, name: &str) -> u64 {
		let (_, text) = http(self.port, "GET", "/metrics", &[], b"");
		text.lines()
			.find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
			.unwrap_or_else(|| panic!("no metric {name} in {text}"))
	}
}

impl Drop for Agent {
	fn drop(&mut self) {
		self.kill9();
	}
}

/// A plain HTTP/1.1 request to the agent: (status, body).
fn http(
	port: u16,
	method: &str,
	path: &str,
	headers: &[(&str, String)],
	body: &[u8],
) -> (u16, String) {
	let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
		return (0, String::new());
	};
	let mut request = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
	for (k, v) in headers {
		request.push_str(&format!("{k}: {v}\r\n"));
	}
	request.push_str("\r\n");
	if stream.write_all(request.as_bytes()).and_then(|()| stream.write_all(body)).is_err() {
		return (0, String::new());
	}
	let mut response = String::new();
	let _ = stream.read_to_string(&mut response);
	let status = response.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
	let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
	(status, body)
}

/// Wait until `check` holds, at most `secs` seconds.
fn eventually(secs: u64, what: &str, mut check: impl FnMut() -> bool) {
	let deadline = Instant::now() + Duration::from_secs(secs);
	while !check() {
		assert!(Instant::now() < deadline, "timed out waiting for: {what}");
		std::thread::sleep(Duration::from_millis(250));
	}
}

fn identity(uri: &str) -> Identity {
	Identity::from_uri(uri).expect("dev identity")
}

/// `doc` with its signatures replaced by those of `signers` (identity, twin).
fn signed(mut doc: Deployment, signers: &[(&Identity, u32)]) -> Deployment {
	doc.signature_requirement.signatures.clear();
	let hash = doc.hash().expect("hash");
	for (who, twin) in signers {
		doc.add_signature(Signature::sr25519(*twin, who.sign(&hash.0)));
	}
	doc
}

fn read_doc(path: &std::path::Path) -> Deployment {
	Deployment::from_json(&std::fs::read(path).expect("file")).expect("document")
}

/// Create a node contract for `doc` on node 1 as `owner`, reserving `ips`; returns `doc` with its
/// contract id.
async fn contract_for(client: &Client, owner: &Identity, doc: Deployment, ips: u32) -> Deployment {
	contract_on(client, owner, 1, doc, ips).await
}

/// Create a node contract for `doc` on `node` as `owner`, reserving `ips`.
async fn contract_on(
	client: &Client,
	owner: &Identity,
	node: u32,
	mut doc: Deployment,
	ips: u32,
) -> Deployment {
	let sealed = client.seal_deployment(&doc, &[]).await.expect("sealed");
	let created = client
		.create_node_contract(owner.keypair(), node, sealed.hash, sealed.data, ips)
		.await
		.expect("contract");
	doc.contract_id = created.contract_id;
	doc
}

/// `who` (twin `twin`) sends `doc` to the agent, which refuses it with `code` and neither
/// provisions nor confirms anything.
async fn deploy_refused(
	client: &Client,
	agent: &Agent,
	who: &Identity,
	twin: u32,
	doc: &Deployment,
	code: &str,
) {
	let result = AgentClient::new(&agent.url()).deploy(who, twin, doc).await;
	assert_refused(client, agent, result, code, doc.contract_id).await;
}

/// The agent refused with `code`, and the contract was neither deployed nor confirmed.
async fn assert_refused(
	client: &Client,
	agent: &Agent,
	result: gridchain_sdk::Result<impl std::fmt::Debug>,
	code: &str,
	contract_id: u64,
) {
	match result {
		Err(Error::Agent { code: got, message }) => {
			assert_eq!(got, code, "refused with {got}: {message}")
		}
		other => panic!("expected the refusal {code}, got {other:?}"),
	}
	assert_eq!(
		client.contract(contract_id).await.expect("contract").state,
		ContractState::Created,
		"nothing confirmed"
	);
	assert_eq!(
		http(agent.port, "GET", &format!("/v1/deployments/{contract_id}"), &[], b"").0,
		401,
		"unsigned reads are refused"
	);
	let charlie = identity("//Charlie");
	let status = AgentClient::new(&agent.url()).status(&charlie, 3, contract_id).await;
	assert!(
		matches!(status, Err(Error::Agent { ref code, .. }) if code == "NotDeployed"),
		"nothing provisioned: {status:?}"
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_with_a_disk_and_a_public_ip_is_deployed_confirmed_reported_billed_and_removed() {
	let chain = Chain::grid_with_a_farm(1);
	let agent = Agent::start(&chain, "process");
	// The agent registered Bob's twin (relay = its URL) and node 1.
	let node = chain.json("//Alice", &["node", "show", "1"]);
	assert_eq!(node["node"]["twin_id"], 2);
	assert_eq!(chain.json("//Alice", &["twin", "show", "2"])["relay"], agent.url());

	chain.grid("//Charlie", &["twin", "create"]).ok();
	let file = chain.path("web.json");
	let file_text = file.to_string_lossy().to_string();
	chain
		.grid(
			"//Charlie",
			&[
				"deployment",
				"new",
				"--name",
				"web",
				"--image",
				"busybox",
				"--cpu",
				"2",
				"--memory",
				"1G",
				"--disk",
				"2G",
				"--public-ip",
				"--entrypoint",
				"sleep 600",
				"-o",
				&file_text,
			],
		)
		.ok();
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let deployed = chain.json("//Charlie", &["contract", "deploy", "--node", "1", &file_text]);
	let id = deployed["contract"]["contract_id"].as_u64().expect("id");
	assert_eq!(
		chain.json("//Charlie", &["contract", "show", &id.to_string()])["state"],
		"deployed"
	);

	// What the node did: a process, a disk file of its size, the contract's IP.
	let status = chain.json("//Charlie", &["deployment", "status", &id.to_string()]);
	let workloads = status["workloads"].as_array().expect("workloads");
	assert!(workloads.iter().all(|w| w["state"] == "ok"), "{workloads:?}");
	let vm = workloads.iter().find(|w| w["name"] == "web").expect("vm");
	assert_eq!(vm["data"]["public_ip"], "185.206.122.33/24");
	let message = vm["message"].as_str().expect("message");
	assert!(
		message.contains("limited to 2 vCPU") || message.contains("without limits: "),
		"{message}"
	);
	let pid = vm["data"]["pid"].as_u64().expect("pid");
	assert!(PathBuf::from(format!("/proc/{pid}")).exists(), "the VM's process runs");
	let disk = agent.data_dir.join(format!("disks/{id}-web_data.img"));
	let disk_file = std::fs::metadata(&disk).expect("disk file");
	assert_eq!(disk_file.len(), 2 << 30);
	use std::os::unix::fs::MetadataExt;
	assert!(disk_file.blocks() * 512 >= 2 << 30, "the disk's blocks are allocated, not sparse");

	// Reports arrive and the owner is billed.
	eventually(60, "a report taken by the chain", || {
		agent.metric("grid_agent_reports_sent_total") >= 1
	});
	eventually(90, "a bill", || {
		let bills =
			chain.json("//Charlie", &["contract", "bills", &id.to_string(), "--blocks", "200"]);
		bills["bills"]
			.as_array()
			.is_some_and(|b| b.iter().any(|b| b["amount"].as_u64().unwrap_or(0) > 0))
	});
	assert_eq!(agent.metric("grid_agent_reports_rejected_total"), 0);
	// Each report is charged exactly SPEC §5.3 for its window: 2 vCPUs, 1 GiB, 10 GiB rootfs +
	// 2 GiB SSD disk, no traffic.
	let client = Client::connect(&chain.url).await.expect("client");
	let reports = reports_of(&client, id).await;
	let used = gridchain_primitives::Resources { cru: 2, mru: 1 << 30, sru: 12 << 30, hru: 0 };
	let prices = gridchain_primitives::UnitPrices::GENESIS;
	assert!(reports.iter().any(|(_, window, _)| *window > 0), "{reports:?}");
	for (_, window, cost) in &reports {
		assert_eq!(
			*cost,
			gridchain_primitives::cost::capacity_cost(&prices, &used, *window, false),
			"window {window} s"
		);
	}

	// An update through the node: 2 GiB of memory, the disk grown to 3 GiB.
	let mut doc = read_json(&file);
	doc["version"] = 1.into();
	doc["signature_requirement"]["signatures"] = serde_json::json!([]);
	for w in doc["workloads"].as_array_mut().expect("workloads") {
		match w["name"].as_str() {
			Some("web") => w["data"]["memory"] = (2u64 << 30).into(),
			Some("web_data") => w["data"]["size"] = (3u64 << 30).into(),
			_ => continue,
		}
		w["version"] = 1.into();
	}
	std::fs::write(&file, doc.to_string()).expect("write");
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let updated =
		chain.json("//Charlie", &["contract", "update", &id.to_string(), &file_text, "--deploy"]);
	assert_eq!(updated["version"], 2);
	assert_eq!(
		chain.json("//Charlie", &["contract", "show", &id.to_string()])["state"],
		"deployed"
	);
	assert_eq!(std::fs::metadata(&disk).expect("disk file").len(), 3 << 30);
	let status = chain.json("//Charlie", &["deployment", "status", &id.to_string()]);
	let pid = status["workloads"][0]["data"]["pid"].as_u64().expect("pid of the updated VM");
	assert_eq!(status["deployment"]["version"], 1);
	// A disk never shrinks: its data would be lost.
	let mut doc = read_json(&file);
	doc["version"] = 2.into();
	doc["signature_requirement"]["signatures"] = serde_json::json!([]);
	doc["workloads"][1]["version"] = 2.into();
	doc["workloads"][1]["data"]["size"] = (1u64 << 30).into();
	std::fs::write(&file, doc.to_string()).expect("write");
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	chain
		.grid("//Charlie", &["contract", "update", &id.to_string(), &file_text, "--deploy"])
		.fails(1, "DiskShrunk");

	// Cancelled on chain: the process is gone and its disk removed.
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	eventually(30, "the process stopped", || !PathBuf::from(format!("/proc/{pid}")).exists());
	eventually(30, "the disk removed", || !disk.exists());
	let gone = AgentClient::new(&agent.url()).status(&identity("//Charlie"), 3, id).await;
	assert!(
		matches!(gone, Err(Error::Agent { ref code, .. }) if code == "NotDeployed"),
		"{gone:?}"
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_refusal_is_a_4xx_naming_the_rule_with_nothing_provisioned_or_confirmed() {
	let chain = Chain::grid_with_a_farm(1);
	let agent = Agent::start(&chain, "sim");
	for who in ["//Charlie", "//Dave", "//Eve"] {
		chain.grid(who, &["twin", "create"]).ok();
	}
	// Ferdie is node 2 on the same farm, with no agent.
	chain.grid("//Ferdie", &["twin", "create"]).ok();
	chain.register_node("//Ferdie");
	let client = Client::connect(&chain.url).await.expect("client");
	let (charlie, dave, eve) = (identity("//Charlie"), identity("//Dave"), identity("//Eve"));
	let base = read_doc(&chain.new_deployment("//Charlie", "vm", false));
	let with_ip = read_doc(&chain.new_deployment("//Charlie", "ipvm", true));

	// The hash differs: a workload tampered with after the contract was made.
	let doc = contract_for(&client, &charlie, signed(base.clone(), &[(&charlie, 3)]), 0).await;
	let mut tampered = doc.clone();
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut tampered.workloads[0].data {
		vm.cpu = 8;
	}
	let tampered = signed(tampered, &[(&charlie, 3)]);
	deploy_refused(&client, &agent, &charlie, 3, &tampered, "HashMismatch").await;

	// A bad signature.
	let mut bad = doc.clone();
	bad.signature_requirement.signatures =
		vec![Signature::sr25519(3, charlie.sign(b"something else"))];
	deploy_refused(&client, &agent, &charlie, 3, &bad, "BadSignature").await;

	// The required owner did not sign.
	let unsigned = signed(doc.clone(), &[]);
	deploy_refused(&client, &agent, &charlie, 3, &unsigned, "RequiredSignerMissing").await;

	// A contract of another node.
	let mut other = base.clone();
	other.metadata = "for node 2".into();
	let other = contract_on(&client, &charlie, 2, signed(other, &[(&charlie, 3)]), 0).await;
	deploy_refused(&client, &agent, &charlie, 3, &other, "ContractOfAnotherNode").await;

	// Another twin's contract: Dave's contract, holding the hash of Charlie's document.
	let mut theirs = base.clone();
	theirs.metadata = "dave's contract".into();
	let theirs = contract_for(&client, &dave, signed(theirs, &[(&charlie, 3)]), 0).await;
	deploy_refused(&client, &agent, &charlie, 3, &theirs, "ContractOfAnotherTwin").await;

	// Too few IPs reserved: the document has a public IP, the contract reserved none.
	let doc_ip =
		contract_for(&client, &charlie, signed(with_ip.clone(), &[(&charlie, 3)]), 0).await;
	deploy_refused(&client, &agent, &charlie, 3, &doc_ip, "NotEnoughPublicIps").await;

	// Not enough capacity: 64 vCPUs on an 8-vCPU node.
	let mut big = base.clone();
	big.metadata = "big".into();
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut big.workloads[0].data {
		vm.cpu = 64;
	}
	let big = contract_for(&client, &charlie, signed(big, &[(&charlie, 3)]), 0).await;
	deploy_refused(&client, &agent, &charlie, 3, &big, "NotEnoughCapacity").await;

	// A twin the requirement does not name may not send it.
	deploy_refused(&client, &agent, &eve, 5, &doc, "NotAllowed").await;

	// Unsigned, badly signed and replayed requests.
	let body = serde_json::to_vec(&doc).expect("json");
	let (status, answer) = http(
		agent.port,
		"POST",
		"/v1/deployments",
		&[("content-type", "application/json".into())],
		&body,
	);
	assert_eq!((status, answer.contains("\"Unsigned\"")), (401, true), "{answer}");
	let now =
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs();
	let sign = |ts: u64| {
		format!(
			"sr25519:0x{}",
			hex::encode(charlie.sign(&request_message("POST", "/v1/deployments", ts, &body)))
		)
	};
	let headers = |ts: u64, sig: String| {
		vec![
			(HEADER_TWIN, "3".to_string()),
			(HEADER_TIMESTAMP, ts.to_string()),
			(HEADER_SIGNATURE, sig),
		]
	};
	let (status, answer) =
		http(agent.port, "POST", "/v1/deployments", &headers(now - 120, sign(now - 120)), &body);
	assert_eq!((status, answer.contains("\"StaleRequest\"")), (401, true), "{answer}");
	let (status, answer) =
		http(agent.port, "POST", "/v1/deployments", &headers(now, sign(now + 1)), &body);
	assert_eq!((status, answer.contains("\"BadRequestSignature\"")), (401, true), "{answer}");
	let replayed = headers(now, sign(now));
	let (status, answer) = http(agent.port, "POST", "/v1/deployments", &replayed, &body);
	assert_eq!(status, 200, "the first sending deploys: {answer}");
	let (status, answer) = http(agent.port, "POST", "/v1/deployments", &replayed, &body);
	assert_eq!((status, answer.contains("\"ReplayedRequest\"")), (401, true), "{answer}");
	eventually(30, "the deployment confirmed", || {
		futures_lite_block(client.contract(doc.contract_id))
			.map(|c| c.state == ContractState::Deployed)
			.unwrap_or(false)
	});
	assert!(agent.metric("grid_agent_requests_refused_total") >= 12);
}

/// `(timestamp, window_secs, cost_scaled_uusd)` of every report of `contract_id` the chain took,
/// in chain order.
async fn reports_of(client: &Client, contract_id: u64) -> Vec<(u64, u64, u128)> {
	let head = client.finalized_number().await.expect("head");
	let mut reports = Vec::new();
	for number in 1..=head {
		let events = client
			.api()
			.at_block(number)
			.await
			.expect("block")
			.events()
			.fetch()
			.await
			.expect("events");
		for e in events.find::<chain::smart_contract::events::ConsumptionReportReceived>() {
			let e = e.expect("event");
			if e.contract_id == contract_id {
				reports.push((e.timestamp, e.window_secs, e.cost_scaled_uusd));
			}
		}
	}
	reports
}

/// Run a future to completion from sync code inside the multi-thread test runtime.
fn futures_lite_block<F: std::future::Future>(future: F) -> F::Output {
	tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_of_three_workload_is_deployed_with_two_signatures_and_no_update_drops_a_cosigner() {
	let chain = Chain::grid_with_a_farm(0);
	let agent = Agent::start(&chain, "sim");
	for who in ["//Charlie", "//Dave", "//Eve"] {
		chain.grid(who, &["twin", "create"]).ok();
	}
	let client = Client::connect(&chain.url).await.expect("client");
	let api = AgentClient::new(&agent.url());
	let (charlie, dave, eve) = (identity("//Charlie"), identity("//Dave"), identity("//Eve"));
	let mut doc = read_doc(&chain.new_deployment("//Charlie", "shared", false));
	doc.signature_requirement.requests =
		(3..=5).map(|twin_id| SignatureRequest { twin_id, weight: 1, required: false }).collect();
	doc.signature_requirement.weight_required = 2;
	let doc = contract_for(&client, &charlie, doc, 0).await;

	let one = signed(doc.clone(), &[(&charlie, 3)]);
	deploy_refused(&client, &agent, &charlie, 3, &one, "WeightBelowThreshold").await;
	let two = signed(doc.clone(), &[(&charlie, 3), (&eve, 5)]);
	api.deploy(&dave, 4, &two).await.expect("deployed with two of three signatures");
	client
		.wait_until_deployed(doc.contract_id, Duration::from_secs(30))
		.await
		.expect("confirmed on chain");

	// An update that makes Charlie the only signer, signed by Charlie alone: refused, since the
	// deployed requirement still wants two of three.
	let mut alone = two.clone();
	alone.version = 1;
	alone.workloads[0].version = 1;
	alone.description = "charlie alone".into();
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut alone.workloads[0].data {
		vm.cpu = 4;
	}
	alone.signature_requirement.requests =
		vec![SignatureRequest { twin_id: 3, weight: 1, required: true }];
	alone.signature_requirement.weight_required = 1;
	let alone = signed(alone, &[(&charlie, 3)]);
	let hash = alone.hash().expect("hash");
	client
		.update_node_contract(charlie.keypair(), doc.contract_id, hash.0, vec![0; 16])
		.await
		.expect("contract updated");
	match api.update(&charlie, 3, &alone).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "PreviousWeightBelowThreshold"),
		other => panic!("expected PreviousWeightBelowThreshold, got {other:?}"),
	}
	// With Dave still named (not required) and signing, two of the old three agree: it goes through.
	let mut agreed = alone;
	agreed.signature_requirement.requests.push(SignatureRequest {
		twin_id: 4,
		weight: 1,
		required: false,
	});
	let agreed = signed(agreed, &[(&charlie, 3), (&dave, 4)]);
	let hash = agreed.hash().expect("hash");
	client
		.update_node_contract(charlie.keypair(), doc.contract_id, hash.0, vec![0; 16])
		.await
		.expect("contract updated");
	api.update(&dave, 4, &agreed).await.expect("update with the co-signers");
	client
		.wait_until_deployed(doc.contract_id, Duration::from_secs(30))
		.await
		.expect("confirmed again");
}

#[tokio::test(flavor = "multi_thread")]
async fn grace_pauses_the_workload_a_top_up_resumes_it_and_a_kill_9_loses_nothing() {
	let chain = Chain::grid_with_a_farm(0);
	let mut agent = Agent::start(&chain, "process");
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let file = chain.path("vm.json");
	let file_text = file.to_string_lossy().to_string();
	chain
		.grid(
			"//Charlie",
			&[
				"deployment",
				"new",
				"--image",
				"busybox",
				"--cpu",
				"1",
				"--memory",
				"1G",
				"--entrypoint",
				"sleep 600",
				"-o",
				&file_text,
			],
		)
		.ok();
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let id = chain.json("//Charlie", &["contract", "deploy", "--node", "1", &file_text])
		["contract"]["contract_id"]
		.as_u64()
		.expect("id");
	let pid_of = |chain: &Chain| {
		chain.json("//Charlie", &["deployment", "status", &id.to_string()])["workloads"][0]["data"]
			["pid"]
			.as_u64()
			.expect("pid")
	};
	let pid = pid_of(&chain);
	eventually(60, "a report", || agent.metric("grid_agent_reports_sent_total") >= 1);

	// kill -9: the workload keeps running, and after the restart nothing is lost or sent twice.
	agent.kill9();
	assert!(PathBuf::from(format!("/proc/{pid}")).exists(), "the VM outlives its agent");
	agent.restart();
	assert_eq!(pid_of(&chain), pid, "the same process, taken over");
	eventually(60, "reports again", || agent.metric("grid_agent_reports_sent_total") >= 2);
	assert_eq!(agent.metric("grid_agent_reports_rejected_total"), 0, "no report refused");
	// Every report the chain took, across the kill, is later than the one before.
	let client = Client::connect(&chain.url).await.expect("client");
	let timestamps: Vec<u64> =
		reports_of(&client, id).await.into_iter().map(|(t, _, _)| t).collect();
	assert!(timestamps.len() >= 2 && timestamps.windows(2).all(|w| w[0] < w[1]), "{timestamps:?}");

	// Out of funds: grace pauses the process.
	let charlie = identity("//Charlie").account_id();
	let set_balance = |free: u128| {
		chain::Call::Balances(
			chain::runtime_types::pallet_balances::pallet::Call::force_set_balance {
				who: subxt::utils::MultiAddress::Id(charlie),
				new_free: free,
			},
		)
	};
	let alice = identity("//Alice");
	client.sudo(alice.keypair(), set_balance(100_001)).await.expect("balance drained");
	let state = |chain: &Chain| {
		chain.json("//Charlie", &["deployment", "status", &id.to_string()])["workloads"][0]["state"]
			.clone()
	};
	eventually(120, "the workload paused in grace", || state(&chain) == "paused");
	let stopped = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
	assert!(stopped.contains(") T "), "the process is stopped: {stopped}");

	// A top-up and a settlement end grace: the process runs again.
	client.sudo(alice.keypair(), set_balance(1_000 * 10_000_000)).await.expect("topped up");
	client.settle_contract(alice.keypair(), id).await.expect("settled");
	eventually(60, "the workload resumed", || state(&chain) == "ok");
	let running = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
	assert!(!running.contains(") T "), "the process runs: {running}");
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	eventually(30, "the process stopped", || !PathBuf::from(format!("/proc/{pid}")).exists());
}
