//! One module per noun, and [`dispatch`], which hands each parsed command to its module.

pub mod account;
pub mod contract;
pub mod deployment;
pub mod key;
pub mod multisig;
mod quote;
pub mod registry;

use crate::{args::Command, ctx::Ctx, fail::CmdResult};

/// Run one command.
pub async fn dispatch(ctx: &Ctx, command: Command) -> CmdResult {
	match command {
		Command::Key(c) => key::run(ctx, c),
		Command::Twin(c) => registry::twin(ctx, c).await,
		Command::Farm(c) => registry::farm(ctx, c).await,
		Command::Node(c) => registry::node(ctx, c).await,
		Command::Deployment(c) => deployment::run(ctx, c).await,
		Command::Contract(c) => contract::run(ctx, c).await,
		Command::Name(c) => contract::name(ctx, c).await,
		Command::Rent { node } => contract::rent(ctx, node).await,
		Command::Balance { account } => account::balance(ctx, account).await,
		Command::Transfer { to, amount } => account::transfer(ctx, &to, &amount).await,
		Command::Multisig(c) => match multisig::run(ctx, c).await? {
			// Another command, run as the multisig: its call becomes the first approval.
			Some(proposal) => {
				let ran = Box::pin(dispatch(&proposal.ctx, proposal.command)).await;
				multisig::recorded(ctx, &proposal.spec, ran)
			}
			None => Ok(()),
		},
	}
}
