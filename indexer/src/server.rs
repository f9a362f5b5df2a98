//! The HTTP server: GraphQL (POST `/` or `/graphql`), GraphiQL (GET `/`), `/health`, `/metrics`.

use crate::{
	api::GridSchema,
	db::Db,
	limits::{Refused, MAX_BODY_BYTES},
	status::Status,
};
use async_graphql::http::GraphiQLSource;
use axum::{
	body::Bytes,
	extract::{
		rejection::{BytesRejection, FailedToBufferBody},
		DefaultBodyLimit, State,
	},
	http::{header, StatusCode},
	response::{Html, IntoResponse, Response},
	routing::get,
	Json, Router,
};
use std::{
	sync::{atomic::Ordering, Arc},
	time::Duration,
};

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
	pub schema: GridSchema,
	/// The follower's handle: `/health` asks it, so that a flood of queries (which waits for the
	/// API's connections) cannot make a healthy indexer look down.
	pub db: Db,
	/// The API's handle, whose reads `/metrics` counts.
	pub api_db: Db,
	pub status: Arc<Status>,
	/// `/health` answers 503 when the indexer is more blocks than this behind.
	pub max_lag: i64,
	/// A GraphQL request not answered within this is answered `REQUEST_TIMEOUT`.
	pub request_timeout: Duration,
}

/// The router.
pub fn router(state: AppState) -> Router {
	Router::new()
		.route("/", get(graphiql).post(graphql))
		.route("/graphql", get(graphiql).post(graphql))
		.route("/health", get(health))
		.route("/metrics", get(metrics))
		.layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
		.layer(
			// Public, read-only data: any page (the web dashboard) may query it.
			tower_http::cors::CorsLayer::new()
				.allow_origin(tower_http::cors::Any)
				.allow_methods([axum::http::Method::GET, axum::http::Method::POST])
				.allow_headers([axum::http::header::CONTENT_TYPE]),
		)
		.with_state(state)
}

async fn graphiql() -> Html<String> {
	Html(GraphiQLSource::build().endpoint("/graphql").title("Gridchain indexer").finish())
}

/// A GraphQL request as JSON (`query`, `variables`, `operationName`), at most
/// [`MAX_BODY_BYTES`], answered within `request_timeout`; a refusal is a GraphQL error naming the
/// limit.
async fn graphql(State(state): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
	let body = match body {
		Ok(body) => body,
		Err(BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_))) => {
			return refused(
				StatusCode::PAYLOAD_TOO_LARGE,
				Refused::BodyTooLarge { limit: MAX_BODY_BYTES },
			);
		}
		Err(e) => return error(e.status(), format!("body: {}", e.body_text())),
	};
	let request: async_graphql::Request = match serde_json::from_slice(&body) {
		Ok(request) => request,
		Err(e) => {
			let message =
				format!("body: expected a GraphQL request in JSON ({{\"query\": …}}): {e}");
			return error(StatusCode::BAD_REQUEST, message);
		}
	};
	match tokio::time::timeout(state.request_timeout, state.schema.execute(request)).await {
		Ok(response) => Json(response).into_response(),
		Err(_) => {
			let limit_ms = u64::try_from(state.request_timeout.as_millis()).unwrap_or(u64::MAX);
			refused(StatusCode::OK, Refused::RequestTimeout { limit_ms })
		}
	}
}

/// A GraphQL answer holding one error.
fn error(code: StatusCode, message: String) -> Response {
	let response =
		async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(message, None)]);
	(code, Json(response)).into_response()
}

fn refused(code: StatusCode, refused: Refused) -> Response {
	let response = async_graphql::Response::from_errors(vec![refused.server_error()]);
	(code, Json(response)).into_response()
}

async fn health(State(state): State<AppState>) -> Response {
	let heights = state.status.heights();
	let (finalized, lag) = (heights.finalized, heights.lag);
	let database_ok = sqlx::query("SELECT 1").execute(&state.db.pool).await.is_ok();
	let healthy = database_ok && finalized >= 0 && lag <= state.max_lag;
	let body = serde_json::json!({
		"status": if healthy { "ok" } else if !database_ok { "database unreachable" } else if finalized < 0 { "chain not reached yet" } else { "behind" },
		"indexed_height": heights.indexed,
		"finalized_height": finalized,
		"lag_blocks": lag,
		"database": state.db.backend.name(),
	});
	let code = if healthy { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
	(code, Json(body)).into_response()
}

async fn metrics(State(state): State<AppState>) -> Response {
	let s = &state.status;
	let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
	let heights = s.heights();
	let mut out = String::new();
	let mut metric = |name: &str, kind: &str, help: &str, value: String| {
		out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
	};
	metric(
		"grid_indexer_indexed_height",
		"gauge",
		"The last block committed.",
		heights.indexed.to_string(),
	);
	metric(
		"grid_indexer_finalized_height",
		"gauge",
		"The chain's finalized head when last asked.",
		heights.finalized.to_string(),
	);
	metric(
		"grid_indexer_lag_blocks",
		"gauge",
		"Blocks behind the finalized head (-1: chain not reached).",
		heights.lag.to_string(),
	);
	metric(
		"grid_indexer_blocks_total",
		"counter",
		"Blocks indexed since start.",
		get(&s.blocks).to_string(),
	);
	metric(
		"grid_indexer_events_total",
		"counter",
		"Events in the blocks indexed since start.",
		get(&s.events).to_string(),
	);
	metric(
		"grid_indexer_batches_total",
		"counter",
		"Database transactions committed since start.",
		get(&s.batches).to_string(),
	);
	metric(
		"grid_indexer_commit_seconds_total",
		"counter",
		"Time spent committing batches.",
		format!("{:.6}", get(&s.commit_micros) as f64 / 1e6),
	);
	let secs = |a: &std::sync::atomic::AtomicU64| format!("{:.6}", get(a) as f64 / 1e6);
	metric(
		"grid_indexer_read_wait_seconds_total",
		"counter",
		"Time the follower waited for the next block: reading is the limit.",
		secs(&s.read_wait_micros),
	);
	metric(
		"grid_indexer_write_wait_seconds_total",
		"counter",
		"Time the follower waited for the previous batch's write: writing is the limit.",
		secs(&s.write_wait_micros),
	);
	metric(
		"grid_indexer_rpc_seconds_total",
		"counter",
		"The node's answers, summed over the blocks read at once (latency, not wall time).",
		secs(&s.rpc_micros),
	);
	metric(
		"grid_indexer_rpc_at_block_seconds_total",
		"counter",
		"Of those answers, finding each block: its hash and its runtime's version.",
		secs(&s.at_block_micros),
	);
	metric(
		"grid_indexer_rpc_calls_total",
		"counter",
		"Calls to the node while reading blocks.",
		get(&s.rpc_calls).to_string(),
	);
	metric(
		"grid_indexer_decode_seconds_total",
		"counter",
		"Time decoding the events of the blocks read.",
		secs(&s.decode_micros),
	);
	metric(
		"grid_indexer_api_reads_total",
		"counter",
		"SQL reads (SELECT statements) the GraphQL API has sent.",
		state.api_db.reads().to_string(),
	);
	metric(
		"grid_indexer_chain_errors_total",
		"counter",
		"Failed connections or reads of the chain.",
		get(&s.chain_errors).to_string(),
	);
	([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}
