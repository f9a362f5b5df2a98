//! The HTTP API under `/v1` (SPEC §10), signed requests, and `/metrics`.

use crate::{
	agent::{now_secs, Agent, Shared},
	checks,
	refusal::Refusal,
	state::Record,
};
use axum::{
	body::Bytes,
	extract::{rejection::QueryRejection, FromRequest, Path, Query, Request, State},
	http::{HeaderMap, Method, StatusCode, Uri},
	routing::{get, post, put},
	Json, Router,
};
use gridchain_sdk::{
	agent::{
		request_message, verify_request_signature, DeploymentStatus, Preflight, WorkloadLogs,
		DEFAULT_LOG_TAIL, HEADER_SIGNATURE, HEADER_TIMESTAMP, HEADER_TWIN, MAX_CLOCK_SKEW_SECS,
		MAX_LOG_TAIL,
	},
	deployment::{Deployment, WorkloadType},
};

pub fn router(agent: Shared) -> Router {
	Router::new()
		.route("/v1/deployments", post(deploy))
		.route("/v1/deployments/check", post(check_deploy))
		.route("/v1/deployments/{contract_id}", get(status).put(update))
		.route("/v1/deployments/{contract_id}/check", put(check_update))
		.route("/v1/deployments/{contract_id}/logs", get(logs))
		.route("/v1/capacity", get(capacity))
		.route("/v1/health", get(health))
		.route("/metrics", get(metrics))
		.layer(browser_access())
		.with_state(agent)
}

/// Browsers on any origin (the web dashboard) may call the API: every request that matters is
/// signed by a twin's key, and no cookie or other ambient credential is ever read.
fn browser_access() -> tower_http::cors::CorsLayer {
	use axum::http::header::{HeaderName, CONTENT_TYPE};
	tower_http::cors::CorsLayer::new()
		.allow_origin(tower_http::cors::Any)
		.allow_methods([Method::GET, Method::POST, Method::PUT])
		.allow_headers([
			CONTENT_TYPE,
			HeaderName::from_static(HEADER_TWIN),
			HeaderName::from_static(HEADER_TIMESTAMP),
			HeaderName::from_static(HEADER_SIGNATURE),
		])
		.max_age(std::time::Duration::from_secs(600))
}

/// The largest request body. A document's encryption must fit the chain's 8 KiB, so its plain
/// JSON is about that size; this leaves room for up to 64 signatures and the formatting.
const MAX_BODY: usize = 64 * 1024;
/// How long a client has to send a request's body once its headers arrived.
const BODY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// A request whose signature checked out: the requesting twin and the body.
pub struct Signed {
	requester: u32,
	body: Bytes,
}

impl FromRequest<Shared> for Signed {
	type Rejection = Refusal;

	async fn from_request(request: Request, agent: &Shared) -> Result<Signed, Refusal> {
		let (parts, body) = request.into_parts();
		let checked = async {
			let body = tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(body, MAX_BODY))
				.await
				.map_err(|_| {
					Refusal::new(
						StatusCode::REQUEST_TIMEOUT,
						"BodyTooSlow",
						format!("the body did not arrive within {} s", BODY_DEADLINE.as_secs()),
					)
				})?
				.map_err(|e| {
					Refusal::new(
						StatusCode::PAYLOAD_TOO_LARGE,
						"BodyTooLarge",
						format!("the body is over {MAX_BODY} bytes: {e}"),
					)
				})?;
			let requester =
				authenticate(agent, &parts.method, &parts.uri, &parts.headers, &body).await?;
			Ok(Signed { requester, body })
		};
		checked.await.map_err(|r| refused(agent, r))
	}
}

/// Check a request's signature headers; returns the requesting twin. What costs the node
/// little comes first: the headers, the clock, then the signature against a cached account (a
/// chain read only for a twin not seen before, a few at a time), the twin's rate, and last the
/// replay memory.
async fn authenticate(
	agent: &Agent,
	method: &Method,
	uri: &Uri,
	headers: &HeaderMap,
	body: &[u8],
) -> Result<u32, Refusal> {
	let unauthorized =
		|code: &str, message: String| Refusal::new(StatusCode::UNAUTHORIZED, code, message);
	let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
	let (Some(twin), Some(timestamp), Some(signature)) =
		(header(HEADER_TWIN), header(HEADER_TIMESTAMP), header(HEADER_SIGNATURE))
	else {
		return Err(unauthorized("Unsigned", format!("the request needs the {HEADER_TWIN}, {HEADER_TIMESTAMP} and {HEADER_SIGNATURE} headers")));
	};
	let twin: u32 = twin
		.parse()
		.map_err(|_| unauthorized("Unsigned", format!("{HEADER_TWIN} is not a twin id")))?;
	let timestamp: u64 = timestamp
		.parse()
		.map_err(|_| unauthorized("Unsigned", format!("{HEADER_TIMESTAMP} is not unix seconds")))?;
	let now = now_secs();
	if now.abs_diff(timestamp) > MAX_CLOCK_SKEW_SECS {
		return Err(unauthorized("StaleRequest", format!("the request's time is {timestamp}, the node's {now}: more than {MAX_CLOCK_SKEW_SECS} s apart")));
	}
	if timestamp < agent.replays.started {
		return Err(unauthorized(
			"StaleRequest",
			format!(
				"the request's time is {timestamp}, before the agent started at {}: sign it again",
				agent.replays.started
			),
		));
	}
	let Some(account) = agent.accounts.get(&agent.client, twin).await? else {
		return Err(unauthorized("UnknownTwin", format!("twin {twin} does not exist")));
	};
	let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
	let message = request_message(method.as_str(), path, timestamp, body);
	if !verify_request_signature(&signature, &account, &message) {
		return Err(unauthorized(
			"BadRequestSignature",
			format!("the signature is not twin {twin}'s over this request"),
		));
	}
	agent.rates.take(twin)?;
	agent.replays.first_sighting(&signature, timestamp, now, MAX_CLOCK_SKEW_SECS)?;
	Ok(twin)
}

fn not_deployed(contract_id: u64) -> Refusal {
	Refusal::new(
		StatusCode::NOT_FOUND,
		"NotDeployed",
		format!("contract {contract_id} is not deployed here"),
	)
}

/// An update's document for `contract_id`, and the record of what the node runs.
fn update_of(
	agent: &Agent,
	contract_id: u64,
	body: &[u8],
) -> Result<(Deployment, Record), Refusal> {
	let doc = parse(body)?;
	if doc.contract_id != contract_id {
		return Err(Refusal::new(
			StatusCode::BAD_REQUEST,
			"ContractIdMismatch",
			format!("the path names contract {contract_id}, the document {}", doc.contract_id),
		));
	}
	let Some(previous) = agent.state.get(contract_id).map_err(Refusal::internal)? else {
		return Err(not_deployed(contract_id));
	};
	Ok((doc, previous))
}

/// A deploy of a contract the node holds already is refused: it takes an update.
fn refuse_held(agent: &Agent, contract_id: u64) -> Result<(), Refusal> {
	if agent.state.get(contract_id).map_err(Refusal::internal)?.is_some() {
		return Err(Refusal::new(
			StatusCode::CONFLICT,
			"AlreadyDeployed",
			format!("contract {contract_id} is deployed here already: send an update"),
		));
	}
	Ok(())
}

fn parse(body: &[u8]) -> Result<Deployment, Refusal> {
	Deployment::from_json(body)
		.map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "InvalidDocument", e.to_string()))
}

fn status_of(contract_id: u64, record: Record) -> DeploymentStatus {
	DeploymentStatus { contract_id, deployment: record.deployment, workloads: record.workloads }
}

fn refused(agent: &Agent, refusal: Refusal) -> Refusal {
	crate::metrics::Metrics::add(&agent.metrics.requests_refused, 1);
	tracing::info!(code = %refusal.code, "refused: {}", refusal.message);
	refusal
}

async fn deploy(
	State(agent): State<Shared>,
	Signed { requester, body }: Signed,
) -> Result<Json<DeploymentStatus>, Refusal> {
	let answer = async {
		let doc = parse(&body)?;
		let contract_id = doc.contract_id;
		refuse_held(&agent, contract_id)?;
		// Everything the chain must say is read before the change lock is taken.
		let ips = checks::check(&agent, requester, &doc, None).await?;
		let record = {
			let _change = agent.changes.lock().await;
			refuse_held(&agent, contract_id)?;
			checks::check_capacity(&agent, &doc)?;
			agent.provision(contract_id, Record::new(doc, &ips)).map_err(Refusal::internal)?
		};
		// The lock is not held while the confirmation waits for its block.
		let record = agent.confirm_provisioned(contract_id, record).await;
		Ok(Json(status_of(contract_id, record)))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

async fn update(
	State(agent): State<Shared>,
	Path(contract_id): Path<u64>,
	Signed { requester, body }: Signed,
) -> Result<Json<DeploymentStatus>, Refusal> {
	let answer = async {
		let (doc, previous) = update_of(&agent, contract_id, &body)?;
		let ips = checks::check(&agent, requester, &doc, Some(&previous)).await?;
		let record = {
			let _change = agent.changes.lock().await;
			// Checked against the version running when the checks began: one that changed
			// meanwhile (another update, a cancel) is not overwritten unchecked.
			let now = agent.state.get(contract_id).map_err(Refusal::internal)?;
			if now.as_ref().map(|r| &r.deployment) != Some(&previous.deployment) {
				return Err(Refusal::new(
					StatusCode::CONFLICT,
					"ConcurrentChange",
					format!("contract {contract_id}'s deployment changed while this update was checked: send it again"),
				));
			}
			checks::check_capacity(&agent, &doc)?;
			let mut record = Record::new(doc, &ips);
			let now = now.unwrap_or(previous);
			// The chain goes on taking reports for a contract its node confirmed once.
			record.ever_confirmed = now.reportable();
			record.vms = now.vms;
			agent.provision(contract_id, record).map_err(Refusal::internal)?
		};
		let record = agent.confirm_provisioned(contract_id, record).await;
		Ok(Json(status_of(contract_id, record)))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

/// A pre-flight the node would take, counted.
fn passed(agent: &Agent, preflight: Preflight) -> Preflight {
	crate::metrics::Metrics::add(&agent.metrics.preflights_passed, 1);
	preflight
}

/// The pre-flight of a deploy: would the node take this document once its contract exists?
async fn check_deploy(
	State(agent): State<Shared>,
	Signed { requester, body }: Signed,
) -> Result<Json<Preflight>, Refusal> {
	let answer = async {
		let doc = parse(&body)?;
		if doc.contract_id != 0 {
			refuse_held(&agent, doc.contract_id)?;
		}
		Ok(Json(passed(&agent, checks::preflight(&agent, requester, &doc, None).await?)))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

/// The pre-flight of an update: would the node take this document in place of what it runs,
/// once the contract holds its hash?
async fn check_update(
	State(agent): State<Shared>,
	Path(contract_id): Path<u64>,
	Signed { requester, body }: Signed,
) -> Result<Json<Preflight>, Refusal> {
	let answer = async {
		let (doc, previous) = update_of(&agent, contract_id, &body)?;
		Ok(Json(passed(&agent, checks::preflight(&agent, requester, &doc, Some(&previous)).await?)))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

async fn status(
	State(agent): State<Shared>,
	Path(contract_id): Path<u64>,
	Signed { requester, .. }: Signed,
) -> Result<Json<DeploymentStatus>, Refusal> {
	let answer = async {
		let Some(record) = agent.state.get(contract_id).map_err(Refusal::internal)? else {
			return Err(not_deployed(contract_id));
		};
		checks::may_act(requester, &record.deployment)?;
		Ok(Json(status_of(contract_id, record)))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

/// The query of the logs route: `?workload=NAME&tail=N`.
#[derive(serde::Deserialize)]
struct LogsQuery {
	workload: Option<String>,
	/// Read as text, so that a bad number is refused as `BadTail`.
	tail: Option<String>,
}

async fn logs(
	State(agent): State<Shared>,
	Path(contract_id): Path<u64>,
	query: Result<Query<LogsQuery>, QueryRejection>,
	Signed { requester, .. }: Signed,
) -> Result<Json<WorkloadLogs>, Refusal> {
	let answer = async {
		let Query(query) =
			query.map_err(|e| Refusal::new(StatusCode::BAD_REQUEST, "BadQuery", e.body_text()))?;
		let Some(record) = agent.state.get(contract_id).map_err(Refusal::internal)? else {
			return Err(not_deployed(contract_id));
		};
		checks::may_act(requester, &record.deployment)?;
		let workload = vm_workload(contract_id, &record, query.workload)?;
		let tail = log_tail(query.tail.as_deref())?;
		let text = tokio::task::block_in_place(|| {
			agent.provisioner.logs(contract_id, &record, &workload, tail)
		})
		.map_err(|reason| {
			Refusal::new(
				StatusCode::SERVICE_UNAVAILABLE,
				"LogsUnavailable",
				format!("the logs of workload `{workload}` cannot be read: {reason}"),
			)
		})?;
		let skip = text.lines().count().saturating_sub(tail);
		let lines = text.lines().skip(skip).map(str::to_string).collect();
		Ok(Json(WorkloadLogs { contract_id, workload, lines }))
	};
	answer.await.map_err(|r| refused(&agent, r))
}

/// The `workload` of a logs request: it must name a VM workload of the deployment.
fn vm_workload(
	contract_id: u64,
	record: &Record,
	workload: Option<String>,
) -> Result<String, Refusal> {
	let bad = |code: &str, message: String| Refusal::new(StatusCode::BAD_REQUEST, code, message);
	let Some(workload) = workload else {
		return Err(bad("MissingWorkload", "name the VM workload to read: ?workload=NAME".into()));
	};
	match record.deployment.workload(&workload).map(|w| w.data.kind()) {
		Some(WorkloadType::Vm) => Ok(workload),
		Some(kind) => Err(bad(
			"NotAVmWorkload",
			format!("workload `{workload}` is a {kind} workload: only VM workloads have logs"),
		)),
		None => Err(bad(
			"UnknownWorkload",
			format!("contract {contract_id}'s deployment has no workload `{workload}`"),
		)),
	}
}

/// The `tail` of a logs request: 1..=MAX_LOG_TAIL lines, DEFAULT_LOG_TAIL when absent.
fn log_tail(tail: Option<&str>) -> Result<usize, Refusal> {
	let Some(tail) = tail else { return Ok(DEFAULT_LOG_TAIL) };
	tail.parse::<usize>().ok().filter(|n| (1..=MAX_LOG_TAIL).contains(n)).ok_or_else(|| {
		Refusal::new(
			StatusCode::BAD_REQUEST,
			"BadTail",
			format!("tail is `{tail}`: it must be a number of lines from 1 to {MAX_LOG_TAIL}"),
		)
	})
}

async fn capacity(State(agent): State<Shared>) -> Result<Json<serde_json::Value>, Refusal> {
	let reserved = agent.reserved(None).map_err(Refusal::internal)?;
	let total = agent.total;
	let free = total.saturating_sub(&reserved);
	Ok(Json(serde_json::json!({"total": total, "reserved": reserved, "free": free})))
}

async fn health(State(agent): State<Shared>) -> Json<serde_json::Value> {
	Json(serde_json::json!({"status": "ok", "node_id": agent.node_id, "twin_id": agent.twin_id}))
}

async fn metrics(State(agent): State<Shared>) -> String {
	let twin_reads = agent.accounts.reads.load(std::sync::atomic::Ordering::Relaxed);
	agent.metrics.render(&agent.counts(), now_secs(), twin_reads)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn log_tail_defaults_to_100_and_refuses_outside_1_to_10000() {
		let code = |tail| log_tail(tail).map_err(|r| r.code);
		assert_eq!(code(None), Ok(DEFAULT_LOG_TAIL));
		assert_eq!(code(Some("1")), Ok(1));
		assert_eq!(code(Some("10000")), Ok(MAX_LOG_TAIL));
		for bad in ["0", "10001", "-1", "", "ten"] {
			assert_eq!(code(Some(bad)), Err("BadTail".to_string()), "tail={bad}");
		}
	}
}
