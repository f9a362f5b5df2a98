//! A refused request: the HTTP status and the `{"code", "message"}` body every refusal of the
//! API has (SPEC §10), made by the checks, the guards and the handlers alike.

use axum::{
	http::StatusCode,
	response::{IntoResponse, Response},
	Json,
};
use gridchain_sdk::Error;

/// A refused request: an HTTP status and `{"code", "message"}`.
#[derive(Debug)]
pub struct Refusal {
	pub status: StatusCode,
	pub code: String,
	pub message: String,
}

impl Refusal {
	pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Refusal {
		Refusal { status, code: code.to_string(), message: message.into() }
	}

	/// The chain could not answer a check.
	pub fn unavailable(e: Error) -> Refusal {
		Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "ChainUnavailable", e.to_string())
	}

	pub fn internal(e: impl std::fmt::Display) -> Refusal {
		Refusal::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal", e.to_string())
	}
}

impl IntoResponse for Refusal {
	fn into_response(self) -> Response {
		let body = Json(gridchain_sdk::agent::Refusal { code: self.code, message: self.message });
		(self.status, body).into_response()
	}
}
