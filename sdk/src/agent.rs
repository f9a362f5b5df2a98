//! Talking to a node's agent (SPEC §10): signed HTTP requests, and the answers' types.

use crate::{
	deployment::{verify_raw, Deployment, KeyType},
	Error, Identity, Result,
};
use serde::{Deserialize, Serialize};

/// Unix seconds now.
pub fn now_secs() -> u64 {
	std::time::SystemTime::now()
		.duration_since(std::time::UNIX_EPOCH)
		.map(|d| d.as_secs())
		.unwrap_or_default()
}

/// Header naming the requesting twin.
pub const HEADER_TWIN: &str = "x-grid-twin";
/// Header with the request's unix time in seconds.
pub const HEADER_TIMESTAMP: &str = "x-grid-timestamp";
/// Header with `sr25519:0x…` or `ed25519:0x…`.
pub const HEADER_SIGNATURE: &str = "x-grid-signature";
/// How far a request's timestamp may be from the agent's clock.
pub const MAX_CLOCK_SKEW_SECS: u64 = 60;
/// How many lines of a workload's output the logs route answers when the request names no `tail`.
pub const DEFAULT_LOG_TAIL: usize = 100;
/// The most lines of a workload's output one request may ask for.
pub const MAX_LOG_TAIL: usize = 10_000;

/// What a request's signature covers:
/// `"{METHOD} {PATH}\n{timestamp}\n{hex BLAKE2b-256 of the body}"`.
pub fn request_message(method: &str, path_and_query: &str, timestamp: u64, body: &[u8]) -> Vec<u8> {
	let body_hash = hex::encode(crate::signatories::blake2_256(body));
	format!("{method} {path_and_query}\n{timestamp}\n{body_hash}").into_bytes()
}

/// A request signature header, `sr25519:0x…` or `ed25519:0x…` (64 bytes, lower-case hex), read.
pub fn parse_request_signature(header: &str) -> Option<(KeyType, [u8; 64])> {
	let (kind, hex_sig) = header.split_once(':')?;
	let key_type = match kind {
		"sr25519" => KeyType::Sr25519,
		"ed25519" => KeyType::Ed25519,
		_ => return None,
	};
	let hex_sig = hex_sig.strip_prefix("0x")?;
	if hex_sig.bytes().any(|b| b.is_ascii_uppercase()) {
		return None;
	}
	let signature: [u8; 64] = hex::decode(hex_sig).ok()?.try_into().ok()?;
	Some((key_type, signature))
}

/// Check a request signature header by `account` over `message`; only the canonical form
/// (`0x`, lower-case hex) is accepted, so one signature has one spelling.
pub fn verify_request_signature(header: &str, account: &[u8; 32], message: &[u8]) -> bool {
	parse_request_signature(header)
		.is_some_and(|(key_type, signature)| verify_raw(key_type, &signature, account, message))
}

/// What a node's pre-flight found (`POST /v1/deployments/check`, `PUT …/{id}/check`): the
/// document's hash and what its contract must declare and reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preflight {
	/// `0x`-hex of the deployment hash (SPEC §9.3).
	pub hash: String,
	/// The capacity the contract must declare (SPEC §9.2).
	pub capacity: crate::Resources,
	/// The public IPs the contract must reserve.
	pub public_ips: u32,
}

/// A workload's state on the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkloadState {
	Ok,
	Error,
	Paused,
	Deleted,
}

/// What the node did with one workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkloadResult {
	pub name: String,
	pub state: WorkloadState,
	pub message: String,
	/// Facts about it, such as a public IP's address.
	pub data: serde_json::Value,
}

/// A deployment as the node holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStatus {
	pub contract_id: u64,
	pub deployment: Deployment,
	pub workloads: Vec<WorkloadResult>,
}

/// The recent output of a VM workload, oldest line first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadLogs {
	pub contract_id: u64,
	pub workload: String,
	pub lines: Vec<String>,
}

/// A refusal: the rule that failed, by name, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
	pub code: String,
	pub message: String,
}

/// A client of one node agent, signing each request with the user's key.
pub struct AgentClient {
	base: String,
	http: reqwest::Client,
}

impl AgentClient {
	/// The agent at `relay` (a node twin's relay, e.g. `http://10.0.0.7:8080`).
	pub fn new(relay: &str) -> AgentClient {
		AgentClient { base: relay.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
	}

	/// Send a deployment for its contract (`deployment.contract_id` set).
	pub async fn deploy(
		&self,
		identity: &Identity,
		twin_id: u32,
		deployment: &Deployment,
	) -> Result<DeploymentStatus> {
		self.send_document(identity, twin_id, reqwest::Method::POST, "/v1/deployments", deployment)
			.await
	}

	/// Send an update of a deployment.
	pub async fn update(
		&self,
		identity: &Identity,
		twin_id: u32,
		deployment: &Deployment,
	) -> Result<DeploymentStatus> {
		let path = format!("/v1/deployments/{}", deployment.contract_id);
		self.send_document(identity, twin_id, reqwest::Method::PUT, &path, deployment).await
	}

	/// Ask the node whether it would take `deployment` as a new deployment, before its contract
	/// is made: every check that does not need the hash on chain (SPEC §10), with the refusals a
	/// deploy would get. Nothing changes anywhere.
	pub async fn check_deploy(
		&self,
		identity: &Identity,
		twin_id: u32,
		deployment: &Deployment,
	) -> Result<Preflight> {
		let path = "/v1/deployments/check";
		self.send_document(identity, twin_id, reqwest::Method::POST, path, deployment).await
	}

	/// Ask the node whether it would take `deployment` as an update of what it runs, before the
	/// contract is updated.
	pub async fn check_update(
		&self,
		identity: &Identity,
		twin_id: u32,
		deployment: &Deployment,
	) -> Result<Preflight> {
		let path = format!("/v1/deployments/{}/check", deployment.contract_id);
		self.send_document(identity, twin_id, reqwest::Method::PUT, &path, deployment).await
	}

	/// The node's view of a deployment.
	pub async fn status(
		&self,
		identity: &Identity,
		twin_id: u32,
		contract_id: u64,
	) -> Result<DeploymentStatus> {
		let path = format!("/v1/deployments/{contract_id}");
		self.send(identity, twin_id, reqwest::Method::GET, &path, Vec::new()).await
	}

	/// The last `tail` lines (1..=[`MAX_LOG_TAIL`]) VM workload `workload` wrote.
	pub async fn logs(
		&self,
		identity: &Identity,
		twin_id: u32,
		contract_id: u64,
		workload: &str,
		tail: usize,
	) -> Result<WorkloadLogs> {
		// A workload name (§9.1) needs no percent-encoding, so the signed path is the one sent.
		if !crate::deployment::is_workload_name(workload) {
			return Err(Error::input(
				"workload",
				format!("`{workload}` is not a workload name (1 to 36 of a-z, 0-9 and _)"),
			));
		}
		if !(1..=MAX_LOG_TAIL).contains(&tail) {
			return Err(Error::input("tail", format!("{tail} is not 1 to {MAX_LOG_TAIL}")));
		}
		let path = format!("/v1/deployments/{contract_id}/logs?workload={workload}&tail={tail}");
		self.send(identity, twin_id, reqwest::Method::GET, &path, Vec::new()).await
	}

	/// `send` with `deployment` as the JSON body.
	async fn send_document<T: for<'de> Deserialize<'de>>(
		&self,
		identity: &Identity,
		twin_id: u32,
		method: reqwest::Method,
		path: &str,
		deployment: &Deployment,
	) -> Result<T> {
		let body = serde_json::to_vec(deployment).map_err(|e| Error::Client(e.to_string()))?;
		self.send(identity, twin_id, method, path, body).await
	}

	async fn send<T: for<'de> Deserialize<'de>>(
		&self,
		identity: &Identity,
		twin_id: u32,
		method: reqwest::Method,
		path: &str,
		body: Vec<u8>,
	) -> Result<T> {
		let timestamp = now_secs();
		let signature = identity.sign(&request_message(method.as_str(), path, timestamp, &body));
		let response = self
			.http
			.request(method, format!("{}{path}", self.base))
			.header(HEADER_TWIN, twin_id.to_string())
			.header(HEADER_TIMESTAMP, timestamp.to_string())
			.header(HEADER_SIGNATURE, format!("sr25519:0x{}", hex::encode(signature)))
			.header("content-type", "application/json")
			.body(body)
			.send()
			.await
			.map_err(|e| Error::Agent {
				code: "Unreachable".into(),
				message: format!("cannot reach the node agent at {}: {e}", self.base),
			})?;
		let status = response.status();
		let bytes = response.bytes().await.map_err(|e| Error::Client(e.to_string()))?;
		if status.is_success() {
			return serde_json::from_slice(&bytes)
				.map_err(|e| Error::Client(format!("the agent's answer: {e}")));
		}
		let refusal: Refusal = serde_json::from_slice(&bytes).unwrap_or(Refusal {
			code: status.to_string(),
			message: String::from_utf8_lossy(&bytes).into_owned(),
		});
		Err(Error::Agent { code: refusal.code, message: refusal.message })
	}
}
