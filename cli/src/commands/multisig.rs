//! `grid multisig`: act as a member of a k-of-n account.

use crate::{
	args::{Cli, Command, MultisigCommand, MultisigSpec},
	ctx::Ctx,
	fail::{input, CmdResult, Failure},
	keystore,
	output::{table, waiting},
};
use clap::Parser;
use gridchain_sdk::{parse_account, Error, Multisig};
use serde_json::json;

fn multisig(spec: &MultisigSpec) -> CmdResult<Multisig> {
	let signatories =
		spec.signatories.iter().map(|s| parse_account(s)).collect::<Result<Vec<_>, _>>()?;
	Ok(Multisig::new(spec.threshold, signatories)?)
}

/// Print an approval that was recorded without running the call yet.
fn awaiting(ctx: &Ctx, spec: &MultisigSpec, error: Error) -> CmdResult {
	match error {
		Error::AwaitingApprovals { call_hash, call_data, approvals, threshold } => {
			ctx.out.print(
				&json!({"status": "awaiting_approvals", "call_hash": call_hash, "call": call_data, "approvals": approvals, "threshold": threshold}),
				|| {
					format!(
						"Approval {approvals} of {threshold} recorded (call hash {call_hash}).\nThe other members approve with:\n  grid multisig approve -t {threshold} -s {} --call {call_data}",
						spec.signatories.join(",")
					)
				},
			);
			Ok(())
		}
		other => Err(other.into()),
	}
}

/// A grid command to run as the multisig (`grid multisig propose`): `commands::dispatch`
/// runs it, and [`recorded`] says what came of it.
pub struct Proposal {
	/// The multisig acting, with the proposed command's own --key, --key-file and --json.
	pub ctx: Ctx,
	pub command: Command,
	pub spec: MultisigSpec,
}

/// Parse the proposed command: one that makes a call on chain.
fn proposal(ctx: &Ctx, spec: MultisigSpec, command: Vec<String>) -> CmdResult<Proposal> {
	let inner = Cli::try_parse_from(std::iter::once("grid".to_string()).chain(command))
		.map_err(|e| input("COMMAND", e.to_string().trim_end().to_string()))?;
	if matches!(inner.command, Command::Multisig(_) | Command::Key(_)) {
		return Err(input("COMMAND", "must be a command that makes a call on chain"));
	}
	// The proposed command's own --key (or --key-file) and --json count too.
	let mut global = ctx.global.clone();
	keystore::warn_if_key_on_command_line(inner.global.key.as_deref());
	if inner.global.key.is_some() || inner.global.key_file.is_some() {
		global.key = inner.global.key;
		global.key_file = inner.global.key_file;
	}
	global.json |= inner.global.json;
	let multisig = multisig(&spec)?;
	Ok(Proposal { ctx: Ctx::as_multisig(global, multisig), command: inner.command, spec })
}

/// What came of a proposed command run as the multisig: an approval recorded is printed.
pub fn recorded(ctx: &Ctx, spec: &MultisigSpec, ran: CmdResult) -> CmdResult {
	match ran {
		Err(Failure::Awaiting(e)) => awaiting(ctx, spec, e),
		other => other,
	}
}

/// Run `grid multisig …`; a proposal comes back for `commands::dispatch` to run.
pub async fn run(ctx: &Ctx, command: MultisigCommand) -> CmdResult<Option<Proposal>> {
	match command {
		MultisigCommand::Address { spec } => {
			let account = multisig(&spec)?.account_id();
			ctx.out.print(&json!({"address": account.to_string()}), || account.to_string());
		}
		MultisigCommand::Propose { spec, command } => {
			return proposal(ctx, spec, command).map(Some);
		}
		MultisigCommand::Approve { spec, call } => {
			let call_data = hex::decode(call.trim_start_matches("0x"))
				.map_err(|e| input("--call", format!("not hex: {e}")))?;
			let client = ctx.client().await?;
			let identity = ctx.identity()?;
			let account = multisig(&spec)?;
			// Approving starts nothing: a member must have proposed the call first.
			let hash = gridchain_sdk::call_hash(&call_data);
			if !client.pending_multisig_calls(&account).await?.iter().any(|p| p.call_hash == hash) {
				return Err(input(
					"--call",
					format!("no member proposed this call (hash {hash}) for this multisig: check the call, -t and -s, or propose it"),
				));
			}
			match waiting(
				"approving",
				client.approve_multisig_call(&account, &call_data, identity.keypair()),
			)
			.await
			{
				Ok(receipt) => {
					let number = receipt.block_number;
					ctx.out.print(&json!({"status": "executed", "block": number}), || {
						format!("The threshold is reached: the call ran in block {number}.")
					});
				}
				Err(e) => awaiting(ctx, &spec, e)?,
			}
		}
		MultisigCommand::Cancel { spec, call_hash } => {
			let bytes = hex::decode(call_hash.trim_start_matches("0x"))
				.map_err(|e| input("--call-hash", format!("not hex: {e}")))?;
			let hash: [u8; 32] =
				bytes.try_into().map_err(|_| input("--call-hash", "must be 32 bytes"))?;
			let client = ctx.client().await?;
			let identity = ctx.identity()?;
			waiting(
				"cancelling",
				client.cancel_multisig_call(&multisig(&spec)?, hash, identity.keypair()),
			)
			.await?;
			ctx.out.print(&json!({"status": "cancelled", "call_hash": call_hash}), || {
				format!("Withdrew call {call_hash}; its deposit is released.")
			});
		}
		MultisigCommand::Pending { spec } => {
			let client = ctx.client().await?;
			let pending = client.pending_multisig_calls(&multisig(&spec)?).await?;
			ctx.out.print(&pending, || {
				if pending.is_empty() {
					return "No call is waiting for approvals.".to_string();
				}
				let rows = pending
					.iter()
					.map(|p| {
						vec![
							p.call_hash.clone(),
							format!("{} of {}", p.approvals.len(), p.threshold),
							p.since_block.to_string(),
						]
					})
					.collect();
				table(&["CALL HASH", "APPROVALS", "SINCE BLOCK"], rows)
			});
		}
	}
	Ok(None)
}
