//! `grid key`: your key and its age identity.

use crate::{args::KeyCommand, ctx::Ctx, fail::CmdResult, keystore};
use gridchain_sdk::Identity;
use serde_json::json;

pub fn run(ctx: &Ctx, command: KeyCommand) -> CmdResult {
	match command {
		KeyCommand::New { force } => {
			let (identity, phrase) = Identity::generate()?;
			let path = keystore::save(&phrase, force)?;
			ctx.out.print(&json!({"address": identity.address(), "phrase": phrase, "path": path}), || {
				format!(
					"Saved a new key to {}\nAddress: {}\nSecret phrase (shown once; write it down, it is your only backup):\n  {phrase}",
					path.display(),
					identity.address()
				)
			});
		}
		KeyCommand::Import { force } => {
			let mut uri = String::new();
			std::io::stdin()
				.read_line(&mut uri)
				.map_err(|e| crate::fail::input("stdin", format!("cannot read the secret: {e}")))?;
			let uri = uri.trim();
			let identity = Identity::from_uri(uri)?;
			let path = keystore::save(uri, force)?;
			ctx.out.print(&json!({"address": identity.address(), "path": path}), || {
				format!("Saved the key of {} to {}", identity.address(), path.display())
			});
		}
		KeyCommand::Show => {
			let identity = ctx.identity()?;
			let show = json!({
				"address": identity.address(),
				"account_id": format!("0x{}", hex::encode(identity.account_id().0)),
				"x25519_public_key": format!("0x{}", hex::encode(identity.x25519_public())),
				"age_recipient": identity.age().recipient_string(),
			});
			ctx.out.print(&show, || {
				format!(
					"Address:        {}\nAccount id:     0x{}\nEncryption key: 0x{}\nAge recipient:  {}",
					identity.address(),
					hex::encode(identity.account_id().0),
					hex::encode(identity.x25519_public()),
					identity.age().recipient_string()
				)
			});
		}
		KeyCommand::AgeIdentity => {
			let identity = ctx.identity()?;
			let secret = identity.age().to_age_secret_string();
			ctx.out.print(&json!({"age_identity": secret}), || secret.clone());
		}
	}
	Ok(())
}
