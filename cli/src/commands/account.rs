//! `grid balance`, `grid transfer`.

use crate::{
	ctx::Ctx,
	fail::{input, CmdResult},
	output::waiting,
};
use gridchain_sdk::{format_tft, parse_account, parse_tft};
use serde_json::json;

pub async fn balance(ctx: &Ctx, account: Option<String>) -> CmdResult {
	let account = match account {
		Some(text) => parse_account(&text)?,
		None => ctx.identity()?.account_id(),
	};
	let client = ctx.client().await?;
	let balance = client.balance(&account).await?;
	ctx.out.print(
		&json!({"account": account.to_string(), "free": balance.free, "reserved": balance.reserved}),
		|| {
			format!(
				"{account}\nFree:     {} TFT\nReserved: {} TFT",
				format_tft(balance.free),
				format_tft(balance.reserved)
			)
		},
	);
	Ok(())
}

pub async fn transfer(ctx: &Ctx, to: &str, amount: &str) -> CmdResult {
	let to = parse_account(to)?;
	let units = parse_tft(amount).ok_or_else(|| {
		input("amount", format!("`{amount}` is not a TFT amount (e.g. 12.5, at most 7 decimals)"))
	})?;
	let client = ctx.client().await?;
	let identity = ctx.identity()?;
	waiting("transferring", client.transfer(identity.keypair(), &to, units)).await?;
	ctx.out.print(&json!({"to": to.to_string(), "amount": units}), || {
		format!("Sent {} TFT to {to}.", format_tft(units))
	});
	Ok(())
}
