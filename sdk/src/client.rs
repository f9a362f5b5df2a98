//! One connection to the chain and the one way every call is submitted.

use crate::{chain, Error, Result};
use subxt::{
	error::{
		DispatchError, TransactionEventsError, TransactionProgressError, TransactionStatusError,
	},
	rpcs::RpcClient,
	tx::{Payload, TransactionStatus},
	utils::{AccountId32, H256},
	OnlineClient, OnlineClientAtBlock, PolkadotConfig,
};
use subxt_signer::sr25519::Keypair;

/// The chain's configuration as subxt sees it.
pub type Config = PolkadotConfig;

/// The events of one submitted transaction.
pub type TxEvents = subxt::extrinsics::ExtrinsicEvents<Config>;

/// How long a call waits before it returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Wait {
	/// Until the block that includes the transaction is finalized (the default).
	#[default]
	Finalized,
	/// Until the transaction is in a best block.
	InBlock,
}

/// Where a submitted transaction landed, and what it emitted.
pub struct Receipt {
	/// The block that includes it.
	pub block_hash: H256,
	/// That block's number.
	pub block_number: u64,
	/// The transaction's events (those of calls nested in a multisig or batch included).
	pub events: TxEvents,
}

impl Receipt {
	/// The first event of type `E`, if the transaction emitted one.
	pub fn find<E: subxt::events::DecodeAsEvent>(&self) -> Result<Option<E>> {
		Ok(self.events.find_first::<E>().transpose()?)
	}

	/// Every event of type `E` the transaction emitted.
	pub fn find_all<E: subxt::events::DecodeAsEvent>(&self) -> Result<Vec<E>> {
		Ok(self.events.find::<E>().collect::<Result<Vec<E>, _>>()?)
	}

	/// The first event of type `E`, or an error naming what was expected.
	pub fn expect_event<E: subxt::events::DecodeAsEvent>(&self, what: &str) -> Result<E> {
		self.find::<E>()?.ok_or_else(|| Error::Client(format!("the chain emitted no {what} event")))
	}
}

/// A connection to a Gridchain node.
#[derive(Clone)]
pub struct Client {
	pub(crate) api: OnlineClient<Config>,
	pub(crate) rpc: RpcClient,
	wait: Wait,
	pub(crate) multisig: Option<crate::Multisig>,
	/// One submission at a time per signer, until the pool holds it: two calls that read the
	/// same next nonce would otherwise both be signed with it, and one of them refused.
	turns: std::sync::Arc<std::sync::Mutex<SignerTurns>>,
}

/// A lock per signer account, shared by the clones of one [`Client`].
type SignerTurns = std::collections::HashMap<[u8; 32], std::sync::Arc<tokio::sync::Mutex<()>>>;

impl Client {
	/// Connect to the node at `url` (`ws://127.0.0.1:9944`, `wss://…`).
	pub async fn connect(url: &str) -> Result<Client> {
		let connect_error = |reason: String| Error::Connect { url: url.to_string(), reason };
		let rpc =
			RpcClient::from_insecure_url(url).await.map_err(|e| connect_error(e.to_string()))?;
		let api = OnlineClient::<Config>::from_rpc_client(rpc.clone())
			.await
			.map_err(|e| connect_error(e.to_string()))?;
		let client =
			Client { api, rpc, wait: Wait::default(), multisig: None, turns: Default::default() };
		let at = client.at().await?;
		if !chain::is_codegen_valid_for(at.metadata_ref()) {
			tracing::warn!("the chain's runtime differs from the one this client was built for");
		}
		Ok(client)
	}

	/// The same connection, waiting for `wait` on every call.
	pub fn with_wait(mut self, wait: Wait) -> Client {
		self.wait = wait;
		self
	}

	/// The subxt client, for anything this SDK does not wrap.
	pub fn api(&self) -> &OnlineClient<Config> {
		&self.api
	}

	/// The raw RPC client.
	pub fn rpc(&self) -> &RpcClient {
		&self.rpc
	}

	/// The latest finalized block, where reads happen.
	///
	/// The block is found with the node's `chain_*` methods, not subxt's chainHead subscription:
	/// that subscription can drop a block it has just reported as finalized (the node restarts
	/// a subscription that lags, which happens on a loaded machine), and subxt then answers that
	/// the block has no header.
	pub async fn at(&self) -> Result<OnlineClientAtBlock<Config>> {
		let hash = self.legacy().chain_get_finalized_head().await?;
		self.at_hash(hash).await
	}

	/// Block `hash`, found as [`Client::at`] finds the finalized one.
	pub async fn at_hash(&self, hash: H256) -> Result<OnlineClientAtBlock<Config>> {
		let number = self.number_of(hash).await?;
		Ok(self.api.at_block_hash_and_number(hash, number).await?)
	}

	/// The number of block `hash`, from its header alone.
	async fn number_of(&self, hash: H256) -> Result<u64> {
		let header = self
			.legacy()
			.chain_get_header(Some(hash))
			.await?
			.ok_or_else(|| Error::Client(format!("the node does not know block {hash:?}")))?;
		Ok(header.number)
	}

	/// The node's `chain_*`, `state_*` and `system_*` methods.
	pub(crate) fn legacy(
		&self,
	) -> subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<Config>> {
		subxt::rpcs::LegacyRpcMethods::new(self.rpc.clone())
	}

	/// The number of the latest finalized block.
	pub async fn finalized_number(&self) -> Result<u64> {
		Ok(self.at().await?.block_number())
	}

	/// Sign `call` with `signer`, submit it, and wait as configured. A pallet error comes back as
	/// [`Error::Refused`] with the error's name and doc sentence. On a multisig client
	/// ([`Client::as_multisig`]) the call is the signer's approval.
	pub async fn submit<P: Payload>(&self, call: &P, signer: &Keypair) -> Result<Receipt> {
		match &self.multisig {
			Some(multisig) => self.submit_as_multisig(multisig, call, signer).await,
			None => self.submit_direct(call, signer).await,
		}
	}

	/// `submit`, always as the signer itself.
	pub(crate) async fn submit_direct<P: Payload>(
		&self,
		call: &P,
		signer: &Keypair,
	) -> Result<Receipt> {
		let at = self.at().await?;
		let signer_id = signer.public_key().to_account_id();
		let turn = self.turn_of(&signer_id);
		// The signer's turn lasts until the pool holds the transaction: the pool's next nonce
		// then counts it, so calls (from any task) can follow each other without waiting for
		// finality, each with its own nonce.
		let (mut progress, mut first) = {
			let _turn = turn.lock().await;
			let nonce = self.next_nonce(&signer_id).await?;
			let params =
				subxt::config::DefaultExtrinsicParamsBuilder::<Config>::new().nonce(nonce).build();
			let mut progress = at
				.tx()
				.sign_and_submit_then_watch(call, signer, params)
				.await
				.map_err(refusal_from_extrinsic)?;
			let first = match progress.next().await {
				Some(Ok(TransactionStatus::Validated | TransactionStatus::Broadcasted)) => None,
				other => other,
			};
			(progress, first)
		};
		loop {
			let status = match first.take() {
				Some(status) => status,
				None => match progress.next().await {
					Some(status) => status,
					None => break,
				},
			};
			let status = status.map_err(refusal_from_progress)?;
			let in_block = match status {
				TransactionStatus::InFinalizedBlock(b) => b,
				TransactionStatus::InBestBlock(b) if self.wait == Wait::InBlock => b,
				TransactionStatus::Invalid { message }
				| TransactionStatus::Dropped { message }
				| TransactionStatus::Error { message } => return Err(Error::Rejected(message)),
				_ => continue,
			};
			let block_hash = in_block.block_hash();
			let events =
				in_block.wait_for_success().await.map_err(|e| self.refusal_from_events(e))?;
			// The header alone gives the number (a client for the block would also ask the
			// runtime's version).
			let block_number = self.number_of(block_hash).await?;
			return Ok(Receipt { block_hash, block_number, events });
		}
		Err(Error::Client("the transaction's status stream ended before it was in a block".into()))
	}

	/// `who`'s submission lock.
	fn turn_of(&self, who: &AccountId32) -> std::sync::Arc<tokio::sync::Mutex<()>> {
		let mut turns = self.turns.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
		turns.entry(who.0).or_default().clone()
	}

	/// Chain time of the latest finalized block, unix seconds.
	pub async fn chain_time_secs(&self) -> Result<u64> {
		let millis: u64 = self
			.at()
			.await?
			.storage()
			.fetch(chain::storage().timestamp().now(), ())
			.await?
			.decode()?;
		Ok(millis / 1000)
	}

	/// The next nonce of `who`, counting transactions still in the pool.
	pub async fn next_nonce(&self, who: &AccountId32) -> Result<u64> {
		Ok(self.legacy().system_account_next_index(who).await?)
	}

	fn refusal_from_events(&self, e: TransactionEventsError) -> Error {
		match e {
			TransactionEventsError::ExtrinsicFailed(error) => refusal_from_dispatch(error),
			other => Error::Client(other.to_string()),
		}
	}

	/// The name and doc sentence of a pallet error given as `(pallet index, error bytes)`, as
	/// nested calls (multisig) report them in events.
	pub(crate) async fn describe_module_error(&self, index: u8, error: [u8; 4]) -> Error {
		let Ok(at) = self.at().await else {
			return Error::Dispatch(format!("module error {index}/{}", error[0]));
		};
		let metadata = at.metadata_ref();
		match metadata.pallet_by_error_index(index).and_then(|p| {
			p.error_variant_by_index(error[0])
				.map(|v| (p.name().to_string(), v.name.clone(), v.docs.join(" ")))
		}) {
			Some((pallet, name, sentence)) => Error::Refused { pallet, name, sentence },
			None => Error::Dispatch(format!("module error {index}/{}", error[0])),
		}
	}
}

/// A dispatch error in words: a pallet error by name with its doc sentence.
pub(crate) fn refusal_from_dispatch(error: DispatchError) -> Error {
	match error {
		DispatchError::Module(module) => match module.details() {
			Ok(details) => Error::Refused {
				pallet: details.pallet.name().to_string(),
				name: details.variant.name.clone(),
				sentence: details.variant.docs.join(" "),
			},
			Err(_) => Error::Dispatch(module.to_string()),
		},
		other => Error::Dispatch(other.to_string()),
	}
}

fn refusal_from_progress(e: TransactionProgressError) -> Error {
	match e {
		TransactionProgressError::TransactionStatusError(
			TransactionStatusError::Invalid(message)
			| TransactionStatusError::Dropped(message)
			| TransactionStatusError::Error(message),
		) => Error::Rejected(message),
		other => Error::Client(other.to_string()),
	}
}

fn refusal_from_extrinsic(e: subxt::error::ExtrinsicError) -> Error {
	match e {
		subxt::error::ExtrinsicError::TransactionStatusError(
			TransactionStatusError::Invalid(message)
			| TransactionStatusError::Dropped(message)
			| TransactionStatusError::Error(message),
		) => Error::Rejected(message),
		subxt::error::ExtrinsicError::ErrorSubmittingTransaction(e) => {
			Error::Rejected(e.to_string())
		}
		other => Error::Client(other.to_string()),
	}
}
