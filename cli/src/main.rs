#![doc = include_str!("../README.md")]

mod args;
mod commands;
mod env_file;
mod fail;
mod keystore;
mod output;
mod private_file;

use args::{Cli, Command, Global};
use clap::Parser;
use fail::{CmdResult, Failure};
use gridchain_sdk::{Client, Identity, Multisig, Wait};
use output::Output;

/// What every command works with.
pub struct Ctx {
	pub global: Global,
	pub out: Output,
	/// Set under `grid multisig propose`: calls become this multisig's approvals.
	pub multisig: Option<Multisig>,
}

impl Ctx {
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
	pub fn indexer(&self) -> CmdResult<Option<gridchain_sdk::IndexerClient>> {
		let url = match &self.global.indexer {
			Some(url) => Some(url.clone()),
			None => keystore::configured_indexer()?,
		};
		Ok(url.filter(|u| !u.is_empty()).map(|u| gridchain_sdk::IndexerClient::new(&u)))
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

#[tokio::main]
async fn main() {
	let cli = Cli::parse();
	keystore::warn_if_key_on_command_line(cli.global.key.as_deref());
	let ctx = Ctx { out: Output { json: cli.global.json }, global: cli.global, multisig: None };
	if let Err(failure) = run(&ctx, cli.command).await {
		eprintln!("error: {}", failure.message());
		std::process::exit(failure.exit_code());
	}
}

/// Run one command.
pub async fn run(ctx: &Ctx, command: Command) -> Result<(), Failure> {
	match command {
		Command::Key(c) => commands::key::run(ctx, c),
		Command::Twin(c) => commands::registry::twin(ctx, c).await,
		Command::Farm(c) => commands::registry::farm(ctx, c).await,
		Command::Node(c) => commands::registry::node(ctx, c).await,
		Command::Deployment(c) => commands::deployment::run(ctx, c).await,
		Command::Contract(c) => commands::contract::run(ctx, c).await,
		Command::Name(c) => commands::contract::name(ctx, c).await,
		Command::Rent { node } => commands::contract::rent(ctx, node).await,
		Command::Balance { account } => commands::account::balance(ctx, account).await,
		Command::Transfer { to, amount } => commands::account::transfer(ctx, &to, &amount).await,
		Command::Multisig(c) => Box::pin(commands::multisig::run(ctx, c)).await,
	}
}
