//! Why a command failed, and the exit code that says so.

use gridchain_sdk::Error;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
	/// Bad usage or input: exit 2.
	Input(String),
	/// The chain refused, or could not be reached: exit 1.
	Chain(String),
	/// A multisig approval was recorded and the call waits for more (`Error::AwaitingApprovals`).
	Awaiting(Error),
}

impl Failure {
	pub fn exit_code(&self) -> i32 {
		match self {
			Failure::Input(_) => 2,
			Failure::Chain(_) => 1,
			Failure::Awaiting(_) => 0,
		}
	}

	pub fn message(&self) -> String {
		match self {
			Failure::Input(m) | Failure::Chain(m) => m.clone(),
			Failure::Awaiting(e) => e.to_string(),
		}
	}
}

/// Bad input: `field` and why.
pub fn input(field: &str, reason: impl std::fmt::Display) -> Failure {
	Failure::Input(format!("{field}: {reason}"))
}

impl From<Error> for Failure {
	fn from(e: Error) -> Failure {
		if matches!(e, Error::AwaitingApprovals { .. }) {
			Failure::Awaiting(e)
		} else if e.is_input() {
			Failure::Input(e.to_string())
		} else {
			Failure::Chain(e.to_string())
		}
	}
}

pub type CmdResult<T = ()> = Result<T, Failure>;
