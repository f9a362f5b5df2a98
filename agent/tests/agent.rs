//! `grid-agent` end to end: the real `gridchain-node --sealing instant`, the real agent and the
//! real `grid`, plus signed requests made by hand for the refusals. The `container` tests run
//! real Podman containers of a busybox image built here, and reach them over the contract's
//! public IP from a network namespace and a bridge each test creates (nothing leaves the
//! machine); they need root, as the agent's `container` provisioner does.

use gridchain_sdk::{
	agent::{request_message, AgentClient, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_TWIN},
	chain,
	deployment::{Deployment, Signature, SignatureRequest},
	Client, ContractState, Error, Identity, Resources,
};
use gridchain_test_support::*;
use std::{
	io::{Read, Write},
	path::PathBuf,
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

/// Bob's node, unless a test's configuration says otherwise: 8 vCPUs, 32 GiB, 1000 GiB of SSD.
const DEFAULT_CAPACITY: &str = "[capacity]
cru = 8
mru = 34359738368
sru = 1073741824000
hru = 0";

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
		Agent::start_with(chain, provisioner, "")
	}

	/// The agent with the `container` provisioner: its own container prefix, public IPs on
	/// `public`'s bridge, at most `pids` processes per VM.
	fn start_containers(chain: &Chain, public: &PublicNet, pids: u64) -> Agent {
		let prefix = format!("gct-{}", public.bridge);
		Agent::start_with(
			chain,
			"container",
			&format!(
				"[container]\npublic_interface = \"{}\"\npids_limit = {pids}\nprefix = \"{prefix}\"\n",
				public.bridge
			),
		)
	}

	/// The agent with `hypervisor = "qemu"`: each VM boots as a guest, with `accel`.
	fn start_vms(chain: &Chain, public: &PublicNet, accel: &str) -> Agent {
		Agent::start_with(chain, "container", &vm_config(public, accel))
	}

	fn start_with(chain: &Chain, provisioner: &str, extra: &str) -> Agent {
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
{capacity}
{extra}"#,
				capacity = if extra.contains("[capacity]") { "" } else { DEFAULT_CAPACITY },
				url = chain.url,
				dir = data_dir.display()
			),
		)
		.expect("config");
		// The agent refuses a configuration others may read: it holds the node's key.
		std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
			.expect("chmod config");
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
		// The key is also in the environment: no workload may read it from there.
		let child = Command::new(target_bin("grid-agent"))
			.args(["run", "--config"])
			.arg(&self.config)
			.env("GRID_AGENT_KEY", "//Bob")
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
	/// The lines of the agent's log that contain `needle`.
	fn log_lines(&self, needle: &str) -> Vec<String> {
		std::fs::read_to_string(self.data_dir.join("agent.log"))
			.unwrap_or_default()
			.lines()
			.filter(|l| l.contains(needle))
			.map(str::to_string)
			.collect()
	}

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

fn now_secs() -> u64 {
	std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("time").as_secs()
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

/// Create a node contract for `doc` on `node` as `owner`, reserving `ips` and declaring what
/// the document reserves.
async fn contract_on(
	client: &Client,
	owner: &Identity,
	node: u32,
	doc: Deployment,
	ips: u32,
) -> Deployment {
	let capacity = doc.capacity().into();
	contract_declaring(client, owner, node, doc, ips, capacity).await
}

/// Create a node contract for `doc` on `node` as `owner`, reserving `ips` and declaring
/// `capacity`, whatever the document reserves.
async fn contract_declaring(
	client: &Client,
	owner: &Identity,
	node: u32,
	mut doc: Deployment,
	ips: u32,
	capacity: Resources,
) -> Deployment {
	let sealed = client.seal_deployment(&doc, &[]).await.expect("sealed");
	let created = client
		.create_node_contract(owner.keypair(), node, sealed.hash, sealed.data, ips, capacity)
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
async fn a_container_serves_on_its_public_ip_its_traffic_is_billed_as_nu_and_cancel_leaves_nothing()
{
	test_image();
	let public = PublicNet::new();
	let chain = Chain::grid_with_a_farm(1);
	let agent = Agent::start_containers(&chain, &public, 256);
	// The agent registered Bob's twin (relay = its URL) and node 1.
	let node = chain.json("//Alice", &["node", "show", "1"]);
	assert_eq!(node["node"]["twin_id"], 2);
	assert_eq!(chain.json("//Alice", &["twin", "show", "2"])["relay"], agent.url());

	chain.grid("//Charlie", &["twin", "create"]).ok();
	let (id, file) = deploy_busybox(
		&chain,
		"//Charlie",
		"web",
		&[
			"--cpu",
			"2",
			"--memory",
			"512M",
			"--disk",
			"1G",
			"--public-ip",
			"--env",
			"GREETING=hi",
			"--ssh-key",
			SSH_KEY,
			"--entrypoint",
			"httpd -f -p 80 -h /www",
		],
	);
	let file_text = file.to_string_lossy().to_string();
	assert_eq!(
		chain.json("//Charlie", &["contract", "show", &id.to_string()])["state"],
		"deployed"
	);
	let status = chain.json("//Charlie", &["deployment", "status", &id.to_string()]);
	let workloads = status["workloads"].as_array().expect("workloads");
	assert!(workloads.iter().all(|w| w["state"] == "ok"), "{workloads:?}");
	let vm = workload(&chain, "//Charlie", id, "web");
	assert_eq!(vm["data"]["public_ip"], "185.206.122.33/24");
	let container = vm["data"]["container"].as_str().expect("container").to_string();

	// The page, over the contract's public IP, from outside the node.
	eventually(30, "the page over the public IP", || {
		public.fetch("http://185.206.122.33/").as_deref() == Some(PAGE)
	});

	// Inside: the document's limits, its env only, its own uids, file systems of their sizes.
	let inside = |script: &str| {
		let (ok, out, err) = exec(&container, script);
		assert!(ok, "{script}: {err}");
		out.trim().to_string()
	};
	assert_eq!(
		inside("cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max"),
		(512u64 << 20).to_string()
	);
	assert_eq!(
		inside("cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"),
		"256"
	);
	let cpu = inside("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max");
	let cpu: Vec<u64> = cpu.split_whitespace().map(|n| n.parse().expect("number")).collect();
	assert_eq!(cpu[0], 2 * cpu[1], "2 vCPUs of CFS quota: {cpu:?}");
	let uid_map = inside("cat /proc/self/uid_map");
	let map: Vec<u64> = uid_map.split_whitespace().map(|n| n.parse().expect("number")).collect();
	assert_eq!((map[0], map[2]), (0, 65536), "{uid_map}");
	assert!(map[1] >= 65536, "container root is not a host user: {uid_map}");
	assert_eq!(inside("echo $GREETING"), "hi");
	assert_eq!(inside("cat /root/.ssh/authorized_keys"), SSH_KEY);
	let size_of = |path: &str| -> u64 {
		inside(&format!("df -B1 {path} | tail -1"))
			.split_whitespace()
			.nth(1)
			.and_then(|n| n.parse().ok())
			.expect("df")
	};
	let (root, data) = (size_of("/"), size_of("/data"));
	assert!(root <= 1 << 30 && root > 900 << 20, "rootfs of 1 GiB: {root}");
	assert!(data <= 1 << 30 && data > 900 << 20, "disk of 1 GiB: {data}");
	let (ok, _, err) = exec(&container, "dd if=/dev/zero of=/data/fill bs=1M count=1100");
	assert!(!ok && err.contains("No space left"), "writing past the disk fails: {err}");
	inside("rm /data/fill && echo kept > /data/keep");

	// Traffic: three times 1 MiB over the public IP, then reported as nru and billed as NU.
	let client = Client::connect(&chain.url).await.expect("client");
	eventually(60, "a report taken by the chain", || {
		agent.metric("grid_agent_reports_sent_total") >= 1
	});
	let reports = three_mib_billed(&client, &public, id, "the container").await;
	assert_eq!(
		agent.metric("grid_agent_reports_rejected_total"),
		0,
		"{:?}",
		agent.log_lines("rejected a consumption report")
	);
	// Each report costs exactly SPEC §5.3: 2 vCPUs, 512 MiB, 1 GiB rootfs + 1 GiB disk, its NU.
	let used = gridchain_primitives::Resources { cru: 2, mru: 512 << 20, sru: 2 << 30, hru: 0 };
	let prices = gridchain_primitives::UnitPrices::GENESIS;
	for (_, window, cost, nru) in &reports {
		assert_eq!(
			*cost,
			gridchain_primitives::cost::capacity_cost(&prices, &used, *window, false)
				+ gridchain_primitives::cost::network_cost(&prices, *nru),
			"window {window} s, {nru} bytes"
		);
	}
	assert!(
		reports.iter().any(|r| gridchain_primitives::cost::network_cost(&prices, r.3) > 0),
		"NU was billed: {reports:?}"
	);
	eventually(90, "a bill", || {
		let bills =
			chain.json("//Charlie", &["contract", "bills", &id.to_string(), "--blocks", "200"]);
		bills["bills"]
			.as_array()
			.is_some_and(|b| b.iter().any(|b| b["amount"].as_u64().unwrap_or(0) > 0))
	});

	// An update through the node: 1 GiB of memory, the disk grown to 2 GiB with its data kept.
	let mut doc = read_json(&file);
	doc["version"] = 1.into();
	doc["signature_requirement"]["signatures"] = serde_json::json!([]);
	for w in doc["workloads"].as_array_mut().expect("workloads") {
		match w["name"].as_str() {
			Some("web") => w["data"]["memory"] = (1u64 << 30).into(),
			Some("web_data") => w["data"]["size"] = (2u64 << 30).into(),
			_ => continue,
		}
		w["version"] = 1.into();
	}
	std::fs::write(&file, doc.to_string()).expect("write");
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let updated =
		chain.json("//Charlie", &["contract", "update", &id.to_string(), &file_text, "--deploy"]);
	assert_eq!(updated["version"], 2);
	let vm = workload(&chain, "//Charlie", id, "web");
	assert_eq!(vm["state"], "ok", "{vm}");
	let container = vm["data"]["container"].as_str().expect("container").to_string();
	let (_, limit, _) = exec(&container, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max");
	assert_eq!(limit.trim(), (1u64 << 30).to_string());
	let (_, kept, _) = exec(&container, "cat /data/keep");
	assert_eq!(kept.trim(), "kept", "the disk kept its data");
	let (_, df, _) = exec(&container, "df -B1 /data | tail -1");
	let grown: u64 = df.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("df");
	assert!(grown > 1 << 30 && grown <= 2 << 30, "the disk grew to 2 GiB: {grown}");
	let (_, mac, _) = exec(&container, "cat /sys/class/net/pub0/address");
	assert_eq!(mac.trim(), "02:00:b9:ce:7a:21", "the public interface's MAC follows its IP");
	eventually(30, "the page again after the update", || {
		public.fetch("http://185.206.122.33/").as_deref() == Some(PAGE)
	});

	// Cancelled on chain: no container, network, disk, mount or interface is left.
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	eventually(60, "nothing left of the deployment", || leftovers(&agent, &public, id).is_empty());
	assert_eq!(public.fetch("http://185.206.122.33/"), None, "nothing answers on the IP");
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

	// Not enough capacity: 64 vCPUs on an 8-vCPU node. The chain refuses such a contract
	// already (SPEC §4.5), so no document of it ever reaches the agent.
	let mut big = base.clone();
	big.metadata = "big".into();
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut big.workloads[0].data {
		vm.cpu = 64;
	}
	let contracts_before = client.contracts_of_node(1).await.expect("contracts");
	let refused = client.create_deployment(charlie.keypair(), 1, &big, &[]).await;
	assert!(
		matches!(refused, Err(Error::Refused { ref name, .. }) if name == "NodeHasNotEnoughCapacity"),
		"{refused:?}"
	);
	assert_eq!(client.contracts_of_node(1).await.expect("contracts"), contracts_before);

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
	// A twin that does not exist, and a body over 64 KiB.
	let mut unknown = headers(now, sign(now));
	unknown[0].1 = "999".into();
	let (status, answer) = http(agent.port, "POST", "/v1/deployments", &unknown, &body);
	assert_eq!((status, answer.contains("\"UnknownTwin\"")), (401, true), "{answer}");
	let huge = vec![b' '; 64 * 1024 + 1];
	let signed_huge = format!(
		"sr25519:0x{}",
		hex::encode(charlie.sign(&request_message("POST", "/v1/deployments", now, &huge)))
	);
	let (status, answer) =
		http(agent.port, "POST", "/v1/deployments", &headers(now, signed_huge), &huge);
	assert_eq!((status, answer.contains("\"BodyTooLarge\"")), (413, true), "{answer}");
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

	// Connections: at most 64 open from one address (the default), and one that sends no
	// request is closed after the 10 s header deadline, so idle sockets cannot take every slot.
	let connect = || std::net::TcpStream::connect(("127.0.0.1", agent.port)).expect("connect");
	let idle: Vec<std::net::TcpStream> = (0..64).map(|_| connect()).collect();
	let mut one_more = connect();
	one_more.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
	let mut byte = [0u8; 1];
	assert_eq!(
		one_more.read(&mut byte).ok(),
		Some(0),
		"the 65th connection from one address is closed at once"
	);
	let waited = Instant::now();
	for mut connection in idle {
		connection.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
		let mut rest = Vec::new();
		assert!(
			connection.read_to_end(&mut rest).is_ok(),
			"an idle connection is closed by the agent, not left open"
		);
	}
	assert!(waited.elapsed() < Duration::from_secs(20));
	assert_eq!(http(agent.port, "GET", "/v1/health", &[], b"").0, 200, "slots free again");

	// A contract that ends while the agent is down is removed when it starts again; a request
	// signed before the restart is not taken after it (the signatures seen were in memory).
	let path = format!("/v1/deployments/{}", doc.contract_id);
	let before = now_secs() - 2;
	let signed_before = vec![
		(HEADER_TWIN, "3".to_string()),
		(HEADER_TIMESTAMP, before.to_string()),
		(
			HEADER_SIGNATURE,
			format!(
				"sr25519:0x{}",
				hex::encode(charlie.sign(&request_message("GET", &path, before, b"")))
			),
		),
	];
	let mut agent = agent;
	agent.kill9();
	chain.grid("//Charlie", &["contract", "cancel", &doc.contract_id.to_string()]).ok();
	agent.restart();
	let (status, answer) = http(agent.port, "GET", &path, &signed_before, b"");
	assert_eq!((status, answer.contains("\"StaleRequest\"")), (401, true), "{answer}");
	let status = AgentClient::new(&agent.url()).status(&charlie, 3, doc.contract_id).await;
	assert!(
		matches!(status, Err(Error::Agent { ref code, .. }) if code == "NotDeployed"),
		"the orphan is gone: {status:?}"
	);
	assert_eq!(agent.log_lines("the contract ended unseen: deprovisioning").len(), 1);
}

/// Run a future to completion from sync code inside the multi-thread test runtime.
fn futures_lite_block<F: std::future::Future>(future: F) -> F::Output {
	tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(future))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_of_three_workload_is_deployed_with_two_signatures_and_the_old_quorum_drops_a_cosigner(
) {
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
	// deployed requirement wants two of three.
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
		.update_node_contract(
			charlie.keypair(),
			doc.contract_id,
			hash.0,
			vec![0; 16],
			alone.capacity().into(),
		)
		.await
		.expect("contract updated");
	match api.update(&charlie, 3, &alone).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "PreviousWeightBelowThreshold"),
		other => panic!("expected PreviousWeightBelowThreshold, got {other:?}"),
	}
	// Signed by Charlie and Dave, two of the old three agree to drop Dave and Eve (SPEC §9.4):
	// it goes through, though the new requirement names Charlie alone. Dave signs through a
	// wallet: over `<Bytes>` hash `</Bytes>`, and his request too.
	let mut agreed = alone;
	let wallet_signature = dave.sign(&gridchain_sdk::deployment::wrapped(&hash.0));
	agreed.add_signature(Signature::sr25519(4, wallet_signature));
	let body = serde_json::to_vec(&agreed).expect("json");
	let path = format!("/v1/deployments/{}", doc.contract_id);
	let now = now_secs();
	let message = gridchain_sdk::deployment::wrapped(&request_message("PUT", &path, now, &body));
	let headers = [
		(HEADER_TWIN, "4".to_string()),
		(HEADER_TIMESTAMP, now.to_string()),
		(HEADER_SIGNATURE, format!("sr25519:0x{}", hex::encode(dave.sign(&message)))),
		("content-type", "application/json".to_string()),
	];
	let (status, answer) = http(agent.port, "PUT", &path, &headers, &body);
	assert_eq!(status, 200, "the update by the old quorum, signed in a wallet: {answer}");
	client
		.wait_until_deployed(doc.contract_id, Duration::from_secs(30))
		.await
		.expect("confirmed again");
	let running = api.status(&charlie, 3, doc.contract_id).await.expect("status");
	assert_eq!(running.deployment.signature_requirement.requests.len(), 1, "Charlie alone now");
	// Eve, dropped, may no longer read it.
	let refused = api.status(&eve, 5, doc.contract_id).await;
	assert!(
		matches!(refused, Err(Error::Agent { ref code, .. }) if code == "NotAllowed"),
		"{refused:?}"
	);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_document_whose_capacity_differs_from_its_contracts_is_refused() {
	let chain = Chain::grid_with_a_farm(0);
	let agent = Agent::start(&chain, "sim");
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let client = Client::connect(&chain.url).await.expect("client");
	let api = AgentClient::new(&agent.url());
	let charlie = identity("//Charlie");
	let doc = signed(read_doc(&chain.new_deployment("//Charlie", "vm", false)), &[(&charlie, 3)]);
	let reserves = Resources::from(doc.capacity());

	// The contract declares one vCPU less than the document reserves (so reports could never
	// bill it whole): refused on deploy, naming both.
	let mut short = doc.clone();
	short.metadata = "declares less".into();
	let short = signed(short, &[(&charlie, 3)]);
	let less = Resources { cru: reserves.cru - 1, ..reserves };
	let short = contract_declaring(&client, &charlie, 1, short, 0, less).await;
	let refused = api.deploy(&charlie, 3, &short).await;
	if let Err(Error::Agent { message, .. }) = &refused {
		let declares = format!("contract {} declares {less}", short.contract_id);
		assert!(message.contains(&format!("reserves {reserves}")), "{message}");
		assert!(message.contains(&declares), "{message}");
	}
	assert_refused(&client, &agent, refused, "CapacityMismatch", short.contract_id).await;

	// Declared right, the document is deployed.
	let doc = contract_for(&client, &charlie, doc, 0).await;
	api.deploy(&charlie, 3, &doc).await.expect("deployed");
	client
		.wait_until_deployed(doc.contract_id, Duration::from_secs(30))
		.await
		.expect("confirmed on chain");

	// An update to 4 vCPUs whose contract still declares 2: refused, and the node keeps
	// running version 0, its contract unconfirmed.
	let mut bigger = doc.clone();
	bigger.version = 1;
	bigger.workloads[0].version = 1;
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut bigger.workloads[0].data {
		vm.cpu = 4;
	}
	let bigger = signed(bigger, &[(&charlie, 3)]);
	let hash = bigger.hash().expect("hash");
	client
		.update_node_contract(charlie.keypair(), doc.contract_id, hash.0, vec![0; 16], reserves)
		.await
		.expect("contract updated");
	match api.update(&charlie, 3, &bigger).await {
		Err(Error::Agent { code, message }) => assert_eq!(code, "CapacityMismatch", "{message}"),
		other => panic!("expected CapacityMismatch, got {other:?}"),
	}
	let running = api.status(&charlie, 3, doc.contract_id).await.expect("status");
	assert_eq!(running.deployment.version, 0, "the node still runs the first version");
	assert_eq!(
		client.contract(doc.contract_id).await.expect("contract").state,
		ContractState::Created
	);

	// The contract updated to declare 4 vCPUs: the same document goes through.
	client
		.update_node_contract(
			charlie.keypair(),
			doc.contract_id,
			hash.0,
			vec![0; 16],
			bigger.capacity().into(),
		)
		.await
		.expect("contract updated");
	api.update(&charlie, 3, &bigger).await.expect("updated");
	client
		.wait_until_deployed(doc.contract_id, Duration::from_secs(30))
		.await
		.expect("confirmed again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_tenant_reads_nothing_of_the_node_or_other_tenants_and_hits_its_limits() {
	test_image();
	let public = PublicNet::new();
	let chain = Chain::grid_with_a_farm(0);
	let agent = Agent::start_containers(&chain, &public, 64);
	let prefix = prefix_of(&public);
	chain.grid("//Charlie", &["twin", "create"]).ok();
	chain.grid("//Dave", &["twin", "create"]).ok();

	// Charlie's VM keeps a secret on its disk.
	let (victim, _) = deploy_busybox(
		&chain,
		"//Charlie",
		"victim",
		&["--memory", "256M", "--disk", "1G", "--entrypoint", "sleep 3600"],
	);
	let (ok, _, err) = exec(&format!("{prefix}-{victim}-victim"), "echo topsecret > /data/secret");
	assert!(ok, "{err}");
	let victim_dir = agent.data_dir.join(format!("containers/{victim}"));

	// Dave's VM tries the agent's config, database and key, Charlie's disk (its image file and
	// where it is mounted on the host), then starts a process in a session of its own and forks
	// until it cannot.
	let targets = [
		agent.config.clone(),
		agent.data_dir.join("agent.redb"),
		victim_dir.join("disk-victim_data.img"),
		victim_dir.join("disk-victim_data/secret"),
		PathBuf::from("/proc/1/environ"),
	];
	let targets: Vec<String> = targets.iter().map(|p| p.display().to_string()).collect();
	// A service of the node's, on every address of the host.
	let host = std::net::TcpListener::bind("0.0.0.0:0").expect("listener");
	let host_port = host.local_addr().expect("port").port();
	std::thread::spawn(move || {
		for stream in host.incoming().flatten() {
			let mut stream = stream;
			let _ = stream.write_all(b"HTTP/1.0 200 OK\r\n\r\nhostsecret\n");
		}
	});
	assert_eq!(
		http(host_port, "GET", "/", &[], b"").1,
		"hostsecret\n",
		"the node's service answers on the host"
	);
	let script = format!(
		"sh -c 'set -- $(ip route show default); GW=$3; if timeout 5 wget -q -O - http://$GW:{host_port}/ 2>/dev/null | grep -q hostsecret; then echo LEAK host $GW; else echo DENIED host $GW; fi; for f in {}; do if cat $f 2>/dev/null | grep -q -e topsecret -e Bob -e GRID_AGENT; then echo LEAK $f; else echo DENIED $f; fi; done; if env | grep -q -e GRID_AGENT -e Bob; then echo LEAK env; else echo DENIED env; fi; setsid sleep 4242 & echo TRIED; sh -c \"while true; do sleep 3000 & done\"; echo BOMBED; exec sleep 3600'",
		targets.join(" ")
	);
	let (attacker, _) = deploy_busybox(
		&chain,
		"//Dave",
		"attacker",
		&["--memory", "256M", "--entrypoint", &script],
	);
	let api = AgentClient::new(&agent.url());
	let dave = identity("//Dave");
	let mut lines = Vec::new();
	eventually(60, "the attacker's output", || {
		lines =
			futures_lite_block(api.logs(&dave, 4, attacker, "attacker", 1000)).expect("logs").lines;
		lines.iter().any(|l| l.contains("BOMBED")) && lines.iter().any(|l| l.contains("can't fork"))
	});
	for target in &targets {
		assert!(lines.contains(&format!("DENIED {target}")), "{target}: {lines:?}");
	}
	assert!(lines.contains(&"DENIED env".to_string()), "{lines:?}");
	assert!(
		lines.iter().any(|l| l.starts_with("DENIED host 10.")),
		"the node's services are out of reach through the gateway: {lines:?}"
	);
	assert!(!lines.iter().any(|l| l.contains("LEAK")), "{lines:?}");
	// Charlie may not read Dave's logs.
	match api.logs(&identity("//Charlie"), 3, attacker, "attacker", 10).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "NotAllowed"),
		other => panic!("expected NotAllowed, got {other:?}"),
	}

	// The fork bomb stopped at the PID limit (read from the host's side of its cgroup).
	let pid = container_pid(&format!("{prefix}-{attacker}-attacker"));
	let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).expect("cgroup");
	let pids = match cgroup.lines().find_map(|l| l.split_once(":pids:")) {
		Some((_, path)) => PathBuf::from(format!("/sys/fs/cgroup/pids{path}")),
		None => PathBuf::from(format!(
			"/sys/fs/cgroup{}",
			cgroup.lines().find_map(|l| l.strip_prefix("0::")).expect("cgroup v2 path")
		)),
	};
	let read = |f: &str| std::fs::read_to_string(pids.join(f)).expect(f).trim().to_string();
	assert_eq!(read("pids.max"), "64");
	let current: u64 = read("pids.current").parse().expect("pids.current");
	assert!((60..=64).contains(&current), "the bomb filled its PID limit and no more: {current}");
	let refused: u64 = read("pids.events")
		.strip_prefix("max ")
		.and_then(|n| n.trim().parse().ok())
		.expect("pids.events");
	assert!(refused > 0, "the cgroup refused forks");
	assert_eq!(
		workload(&chain, "//Dave", attacker, "attacker")["data"]["restarts"],
		serde_json::Value::Null,
		"the VM itself survived its bomb"
	);
	let sessions = |needle: &[u8]| {
		std::fs::read_dir("/proc")
			.expect("proc")
			.flatten()
			.filter(|e| std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == needle))
			.count()
	};
	assert_eq!(sessions(b"sleep\x004242\x00"), 1, "the setsid process runs");

	// Out of memory: killed, restarted, and reported when it keeps happening.
	let (hog, _) = deploy_busybox(
		&chain,
		"//Dave",
		"hog",
		&["--memory", "256M", "--entrypoint", "dd if=/dev/zero of=/dev/null bs=400M count=1"],
	);
	eventually(120, "the hog reported in error", || {
		workload(&chain, "//Dave", hog, "hog")["state"] == "error"
	});
	let hog_status = workload(&chain, "//Dave", hog, "hog");
	assert!(hog_status["message"].as_str().is_some_and(|m| m.contains("(OOM)")), "{hog_status}");
	assert_eq!(hog_status["data"]["oom_killed"], true, "{hog_status}");

	// Cancel: setsid did not escape; nothing of Dave's VMs is left.
	for id in [attacker, hog] {
		chain.grid("//Dave", &["contract", "cancel", &id.to_string()]).ok();
	}
	for id in [attacker, hog] {
		eventually(60, "nothing left", || leftovers(&agent, &public, id).is_empty());
	}
	assert_eq!(sessions(b"sleep\x004242\x00"), 0, "the setsid process is gone");
	assert_eq!(sessions(b"sleep\x003000\x00"), 0, "the bomb's processes are gone");
	// An image reference that names a host path, and an image whose /root is the host's /.
	let file = new_document(&chain, "//Dave", "transport", "oci-archive:/etc/shadow", &[]);
	chain.grid("//Dave", &["contract", "deploy", "--node", "1", &file]).fails(1, "BadImage");
	symlink_image();
	let host_keys =
		["/.ssh/authorized_keys", "/root/.ssh/authorized_keys"].map(|p| std::fs::read(p).ok());
	let file = new_document(
		&chain,
		"//Dave",
		"links",
		SYMLINK_IMAGE,
		&["--memory", "256M", "--ssh-key", SSH_KEY, "--entrypoint", "sleep 3600"],
	);
	let links = chain.json("//Dave", &["contract", "deploy", "--node", "1", &file])["contract"]
		["contract_id"]
		.as_u64()
		.expect("id");
	let (_, keys, err) = exec(&format!("{prefix}-{links}-links"), "cat /root/.ssh/authorized_keys");
	assert_eq!(keys.trim(), SSH_KEY, "the key is in the VM's own /.ssh: {err}");
	assert_eq!(
		["/.ssh/authorized_keys", "/root/.ssh/authorized_keys"].map(|p| std::fs::read(p).ok()),
		host_keys,
		"the host's authorized_keys are untouched"
	);

	// Charlie's VM and its secret are untouched.
	let (_, secret, _) = exec(&format!("{prefix}-{victim}-victim"), "cat /data/secret");
	assert_eq!(secret.trim(), "topsecret");
}

#[tokio::test(flavor = "multi_thread")]
async fn grace_freezes_the_container_a_top_up_thaws_it_and_a_kill_9_of_the_agent_loses_nothing() {
	test_image();
	let public = PublicNet::new();
	let chain = Chain::grid_with_a_farm(1);
	let mut agent = Agent::start_containers(&chain, &public, 256);
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let (id, _) = deploy_busybox(
		&chain,
		"//Charlie",
		"vm",
		&["--memory", "256M", "--public-ip", "--entrypoint", "httpd -f -p 80 -h /www"],
	);
	let page = "http://185.206.122.33/";
	eventually(30, "the page", || public.fetch(page).as_deref() == Some(PAGE));
	let container_of = |chain: &Chain| {
		workload(chain, "//Charlie", id, "vm")["data"]["container"]
			.as_str()
			.expect("container")
			.to_string()
	};
	let container = container_of(&chain);
	eventually(60, "a report", || agent.metric("grid_agent_reports_sent_total") >= 1);

	// kill -9 of the agent: the container keeps serving; the restarted agent takes it over and
	// reports its traffic.
	agent.kill9();
	assert_eq!(public.fetch(page).as_deref(), Some(PAGE), "the VM outlives its agent");
	assert_eq!(
		public.fetch(&format!("{page}big.bin")).map(|b| b.len() as u64),
		Some(BIG),
		"traffic while the agent is away"
	);
	agent.restart();
	assert_eq!(container_of(&chain), container, "the same container, taken over");
	let client = Client::connect(&chain.url).await.expect("client");
	let mut reports = Vec::new();
	for _ in 0..60 {
		reports = reports_with_traffic(&client, id).await;
		if reports.iter().map(|r| r.3).sum::<u64>() >= BIG {
			break;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	let traffic: u64 = reports.iter().map(|r| r.3).sum();
	assert!(
		(BIG..BIG + (256 << 10)).contains(&traffic),
		"the restarted agent reported the traffic once: {traffic} bytes"
	);
	assert_eq!(agent.metric("grid_agent_reports_rejected_total"), 0, "no report refused");
	let timestamps: Vec<u64> = reports.iter().map(|r| r.0).collect();
	assert!(timestamps.windows(2).all(|w| w[0] < w[1]), "{timestamps:?}");

	// Out of funds: grace freezes the container; the page stops answering.
	let set_balance = charlies_balance;
	let alice = identity("//Alice");
	client.sudo(alice.keypair(), set_balance(100_001)).await.expect("balance drained");
	let state = |chain: &Chain| workload(chain, "//Charlie", id, "vm")["state"].clone();
	eventually(120, "the workload paused in grace", || state(&chain) == "paused");
	let (_, status, _) =
		run_tool("podman", &["inspect", "--format", "{{.State.Status}}", &container]);
	assert_eq!(status.trim(), "paused");
	assert_eq!(public.fetch(page), None, "a frozen VM does not answer");

	// A top-up and a settlement end grace: it serves again.
	client.sudo(alice.keypair(), set_balance(1_000 * 10_000_000)).await.expect("topped up");
	client.settle_contract(alice.keypair(), id).await.expect("settled");
	eventually(60, "the workload resumed", || state(&chain) == "ok");
	eventually(30, "the page again", || public.fetch(page).as_deref() == Some(PAGE));
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	eventually(60, "nothing left", || leftovers(&agent, &public, id).is_empty());
}

/// The QEMU accelerator of the `vm` tests: `GRID_TEST_ACCEL`, else `tcg`. This machine class has
/// a /dev/kvm whose KVM cannot run a guest (a nested hypervisor: its CPUID lacks SSE3 and a
/// Linux kernel stops right after the boot loader), so CI emulates: the same provisioner, the
/// same guest, slower.
fn test_accel() -> String {
	std::env::var("GRID_TEST_ACCEL").unwrap_or_else(|_| "tcg".into())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vm_boots_its_image_with_its_own_kernel_serves_on_its_public_ip_is_billed_pauses_and_leaves_nothing(
) {
	let accel = test_accel();
	if accel == "kvm" && !std::path::Path::new("/dev/kvm").exists() {
		eprintln!("SKIPPED: GRID_TEST_ACCEL=kvm and this machine has no /dev/kvm");
		return;
	}
	test_image();
	let public = PublicNet::new();
	let chain = Chain::grid_with_a_farm(1);

	// The agent refuses `kvm` where the VMs' uids cannot use it, naming why.
	let kvm_open = std::fs::metadata("/dev/kvm")
		.is_ok_and(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o006 == 0o006);
	if !kvm_open {
		let config = chain.path("kvm-agent.toml");
		let data = chain.path("kvm-agent");
		std::fs::write(
			&config,
			format!(
				"url = \"{}\"\nkey = \"//Bob\"\nfarm_id = 1\nlisten = \"127.0.0.1:0\"\npublic_url = \"http://127.0.0.1:1\"\ndata_dir = \"{}\"\nreport_interval_secs = 2\nprovisioner = \"container\"\n[location]\ncountry = \"BE\"\ncity = \"Ghent\"\n{}",
				chain.url,
				data.display(),
				vm_config(&public, "kvm")
			),
		)
		.expect("config");
		std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600))
			.expect("chmod");
		let out = Command::new(target_bin("grid-agent"))
			.args(["run", "--config"])
			.arg(&config)
			.output()
			.expect("grid-agent");
		let err = String::from_utf8_lossy(&out.stderr);
		assert!(!out.status.success(), "the agent started with an unusable /dev/kvm");
		assert!(err.contains("/dev/kvm"), "{err}");
	}

	let mut agent = Agent::start_vms(&chain, &public, &accel);
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let asked = Instant::now();
	let (id, _) = deploy_busybox(
		&chain,
		"//Charlie",
		"web",
		&[
			"--cpu",
			"1",
			"--memory",
			"256M",
			"--disk",
			"1G",
			"--public-ip",
			"--env",
			"GREETING=hi",
			"--ssh-key",
			SSH_KEY,
			"--entrypoint",
			"httpd -f -p 80 -h /www",
		],
	);
	let vm = workload(&chain, "//Charlie", id, "web");
	assert_eq!(vm["state"], "ok", "{vm}");
	assert!(vm["message"].as_str().is_some_and(|m| m.contains("virtual machine")), "{vm}");
	let page = "http://185.206.122.33/";
	eventually(240, "the guest's page over the public IP", || {
		public.fetch(page).as_deref() == Some(PAGE)
	});
	eprintln!("deploy request -> guest serving: {:.1} s ({accel})", asked.elapsed().as_secs_f64());

	// Inside the guest: its own kernel, its vCPU and memory, its env and keys, its disk; no
	// process and no file of the host.
	let probe_url = format!("{page}cgi-bin/probe?{}", agent.data_dir.display());
	let inside = key_values(&public.fetch(&probe_url).expect("the probe answers"));
	let host_kernel = run_tool("uname", &["-r"]).1.trim().to_string();
	assert_ne!(inside["kernel"], host_kernel, "the guest runs its own kernel: {inside:?}");
	assert_eq!(inside["cpus"], "1", "{inside:?}");
	let memory: u64 = inside["memory_kib"].parse().expect("MemTotal");
	assert!((160 << 10..=256 << 10).contains(&memory), "256 MiB of guest RAM: {memory} KiB");
	assert_eq!(inside["greeting"], "hi");
	assert_eq!(inside["keys"], SSH_KEY);
	assert_eq!(inside["pid1"], "httpd", "the entrypoint is the guest's PID 1");
	for host_process in ["grid-agent", "gridchain-node", "podman", "qemu-system-x86", "conmon"] {
		assert!(!inside["processes"].contains(host_process), "{host_process}: {inside:?}");
	}
	assert_eq!(inside["path"], "absent", "the agent's data dir is not in the guest");
	let data: u64 = inside["data_bytes"].parse().expect("df");
	assert!(data <= 1 << 30 && data > 900 << 20, "the 1 GiB disk: {data}");
	let container = vm["data"]["container"].as_str().expect("container").to_string();
	let (_, host_side, _) = run_tool("podman", &["top", &container, "comm"]);
	assert!(host_side.contains("qemu-system"), "the container runs QEMU: {host_side}");
	assert!(!host_side.contains("httpd"), "and not the workload: {host_side}");
	// The VM's address on the deployment's network is the guest's, as a container's would be.
	let (_, address, _) = run_tool(
		"podman",
		&[
			"inspect",
			"--format",
			"{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
			&container,
		],
	);
	let private = format!("http://{}/", address.trim());
	eventually(30, &format!("the guest's page at {private}"), || {
		let (ok, body, _) =
			run_tool("timeout", &["5", "busybox", "wget", "-q", "-O", "-", &private]);
		ok && body == PAGE
	});

	// Traffic: three times 1 MiB from the guest, counted on its taps, billed as NU.
	let client = Client::connect(&chain.url).await.expect("client");
	eventually(60, "a report", || agent.metric("grid_agent_reports_sent_total") >= 1);
	let reports = three_mib_billed(&client, &public, id, "the guest").await;
	let (_, rss, _) = run_tool("ps", &["-o", "rss=", "-C", "qemu-system-x86"]);
	eprintln!("QEMU's resident memory for a 256 MiB guest: {} KiB", rss.trim());
	let prices = gridchain_primitives::UnitPrices::GENESIS;
	assert!(
		reports.iter().any(|r| gridchain_primitives::cost::network_cost(&prices, r.3) > 0),
		"NU was billed: {reports:?}"
	);
	assert_eq!(agent.metric("grid_agent_reports_rejected_total"), 0);

	// kill -9 of the agent: the guest keeps serving; the restarted agent takes it over.
	agent.kill9();
	assert_eq!(public.fetch(page).as_deref(), Some(PAGE), "the guest outlives its agent");
	agent.restart();
	let vm = workload(&chain, "//Charlie", id, "web");
	assert_eq!(vm["data"]["container"], container.as_str(), "the same guest, taken over");

	// Out of funds: grace stops the guest's vCPUs through QMP; a top-up runs them again.
	let set_balance = charlies_balance;
	let alice = identity("//Alice");
	client.sudo(alice.keypair(), set_balance(100_001)).await.expect("balance drained");
	let state = |chain: &Chain| workload(chain, "//Charlie", id, "web")["state"].clone();
	eventually(120, "the workload paused in grace", || state(&chain) == "paused");
	assert_eq!(public.fetch(page), None, "a stopped guest does not answer");
	let (_, status, _) =
		run_tool("podman", &["inspect", "--format", "{{.State.Status}}", &container]);
	assert_eq!(status.trim(), "running", "QEMU runs on, its guest stopped");
	client.sudo(alice.keypair(), set_balance(1_000 * 10_000_000)).await.expect("topped up");
	client.settle_contract(alice.keypair(), id).await.expect("settled");
	eventually(60, "the workload resumed", || state(&chain) == "ok");
	eventually(60, "the page again", || public.fetch(page).as_deref() == Some(PAGE));

	// Cancelled: no container, QEMU, network, image, mount or interface is left.
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	eventually(60, "nothing left of the deployment", || leftovers(&agent, &public, id).is_empty());
	// No other test runs QEMU.
	let (_, qemus, _) = run_tool("pgrep", &["-x", "qemu-system-x86"]);
	assert!(qemus.trim().is_empty(), "no QEMU left: {qemus}");
	assert_eq!(public.fetch(page), None, "nothing answers on the IP");
}

/// The test image: Debian's static busybox with its applets, a page and a 1 MiB file under
/// `/www`, imported once per run (no registry is reachable here).
const IMAGE: &str = "localhost/gridchain-test:busybox";
/// The size of `/www/big.bin`.
const BIG: u64 = 1 << 20;
/// An SSH key for `authorized_keys`.
const SSH_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGridchainAgentTestKeyOnly test@example";
/// The page at `/`.
const PAGE: &str = "hello from a gridchain container\n";
/// `/cgi-bin/probe?PATH`: what the workload sees of its machine, a `key=value` a line.
const PROBE: &str = r#"#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "kernel=$(uname -r)"
echo "cpus=$(nproc)"
echo "memory_kib=$(grep MemTotal /proc/meminfo | tr -s ' ' | cut -d' ' -f2)"
echo "greeting=$GREETING"
echo "keys=$(cat /root/.ssh/authorized_keys)"
echo "pid1=$(cat /proc/1/comm)"
echo "processes=$(ps -o comm | tail -n +2 | tr '\n' ' ')"
echo "data_bytes=$(df -B1 /data | tail -1 | tr -s ' ' | cut -d' ' -f2)"
echo "kept=$(cat /data/keep 2>/dev/null)"
if [ -e "$QUERY_STRING" ]; then echo "path=present"; else echo "path=absent"; fi
"#;

fn test_image() -> &'static str {
	static BUILT: std::sync::Once = std::sync::Once::new();
	BUILT.call_once(|| build_image(IMAGE, |_| ()));
	IMAGE
}

/// A hostile image: the test image with `/root` a symlink to `/`, so a node that wrote
/// `/root/.ssh/authorized_keys` through the image's paths would write the host's `/.ssh`.
const SYMLINK_IMAGE: &str = "localhost/gridchain-test:symlinks";

fn symlink_image() -> &'static str {
	static BUILT: std::sync::Once = std::sync::Once::new();
	BUILT.call_once(|| {
		build_image(SYMLINK_IMAGE, |root| {
			std::fs::remove_dir_all(root.join("root")).expect("rm /root");
			std::os::unix::fs::symlink("/", root.join("root")).expect("link /root");
		})
	});
	SYMLINK_IMAGE
}

/// Import the busybox root filesystem, changed by `change`, as `tag`.
fn build_image(tag: &str, change: impl Fn(&std::path::Path)) {
	let dir = tempfile::tempdir().expect("dir");
	let root = dir.path().join("rootfs");
	for d in ["bin", "www", "etc", "root", "tmp", "proc", "sys", "dev", "data"] {
		std::fs::create_dir_all(root.join(d)).expect("dir");
	}
	std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static");
	let list = Command::new("/bin/busybox").arg("--list").output().expect("busybox --list");
	for applet in String::from_utf8_lossy(&list.stdout).lines().filter(|a| *a != "busybox") {
		std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).expect("link");
	}
	std::fs::write(root.join("www/index.html"), PAGE).expect("page");
	std::fs::create_dir_all(root.join("www/cgi-bin")).expect("cgi-bin");
	std::fs::write(root.join("www/cgi-bin/probe"), PROBE).expect("probe");
	std::fs::set_permissions(
		root.join("www/cgi-bin/probe"),
		std::os::unix::fs::PermissionsExt::from_mode(0o755),
	)
	.expect("chmod probe");
	std::fs::write(root.join("www/big.bin"), vec![b'x'; BIG as usize]).expect("big");
	std::fs::write(root.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
	std::fs::write(root.join("etc/group"), "root:x:0:\n").expect("group");
	change(&root);
	let tar = dir.path().join("image.tar");
	let (ok, _, err) =
		run_tool("tar", &["-C", &root.to_string_lossy(), "-cf", &tar.to_string_lossy(), "."]);
	assert!(ok, "tar: {err}");
	let (ok, _, err) = run_tool("podman", &["import", "--quiet", &tar.to_string_lossy(), tag]);
	assert!(ok, "podman import: {err}");
}

/// Run a tool: (success, stdout, stderr).
fn run_tool(program: &str, args: &[&str]) -> (bool, String, String) {
	let out =
		Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
	(
		out.status.success(),
		String::from_utf8_lossy(&out.stdout).into_owned(),
		String::from_utf8_lossy(&out.stderr).into_owned(),
	)
}

/// The `[container]` section for `hypervisor = "qemu"` with `accel`.
fn vm_config(public: &PublicNet, accel: &str) -> String {
	format!(
		"[container]\npublic_interface = \"{}\"\npids_limit = 256\nprefix = \"{}\"\nhypervisor = \"qemu\"\naccel = \"{accel}\"\n",
		public.bridge,
		prefix_of(public)
	)
}

/// `key=value` lines as a map.
fn key_values(text: &str) -> std::collections::BTreeMap<String, String> {
	text.lines()
		.filter_map(|l| l.split_once('='))
		.map(|(k, v)| (k.to_string(), v.trim().to_string()))
		.collect()
}

/// A stand-in for the farm's public network: a bridge (the agent's `public_interface`) and a
/// client in a network namespace of its own, holding the farm's gateway 185.206.122.1/24. Both
/// are removed on drop.
struct PublicNet {
	bridge: String,
	client: Child,
}

impl PublicNet {
	fn new() -> PublicNet {
		static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
		let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
		let bridge = format!("gt{}x{n}", std::process::id() % 100_000);
		let ip = |args: &[&str]| {
			let (ok, _, err) = run_tool("ip", args);
			assert!(ok, "ip {args:?}: {err}");
		};
		ip(&["link", "add", &bridge, "type", "bridge"]);
		ip(&["link", "set", &bridge, "up"]);
		let client =
			Command::new("unshare").args(["--net", "sleep", "3600"]).spawn().expect("unshare");
		let pid = client.id().to_string();
		let own = std::fs::read_link("/proc/self/ns/net").expect("netns");
		eventually(10, "the client's network namespace", || {
			std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|ns| ns != own)
		});
		let (host, peer) = (format!("{bridge}h"), format!("{bridge}c"));
		ip(&["link", "add", &host, "type", "veth", "peer", "name", &peer, "netns", &pid]);
		ip(&["link", "set", &host, "master", &bridge, "up"]);
		let net = PublicNet { bridge, client };
		for args in [
			vec!["addr", "add", "185.206.122.1/24", "dev", &peer],
			vec!["link", "set", &peer, "up"],
			vec!["link", "set", "lo", "up"],
		] {
			let (ok, _, err) = net.inside("ip", &args);
			assert!(ok, "ip {args:?} in the client: {err}");
		}
		net
	}

	/// Run a command in the client's network namespace.
	fn inside(&self, program: &str, args: &[&str]) -> (bool, String, String) {
		let pid = self.client.id().to_string();
		let mut all = vec!["-t", pid.as_str(), "-n", program];
		all.extend_from_slice(args);
		run_tool("nsenter", &all)
	}

	/// GET `url` from the client; None when nothing answers within 5 s.
	fn fetch(&self, url: &str) -> Option<String> {
		let (ok, body, _) = self.inside("timeout", &["5", "busybox", "wget", "-q", "-O", "-", url]);
		ok.then_some(body)
	}

	/// The interfaces enslaved to the bridge besides the client's.
	fn ports(&self) -> Vec<String> {
		let (_, out, _) = run_tool("ip", &["-o", "link", "show", "master", &self.bridge]);
		out.lines()
			.filter_map(|l| l.split(": ").nth(1))
			.map(|n| n.split('@').next().unwrap_or(n).to_string())
			.filter(|n| *n != format!("{}h", self.bridge))
			.collect()
	}
}

impl Drop for PublicNet {
	/// Dropped after the test's agent: what its containers left (a test that failed half-way) goes
	/// too.
	fn drop(&mut self) {
		let prefix = prefix_of(self);
		let (_, ids, _) = run_tool(
			"podman",
			&["ps", "-a", "-q", "--filter", &format!("label=gridchain.agent={prefix}")],
		);
		for id in ids.split_whitespace() {
			let _ = run_tool("podman", &["rm", "-f", "-t", "0", id]);
		}
		let (_, networks, _) = run_tool("podman", &["network", "ls", "--format", "{{.Name}}"]);
		for network in networks.lines().filter(|n| n.starts_with(&format!("{prefix}-"))) {
			let _ = run_tool("podman", &["network", "rm", "-f", network]);
		}
		let (_, rules, _) = run_tool("iptables", &["-w", "-t", "mangle", "-S", "PREROUTING"]);
		for rule in rules.lines().filter(|r| r.contains(&format!("gridchain:{prefix}-"))) {
			let words: Vec<&str> =
				rule.split_whitespace().skip(1).map(|w| w.trim_matches('"')).collect();
			let mut args = vec!["-w", "-t", "mangle", "-D"];
			args.extend(words);
			let _ = run_tool("iptables", &args);
		}
		let dir = format!("/run/gridchain-agent/{prefix}");
		let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
		let mut inside: Vec<&str> = mounts
			.lines()
			.filter_map(|l| l.split_whitespace().nth(1))
			.filter(|m| m.starts_with(&dir))
			.collect();
		inside.sort_by_key(|m| std::cmp::Reverse(m.len()));
		for at in inside {
			let _ = run_tool("umount", &["-l", at]);
		}
		let _ = std::fs::remove_dir_all(&dir);
		let _ = self.client.kill();
		let _ = self.client.wait();
		let _ = run_tool("ip", &["link", "del", &format!("{}h", self.bridge)]);
		let _ = run_tool("ip", &["link", "del", &self.bridge]);
	}
}

/// The prefix `Agent::start_containers` gives the agent.
fn prefix_of(public: &PublicNet) -> String {
	format!("gct-{}", public.bridge)
}

/// `podman exec` of a shell command in a container: (success, stdout, stderr).
fn exec(container: &str, script: &str) -> (bool, String, String) {
	run_tool("podman", &["exec", container, "sh", "-c", script])
}

/// The pid of a container's first process, on the host.
fn container_pid(container: &str) -> u32 {
	let (_, out, err) = run_tool("podman", &["inspect", "--format", "{{.State.Pid}}", container]);
	out.trim().parse().unwrap_or_else(|_| panic!("no pid for {container}: {err}"))
}

/// What is left on the host of contract `id`: containers, its network, its files and mounts,
/// interfaces on the public bridge.
fn leftovers(agent: &Agent, public: &PublicNet, id: u64) -> Vec<String> {
	let prefix = prefix_of(public);
	let mut left = Vec::new();
	let (_, ps, _) = run_tool(
		"podman",
		&[
			"ps",
			"-a",
			"-q",
			"--filter",
			&format!("label=gridchain.agent={prefix}"),
			"--filter",
			&format!("label=gridchain.contract={id}"),
		],
	);
	if !ps.trim().is_empty() {
		left.push(format!("containers {}", ps.trim()));
	}
	if run_tool("podman", &["network", "exists", &format!("{prefix}-{id}")]).0 {
		left.push("its network".into());
	}
	let mounts = std::fs::read_to_string("/proc/self/mounts").expect("mounts");
	for dir in [
		agent.data_dir.join(format!("containers/{id}")),
		PathBuf::from(format!("/run/gridchain-agent/{prefix}/{id}")),
	] {
		if dir.exists() {
			left.push(format!("{}", dir.display()));
		}
		if mounts.contains(&dir.to_string_lossy().to_string()) {
			left.push(format!("mounts under {}", dir.display()));
		}
	}
	left.extend(public.ports());
	left
}

/// The sudo call that sets Charlie's free balance to `free`.
fn charlies_balance(free: u128) -> chain::Call {
	chain::Call::Balances(chain::runtime_types::pallet_balances::pallet::Call::force_set_balance {
		who: subxt::utils::MultiAddress::Id(identity("//Charlie").account_id()),
		new_free: free,
	})
}

/// Fetch `/big.bin` three times over the public IP 185.206.122.33, then wait for the reports of
/// contract `id` that carry those bytes: asserts the 3 MiB, and little else, are in their nru.
/// Returns every report of the contract.
async fn three_mib_billed(
	client: &Client,
	public: &PublicNet,
	id: u64,
	from: &str,
) -> Vec<(u64, u64, u128, u64)> {
	let before = reports_with_traffic(client, id).await.last().map(|r| r.0).unwrap_or(0);
	let fetching = Instant::now();
	for _ in 0..3 {
		let body = public.fetch("http://185.206.122.33/big.bin").expect("big.bin");
		assert_eq!(body.len() as u64, BIG);
	}
	eprintln!("3 x 1 MiB from {from}: {:.2} s", fetching.elapsed().as_secs_f64());
	let traffic_since = |reports: &[(u64, u64, u128, u64)]| -> u64 {
		reports.iter().filter(|r| r.0 > before).map(|r| r.3).sum()
	};
	let mut reports = Vec::new();
	for _ in 0..60 {
		reports = reports_with_traffic(client, id).await;
		if traffic_since(&reports) >= 3 * BIG {
			break;
		}
		tokio::time::sleep(Duration::from_secs(1)).await;
	}
	let traffic = traffic_since(&reports);
	assert!(
		(3 * BIG..3 * BIG + (512 << 10)).contains(&traffic),
		"the 3 MiB served, and little else, are in nru: {traffic} bytes"
	);
	reports
}

/// `(timestamp, window_secs, cost_scaled_uusd, nru)` of every report of `contract_id` the chain
/// took: the cost from its event, the nru from the call that carried it.
async fn reports_with_traffic(client: &Client, contract_id: u64) -> Vec<(u64, u64, u128, u64)> {
	let head = client.finalized_number().await.expect("head");
	let mut reports = Vec::new();
	for number in 1..=head {
		let at = client.api().at_block(number).await.expect("block");
		let mut sent = std::collections::BTreeMap::new();
		let extrinsics = at.extrinsics().fetch().await.expect("extrinsics");
		for call in extrinsics.find::<chain::smart_contract::calls::ReportConsumption>() {
			for r in call.expect("call").reports.0 {
				if r.contract_id == contract_id {
					sent.insert(r.timestamp, r.nru);
				}
			}
		}
		let events = at.events().fetch().await.expect("events");
		for e in events.find::<chain::smart_contract::events::ConsumptionReportReceived>() {
			let e = e.expect("event");
			if e.contract_id == contract_id {
				let nru = sent.get(&e.timestamp).copied().expect("the report's call");
				reports.push((e.timestamp, e.window_secs, e.cost_scaled_uusd, nru));
			}
		}
	}
	reports
}

/// Write and sign a VM document of `image` for `key` (1 GiB root filesystem, `extra` options);
/// returns its path.
fn new_document(chain: &Chain, key: &str, name: &str, image: &str, extra: &[&str]) -> String {
	let file = chain.path(&format!("{name}.json")).to_string_lossy().to_string();
	let mut args =
		vec!["deployment", "new", "--name", name, "--image", image, "--rootfs", "1G", "-o", &file];
	args.extend_from_slice(extra);
	chain.grid(key, &args).ok();
	chain.grid(key, &["deployment", "sign", &file]).ok();
	file
}

/// Write a busybox VM document for `key` and deploy it on node 1; returns (contract id, file).
fn deploy_busybox(chain: &Chain, key: &str, name: &str, extra: &[&str]) -> (u64, PathBuf) {
	let file = new_document(chain, key, name, IMAGE, extra);
	let deployed = chain.json(key, &["contract", "deploy", "--node", "1", &file]);
	(deployed["contract"]["contract_id"].as_u64().expect("id"), PathBuf::from(file))
}

/// The status of workload `name` of contract `id`, as its owner `key` sees it.
fn workload(chain: &Chain, key: &str, id: u64, name: &str) -> serde_json::Value {
	let status = chain.json(key, &["deployment", "status", &id.to_string()]);
	status["workloads"]
		.as_array()
		.and_then(|w| w.iter().find(|w| w["name"] == name).cloned())
		.unwrap_or_else(|| panic!("no workload {name} in {status}"))
}

/// A small VM document of `twin`'s: 1 vCPU, 256 MiB, a 1 GiB root; `tag` makes its hash its own.
fn small_document(twin: u32, tag: &str) -> Deployment {
	let json = serde_json::json!({
		"version": 0, "twin_id": twin, "contract_id": 0, "metadata": tag, "description": "",
		"signature_requirement": {
			"requests": [{"twin_id": twin, "weight": 1, "required": true}],
			"weight_required": 1, "signatures": []
		},
		"workloads": [{"name": "vm", "type": "vm", "version": 0, "description": "", "data": {
			"image": "docker.io/library/busybox:1.37", "cpu": 1, "memory": 268435456u64,
			"rootfs_size": 1073741824u64, "entrypoint": "", "env": {}, "ssh_keys": [],
			"public_ip": "", "mounts": []
		}}]
	});
	Deployment::from_json(json.to_string().as_bytes()).expect("document")
}

/// The value at `q` (0..=1) of sorted `values`.
fn quantile(values: &mut [Duration], q: f64) -> Duration {
	values.sort();
	values
		.get(((values.len().saturating_sub(1)) as f64 * q).round() as usize)
		.copied()
		.unwrap_or_default()
}

/// On real 6 s Aura blocks: twenty deployments sent at once to one node all reach `Deployed`
/// within three blocks of the first (the change lock is never held while a confirmation waits
/// for its block, and the node's confirmations share the pool with their own nonces); then other
/// twins flood the agent with signed reads while the owner deploys and reads: the flood is rate
/// limited per twin, and every honest request is answered. `GRID_AGENT_FLOOD_RATE` (requests a
/// second, 150 here) and `GRID_AGENT_FLOOD_SECS` (10) size the flood; the figures in
/// `docs/performance.md` come from a run at 500 a second for 30 s, which prints them.
#[tokio::test(flavor = "multi_thread")]
async fn twenty_deploys_at_once_land_within_three_blocks_and_a_flood_of_other_twins_stalls_no_honest_request(
) {
	let env = |name: &str, default: u64| {
		std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
	};
	let (flood_rate, flood_secs) =
		(env("GRID_AGENT_FLOOD_RATE", 150), env("GRID_AGENT_FLOOD_SECS", 10));
	let chain = Chain::start_sealing("aura");
	chain.grid("//Alice", &["twin", "create"]).ok();
	chain.grid("//Alice", &["farm", "create", "farm-one"]).ok();
	// Every client of this test shares 127.0.0.1: the per-address cap is not what is measured.
	let agent = Agent::start_with(
		&chain,
		"sim",
		"[capacity]\ncru = 64\nmru = 68719476736\nsru = 1073741824000\nhru = 0\n[limits]\nmax_connections_per_address = 1024",
	);
	let client = Client::connect(&chain.url).await.expect("client");
	let users: Vec<Identity> =
		["//Charlie", "//Dave", "//Eve", "//Ferdie"].into_iter().map(identity).collect();
	// All in one or two blocks: one signer's calls each get their own nonce.
	let twins = futures::future::join_all(
		users.iter().map(|u| client.create_twin(u.keypair(), Some(u.x25519_public()), None)),
	)
	.await
	.into_iter()
	.collect::<Result<Vec<u32>, _>>()
	.expect("twins");
	let (charlie, owner) = (&users[0], twins[0]);
	let contracts = |count: usize, tag: &'static str| {
		futures::future::join_all((0..count).map(|i| {
			let doc = small_document(owner, &format!("{tag} {i}"));
			contract_for(&client, charlie, signed(doc, &[(charlie, owner)]), 0)
		}))
	};
	let (burst, during_flood) = futures::join!(contracts(20, "burst"), contracts(5, "flood"));

	// Where each contract was deployed, from the finalized blocks.
	let deployed_at = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
	let watcher = {
		let (api, deployed_at) = (client.api().clone(), deployed_at.clone());
		tokio::spawn(async move {
			let mut blocks = api.stream_blocks().await.expect("blocks");
			while let Some(Ok(block)) = blocks.next().await {
				let Ok(events) = block.at().await.expect("block").events().fetch().await else {
					continue;
				};
				for e in events.find::<chain::smart_contract::events::ContractDeployed>().flatten()
				{
					deployed_at.lock().unwrap().insert(e.contract_id, block.number());
				}
			}
		})
	};

	let relay = AgentClient::new(&agent.url());
	let sent =
		futures::future::join_all(burst.iter().map(|doc| relay.deploy(charlie, owner, doc))).await;
	for (doc, answer) in burst.iter().zip(&sent) {
		assert!(answer.is_ok(), "contract {}: {answer:?}", doc.contract_id);
	}
	eventually(120, "the twenty deployments seen deployed", || {
		burst.iter().all(|d| deployed_at.lock().unwrap().contains_key(&d.contract_id))
	});
	let blocks: Vec<u64> =
		burst.iter().map(|d| deployed_at.lock().unwrap()[&d.contract_id]).collect();
	let (first, last) =
		(blocks.iter().min().copied().unwrap(), blocks.iter().max().copied().unwrap());
	println!("twenty deploys at once: deployed in blocks {first}..={last}");
	assert!(last <= first + 3, "deployed from block {first} to {last}: {blocks:?}");

	// The flood: other twins' signed reads of the owner's deployment, `flood_rate` a second.
	let flooders: Vec<(Identity, u32)> =
		users[1..].iter().cloned().zip(twins[1..].iter().copied()).collect();
	let target = burst[0].contract_id;
	let statuses = std::sync::Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::<
		String,
		u64,
	>::new()));
	let flood = {
		let (url, statuses) = (agent.url(), statuses.clone());
		tokio::spawn(async move {
			let relay = std::sync::Arc::new(AgentClient::new(&url));
			let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / flood_rate as f64));
			let mut tasks = Vec::new();
			for i in 0..flood_rate * flood_secs {
				tick.tick().await;
				let (relay, statuses) = (relay.clone(), statuses.clone());
				let (who, twin) = flooders[i as usize % flooders.len()].clone();
				tasks.push(tokio::spawn(async move {
					let code = match relay.status(&who, twin, target).await {
						Err(Error::Agent { code, .. }) => code,
						Ok(_) => "answered".into(),
						Err(e) => format!("failed: {e}"),
					};
					*statuses.lock().unwrap().entry(code).or_default() += 1;
				}));
			}
			futures::future::join_all(tasks).await;
		})
	};
	// Meanwhile the owner deploys five more at once, and reads its deployment every 200 ms.
	let reading = {
		let (url, charlie) = (agent.url(), charlie.clone());
		tokio::spawn(async move {
			let (relay, started, mut reads) = (AgentClient::new(&url), Instant::now(), Vec::new());
			while started.elapsed() < Duration::from_secs(flood_secs) {
				let sent = Instant::now();
				let status = relay.status(&charlie, owner, target).await;
				assert!(status.is_ok(), "an honest read during the flood: {status:?}");
				reads.push(sent.elapsed());
				tokio::time::sleep(Duration::from_millis(200)).await;
			}
			reads
		})
	};
	let mut deploys = futures::future::join_all(during_flood.iter().map(|doc| async {
		let sent = Instant::now();
		relay.deploy(charlie, owner, doc).await.expect("an honest deploy during the flood");
		sent.elapsed()
	}))
	.await;
	let mut reads = reading.await.expect("honest reads");
	flood.await.expect("flood");
	watcher.abort();
	let statuses = statuses.lock().unwrap().clone();
	println!(
		"flood of {flood_rate}/s for {flood_secs} s from {} twins: {statuses:?}; honest deploy p50 {:?} p99 {:?} ({} deploys); honest read p50 {:?} p99 {:?} ({} reads)",
		twins.len() - 1,
		quantile(&mut deploys, 0.5),
		quantile(&mut deploys, 0.99),
		deploys.len(),
		quantile(&mut reads, 0.5),
		quantile(&mut reads, 0.99),
		reads.len()
	);
	// Each flooding twin got its burst and its rate; the rest was refused before any work.
	let limited = statuses.get("RateLimited").copied().unwrap_or(0);
	let allowed = statuses.get("NotAllowed").copied().unwrap_or(0);
	// Three twins, each a burst of 30 and 10 a second (a few seconds' slack for the flood's tail).
	let most_allowed = 3 * (30 + 10 * (flood_secs + 5));
	assert!(allowed > 0, "{statuses:?}");
	assert!(allowed <= most_allowed, "more reads got through than the buckets allow: {statuses:?}");
	if flood_rate * flood_secs > most_allowed {
		assert!(limited > 0, "{statuses:?}");
	}
	assert_eq!(
		limited + allowed,
		flood_rate * flood_secs,
		"every flood request answered: {statuses:?}"
	);
	assert!(agent.metric("grid_agent_requests_refused_total") >= limited);
	// Each twin's account was read from the chain once, however many requests it signed.
	assert!(
		agent.metric("grid_agent_twin_account_reads_total") <= twins.len() as u64,
		"twin accounts read from the chain: {}",
		agent.metric("grid_agent_twin_account_reads_total")
	);
}

/// The pre-flight (`POST /v1/deployments/check`, `PUT …/{id}/check`) answers what a deploy or an
/// update would get, before the chain is changed, and changes nothing anywhere.
#[tokio::test(flavor = "multi_thread")]
async fn a_preflight_refuses_what_the_node_would_refuse_before_the_chain_changes() {
	let chain = Chain::grid_with_a_farm(1);
	let agent = Agent::start(&chain, "sim");
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let client = Client::connect(&chain.url).await.expect("client");
	let api = AgentClient::new(&agent.url());
	let charlie = identity("//Charlie");
	let refused =
		|result: gridchain_sdk::Result<gridchain_sdk::agent::Preflight>, code: &str| match result {
			Err(Error::Agent { code: got, message }) => assert_eq!(got, code, "{message}"),
			other => panic!("expected {code}, got {other:?}"),
		};
	let base = read_doc(&chain.new_deployment("//Charlie", "vm", false));
	let vm = |doc: &mut Deployment| match &mut doc.workloads[0].data {
		gridchain_sdk::deployment::WorkloadData::Vm(vm) => vm.cpu = 9,
		_ => panic!("the first workload is the VM"),
	};

	// A new deployment, before its contract exists.
	let fine = signed(base.clone(), &[(&charlie, 3)]);
	let answer = api.check_deploy(&charlie, 3, &fine).await.expect("a deployment the node takes");
	assert_eq!(answer.hash, format!("0x{}", hex::encode(fine.hash().expect("hash").0)));
	assert_eq!(answer.capacity, Resources::from(fine.capacity()));
	let mut big = base.clone();
	vm(&mut big);
	refused(
		api.check_deploy(&charlie, 3, &signed(big, &[(&charlie, 3)])).await,
		"NotEnoughCapacity",
	);
	let two_ips = read_doc(&chain.new_deployment("//Charlie", "ipvm", true));
	let mut two_ips = serde_json::to_value(two_ips).expect("json");
	let mut ip = two_ips["workloads"][2].clone();
	ip["name"] = "ip_two".into();
	two_ips["workloads"].as_array_mut().expect("workloads").push(ip);
	let two_ips = Deployment::from_json(two_ips.to_string().as_bytes()).expect("document");
	assert_eq!(two_ips.capacity().public_ips, 2, "a document with two public IPs");
	refused(
		api.check_deploy(&charlie, 3, &signed(two_ips, &[(&charlie, 3)])).await,
		"NotEnoughPublicIps",
	);
	refused(
		api.check_deploy(&charlie, 3, &signed(base.clone(), &[])).await,
		"RequiredSignerMissing",
	);
	// The SDK's (and `grid contract deploy`'s) whole deploy asks first: no contract is made.
	let mut unsigned = signed(base.clone(), &[]);
	match client.deploy(&charlie, 1, &mut unsigned, &[], Duration::from_secs(30)).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "RequiredSignerMissing"),
		other => panic!("expected RequiredSignerMissing, got {other:?}"),
	}
	assert!(client.contracts_of_node(1).await.expect("contracts").is_empty(), "no contract made");

	// An update of a running deployment, before the contract holds its hash.
	let doc = contract_for(&client, &charlie, fine, 0).await;
	assert_eq!(doc.contract_id, 1, "no contract was made (and cancelled) before this one");
	api.deploy(&charlie, 3, &doc).await.expect("deployed");
	// Sent again, it is refused on both routes: a deployed contract takes an update.
	refused(api.check_deploy(&charlie, 3, &doc).await, "AlreadyDeployed");
	match api.deploy(&charlie, 3, &doc).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "AlreadyDeployed"),
		other => panic!("expected AlreadyDeployed, got {other:?}"),
	}
	let hash_on_chain = client.contract(doc.contract_id).await.expect("contract");
	let mut next = doc.clone();
	next.version = 1;
	next.workloads[0].version = 1;
	next.description = "bigger".into();
	vm(&mut next);
	refused(
		api.check_update(&charlie, 3, &signed(next.clone(), &[(&charlie, 3)])).await,
		"NotEnoughCapacity",
	);
	let mut skipped = next.clone();
	skipped.version = 2;
	let skipped = signed(skipped, &[(&charlie, 3)]);
	refused(api.check_update(&charlie, 3, &skipped).await, "VersionNotNext");
	// The SDK's whole update asks first too: the contract keeps the hash the node runs.
	match client.redeploy(&charlie, &skipped, &[], Duration::from_secs(30)).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "VersionNotNext"),
		other => panic!("expected VersionNotNext, got {other:?}"),
	}
	if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut next.workloads[0].data {
		vm.cpu = 4;
	}
	let answer = api
		.check_update(&charlie, 3, &signed(next.clone(), &[(&charlie, 3)]))
		.await
		.expect("an update the node takes");
	assert_eq!(answer.capacity.cru, 4);
	assert_eq!(
		client.contract(doc.contract_id).await.expect("contract"),
		hash_on_chain,
		"the chain unchanged"
	);
	let running = api.status(&charlie, 3, doc.contract_id).await.expect("status");
	assert_eq!(running.deployment.version, 0, "the node still runs version 0");
}

/// An update the node takes in its pre-flight and cannot take once the chain holds it — here it
/// stops between the two (blocks are sealed on demand, so the test holds that moment open) —
/// strands the contract; `grid contract update --deploy --restore` says so and puts back what
/// the node runs as soon as it answers again, and `grid contract restore` does the same for a
/// contract stranded by an update the node refused. Versions are numbered from what the node
/// runs, not from the chain; and a node that lies about what it runs is not believed.
#[tokio::test(flavor = "multi_thread")]
async fn an_update_the_node_cannot_take_once_the_chain_holds_it_is_put_back_by_grid() {
	let chain = Chain::start_sealing("manual");
	let sealer = Sealer::start(&chain);
	chain.grid("//Alice", &["twin", "create"]).ok();
	chain.grid("//Alice", &["farm", "create", "farm-one"]).ok();
	let mut agent = Agent::start(&chain, "sim");
	let client = Client::connect(&chain.url).await.expect("client");
	let charlie = identity("//Charlie");
	let charlie_twin = client
		.create_twin(charlie.keypair(), Some(charlie.x25519_public()), None)
		.await
		.expect("twin");

	// Charlie runs 2 vCPUs of the node's 8.
	let file = chain.new_deployment("//Charlie", "web", false);
	let file_text = file.to_string_lossy().to_string();
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	chain.grid("//Charlie", &["contract", "deploy", "--node", "1", &file_text]).ok();
	let id = "1";
	let cpu_of = |doc: &Deployment| match &doc.workloads[0].data {
		gridchain_sdk::deployment::WorkloadData::Vm(vm) => vm.cpu,
		_ => panic!("the first workload is the VM"),
	};
	let with_cpu = |mut doc: Deployment, version: u32, cpu: u32| {
		doc.contract_id = 1;
		doc.version = version;
		doc.workloads[0].version = version;
		if let gridchain_sdk::deployment::WorkloadData::Vm(vm) = &mut doc.workloads[0].data {
			vm.cpu = cpu;
		}
		signed(doc, &[(&charlie, charlie_twin)])
	};
	let write = |doc: &Deployment, name: &str| {
		let path = chain.path(name);
		std::fs::write(&path, serde_json::to_vec(doc).expect("json")).expect("write");
		path.to_string_lossy().to_string()
	};
	let original = read_doc(&file);

	// Charlie asks for 4 vCPUs; the pre-flight says yes. The update's block is held until the
	// node has stopped.
	let bigger = write(&with_cpu(original.clone(), 1, 4), "bigger.json");
	let preflights = agent.metric("grid_agent_preflights_passed_total");
	sealer.hold(true);
	let mut update = Command::new(target_bin("grid"))
		.args(["--url", &chain.url, "--key", "//Charlie", "contract", "update", "1", &bigger])
		.args(["--deploy", "--restore", "--timeout", "60"])
		.env("XDG_CONFIG_HOME", chain.path("config"))
		.stderr(Stdio::piped())
		.spawn()
		.expect("grid runs");
	let lines = {
		let stderr = std::io::BufReader::new(update.stderr.take().expect("stderr"));
		let (send, lines) = std::sync::mpsc::channel::<String>();
		std::thread::spawn(move || {
			use std::io::BufRead;
			for line in stderr.lines().map_while(Result::ok) {
				let _ = send.send(line);
			}
		});
		lines
	};
	let deadline = Instant::now() + Duration::from_secs(60);
	while agent.metric("grid_agent_preflights_passed_total") == preflights {
		assert!(
			Instant::now() < deadline,
			"no pre-flight passed: {:?}",
			lines.try_iter().collect::<Vec<_>>()
		);
		std::thread::sleep(Duration::from_millis(100));
	}
	agent.kill9();
	sealer.hold(false);
	let mut said = Vec::new();
	while !said.iter().any(|l: &String| l.contains("refused it")) {
		said.push(lines.recv_timeout(Duration::from_secs(60)).expect("grid says the node refused"));
	}
	agent.restart();
	let status = update.wait().expect("grid ends");
	said.extend(lines.iter());
	let stderr = said.join("\n");
	assert_eq!(status.code(), Some(1), "the update failed: {stderr}");
	assert!(stderr.contains("contract 1 now holds version 1 of its deployment and node 1 refused it: the node refused: Unreachable"), "{stderr}");
	assert!(stderr.contains("what the node runs could not be read"), "{stderr}");
	assert!(
		stderr.contains(
			"put back what its node runs (version 0) as version 1; the node confirmed it on chain"
		),
		"{stderr}"
	);
	let shown = |args: &[&str]| -> serde_json::Value {
		serde_json::from_str(
			&chain
				.grid("//Charlie", &[&["--json", "contract", "show", id], args].concat())
				.ok()
				.stdout,
		)
		.expect("json")
	};
	assert_eq!(shown(&[])["state"], "deployed", "the contract is confirmed again");
	let on_chain: Deployment =
		serde_json::from_value(shown(&["--decrypt"])["deployment"].clone()).expect("document");
	assert_eq!(
		(on_chain.version, cpu_of(&on_chain)),
		(1, 2),
		"the chain holds what the node runs, as version 1"
	);
	let running =
		AgentClient::new(&agent.url()).status(&charlie, charlie_twin, 1).await.expect("status");
	assert_eq!(running.deployment, on_chain, "the node runs what the chain holds");

	// Versions follow what the node runs: version 3 is refused before anything changes.
	let skipped = write(&with_cpu(on_chain.clone(), 3, 1), "skipped.json");
	chain
		.grid("//Charlie", &["contract", "update", id, &skipped])
		.fails(2, "VersionNotNext")
		.fails(2, "(the node runs version 1)");

	// A chain-only update the node cannot take (Charlie forgot to sign it): stranded until put
	// back.
	let mut stranded = with_cpu(on_chain.clone(), 2, 3);
	stranded.signature_requirement.signatures.clear();
	chain.grid("//Charlie", &["contract", "update", id, &write(&stranded, "stranded.json")]).ok();
	assert_eq!(shown(&[])["state"], "created", "the chain waits for the node");
	match AgentClient::new(&agent.url()).update(&charlie, charlie_twin, &stranded).await {
		Err(Error::Agent { code, .. }) => assert_eq!(code, "RequiredSignerMissing"),
		other => panic!("expected RequiredSignerMissing, got {other:?}"),
	}

	// A node that lies about what it runs (another image, Charlie's old signature) is not believed:
	// Bob's twin points its relay at a liar for a moment.
	let mut forged = running.clone();
	forged.deployment.description = "not what Charlie signed".into();
	let liar = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
	let liar_url = format!("http://{}", liar.local_addr().expect("address"));
	let body = serde_json::to_string(&forged).expect("json");
	std::thread::spawn(move || {
		for stream in liar.incoming().flatten() {
			let mut stream = stream;
			let mut buf = [0u8; 8192];
			let _ = stream.read(&mut buf);
			let head = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
			let _ =
				stream.write_all(head.as_bytes()).and_then(|()| stream.write_all(body.as_bytes()));
		}
	});
	chain.grid("//Bob", &["twin", "update", "--relay", &liar_url]).ok();
	chain.grid("//Charlie", &["contract", "restore", id]).fails(1, "that its signers did not sign");
	assert_eq!(shown(&[])["state"], "created", "nothing was put on chain");
	chain.grid("//Bob", &["twin", "update", "--relay", &agent.url()]).ok();

	let restored = chain.grid("//Charlie", &["contract", "restore", id]).ok().stdout.clone();
	assert!(
		restored.contains("put back what its node runs (version 1) as version 2"),
		"{restored}"
	);
	assert_eq!(shown(&[])["state"], "deployed");
	let on_chain: Deployment =
		serde_json::from_value(shown(&["--decrypt"])["deployment"].clone()).expect("document");
	assert_eq!((on_chain.version, cpu_of(&on_chain)), (2, 2));
	chain
		.grid("//Charlie", &["contract", "restore", id])
		.fails(2, "already holds what its node runs (version 2)");
}
