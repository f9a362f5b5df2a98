//! What can go wrong talking to the chain, said so that a user knows what happened.

/// An SDK error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
	/// The node could not be reached.
	#[error("cannot reach the chain at {url}: {reason}")]
	Connect { url: String, reason: String },
	/// The transaction was included and the chain refused it: a pallet error with its doc sentence.
	#[error("the chain refused: {pallet}::{name}: {sentence}")]
	Refused { pallet: String, name: String, sentence: String },
	/// The chain refused with a dispatch error that is not a pallet error (bad origin, token, …).
	#[error("the chain refused: {0}")]
	Dispatch(String),
	/// The transaction pool refused the transaction (fees, nonce, signature): it never reached a block.
	#[error("the transaction was not accepted: {0}")]
	Rejected(String),
	/// A multisig member's approval was recorded; the call runs when `threshold` members approved.
	#[error("approval {approvals} of {threshold} recorded for call {call_hash}; it runs when {threshold} members approved")]
	AwaitingApprovals { call_hash: String, call_data: String, approvals: usize, threshold: u16 },
	/// The node agent refused a request: the rule, by name, and why.
	#[error("the node refused: {code}: {message}")]
	Agent { code: String, message: String },
	/// An update reached the chain and its node refused it: the contract holds a deployment hash
	/// the node does not run, and stays unconfirmed until a document the node takes is put on
	/// it — e.g. the one it runs, renumbered ([`crate::Client::restore_document`]).
	#[error("contract {contract_id} now holds version {version} of its deployment and node {node_id} refused it: {refusal}; {}", running_text(*.running_version))]
	Stranded {
		contract_id: u64,
		node_id: u32,
		/// The document version the chain now holds.
		version: u32,
		/// The document version the node still runs, when it said.
		running_version: Option<u32>,
		/// Why the node refused: an [`Error::Agent`] or a connection failure.
		refusal: Box<Error>,
	},
	/// A node answered something its tenant cannot believe (a document nobody signed, another
	/// contract's): a node is a stranger to its tenants.
	#[error("untrusted node: {0}")]
	Untrusted(String),
	/// Something asked for does not exist on chain.
	#[error("{what} {id} does not exist")]
	NotFound { what: &'static str, id: String },
	/// The request is wrong before the chain is asked (which field, why).
	#[error("{field}: {reason}")]
	Input { field: String, reason: String },
	/// The deployment document, its signatures or its encryption.
	#[error("deployment: {0}")]
	Deployment(String),
	/// A key or secret URI that cannot be used.
	#[error("key: {0}")]
	Key(String),
	/// A grid-indexer could not answer.
	#[error("the indexer at {url} did not answer: {reason}")]
	Indexer { url: String, reason: String },
	/// The client and the chain disagree (another runtime, a decoding failure, a dropped connection).
	#[error("chain client: {0}")]
	Client(String),
}

fn running_text(running_version: Option<u32>) -> String {
	match running_version {
		Some(v) => format!("the node still runs version {v}"),
		None => "what the node runs could not be read".into(),
	}
}

impl Error {
	/// True when the chain (or its transaction pool) refused what was asked, as opposed to bad
	/// input or a broken connection.
	pub fn is_refusal(&self) -> bool {
		matches!(
			self,
			Error::Refused { .. }
				| Error::Dispatch(_)
				| Error::Rejected(_)
				| Error::Agent { .. }
				| Error::Stranded { .. }
		)
	}

	/// True when the input was wrong before the chain was asked.
	pub fn is_input(&self) -> bool {
		matches!(self, Error::Input { .. } | Error::Deployment(_) | Error::Key(_))
	}

	/// A deployment error, named: `RequiredSignerMissing: twin 3 is required to sign and has not`.
	pub fn deployment<E: gridchain_deployment::Rule>(e: E) -> Error {
		Error::Deployment(named(&e))
	}

	pub(crate) fn input(field: impl Into<String>, reason: impl Into<String>) -> Error {
		Error::Input { field: field.into(), reason: reason.into() }
	}
}

/// A deployment error as `Rule: sentence`: `RequiredSignerMissing: twin 3 is required to sign
/// and has not`.
pub fn named<E: gridchain_deployment::Rule>(e: &E) -> String {
	e.named()
}

macro_rules! client_error_from {
	($($t:ty),* $(,)?) => {$(
		impl From<$t> for Error {
			fn from(e: $t) -> Error {
				Error::Client(e.to_string())
			}
		}
	)*};
}

client_error_from!(
	subxt::Error,
	subxt::error::StorageError,
	subxt::error::RuntimeApiError,
	subxt::error::EventsError,
	subxt::error::ExtrinsicError,
	subxt::error::OnlineClientAtBlockError,
	subxt::error::BlocksError,
	subxt::error::StorageKeyError,
	subxt::error::StorageValueError,
	subxt::error::OnlineClientError,
	subxt::error::ConstantError,
	subxt::error::TransactionProgressError,
	subxt::error::AccountNonceError,
	subxt::rpcs::Error,
	subxt::ext::scale_decode::Error,
);

/// The SDK's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
