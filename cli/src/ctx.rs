//! What every command works with: the global options, how to print, and under
//! `grid multisig propose` the multisig acting.

use crate::{args::Global, fail::CmdResult, keystore, output::Output};
use gridchain_sdk::{Client, Identity, IndexerClient, Multisig, Wait};

/// What every command works with.
pub struct Ctx {
	pub global: Global,
	pub out: Output,
	/// Set under `grid multisig propose`: calls become this multisig's approvals.
	pub multisig: Option<Multisig>,
}

impl Ctx {
	/// A command acting as its key, printing as `--json` says.
	pub fn new(global: Global) -> Ctx {
		Ctx { out: Output { json: global.json }, global, multisig: None }
	}

	/// A command acting as `multisig`: its calls become approvals.
	pub fn as_multisig(global: Global, multisig: Multisig) -> Ctx {
		Ctx { multisig: Some(multisig), ..Ctx::new(global) }
	}

	/// The identity to act with.
	pub fn identity(&self) -> CmdResult<Identity> {
		keystore::identity(self.global.key.as_deref(), self.global.key_file.as_deref())
	}

	/// A connection to the chain.
	pub async fn client(&self) -> CmdResult<Client> {
		let wait = if self.global.no_wait_finality { Wait::InBlock } else { Wait::Finalized };
		let client = Client::connect(&self.global.url).await?.with_wait(wait);
		Ok(match &self.multisig {
			Some(multisig) => client.as_multisig(multisig.clone()),
			None => client,
		})
	}

	/// The indexer to ask, from `--indexer`, `GRID_INDEXER` or the config file.
	pub fn indexer(&self) -> CmdResult<Option<IndexerClient>> {
		let url = match &self.global.indexer {
			Some(url) => Some(url.clone()),
			None => keystore::configured_indexer()?,
		};
		Ok(url.filter(|u| !u.is_empty()).map(|u| IndexerClient::new(&u)))
	}

	/// The twin id of the account acting (the multisig's under `multisig propose`).
	pub async fn own_twin(&self, client: &Client) -> CmdResult<u32> {
		let account = match &self.multisig {
			Some(multisig) => multisig.account_id(),
			None => self.identity()?.account_id(),
		};
		Ok(client.own_twin_id(&account).await?)
	}
}
