//! A user's keys: the sr25519 account key that signs transactions and deployments, and the X25519
//! age identity that decrypts their deployments, both from one secret URI.

use crate::{Error, Result};
use gridchain_deployment::AgeIdentity;
use std::str::FromStr;
use subxt::utils::AccountId32;
use subxt_signer::{sr25519::Keypair, SecretUri};

/// A user's keys, from a secret URI: a BIP39 phrase, a phrase with a derivation path
/// (`PHRASE//grid`), or a dev account (`//Alice`).
#[derive(Clone)]
pub struct Identity {
	keypair: Keypair,
	age: AgeIdentity,
}

impl Identity {
	/// The keys of a secret URI.
	pub fn from_uri(uri: &str) -> Result<Identity> {
		let parsed = SecretUri::from_str(uri.trim())
			.map_err(|e| Error::Key(format!("not a secret URI: {e}")))?;
		let keypair = Keypair::from_uri(&parsed)
			.map_err(|e| Error::Key(format!("cannot derive the account key: {e}")))?;
		let age = AgeIdentity::from_uri(uri.trim()).map_err(|e| Error::Key(e.to_string()))?;
		Ok(Identity { keypair, age })
	}

	/// A new identity from a fresh 12-word phrase; returns it with the phrase to keep.
	pub fn generate() -> Result<(Identity, String)> {
		let mut entropy = [0u8; 16];
		getrandom::fill(&mut entropy).map_err(|e| Error::Key(format!("no randomness: {e}")))?;
		let phrase = subxt_signer::bip39::Mnemonic::from_entropy(&entropy)
			.map_err(|e| Error::Key(e.to_string()))?
			.to_string();
		Ok((Identity::from_uri(&phrase)?, phrase))
	}

	/// The account key.
	pub fn keypair(&self) -> &Keypair {
		&self.keypair
	}

	/// The account id.
	pub fn account_id(&self) -> AccountId32 {
		self.keypair.public_key().to_account_id()
	}

	/// The SS58 address (prefix 42).
	pub fn address(&self) -> String {
		self.account_id().to_string()
	}

	/// The age identity that decrypts this user's deployments.
	pub fn age(&self) -> &AgeIdentity {
		&self.age
	}

	/// The X25519 public key to register as the twin's `pk`.
	pub fn x25519_public(&self) -> [u8; 32] {
		self.age.x25519_public()
	}

	/// Sign `message` with the account key (sr25519, `substrate` context).
	pub fn sign(&self, message: &[u8]) -> [u8; 64] {
		self.keypair.sign(message).0
	}
}

/// Parse an SS58 address or `0x`-hex account id.
pub fn parse_account(text: &str) -> Result<AccountId32> {
	if let Some(hex_text) = text.strip_prefix("0x") {
		let bytes = hex::decode(hex_text)
			.map_err(|e| Error::input("account", format!("`{text}` is not hex: {e}")))?;
		let bytes: [u8; 32] = bytes
			.try_into()
			.map_err(|_| Error::input("account", format!("`{text}` is not 32 bytes")))?;
		return Ok(AccountId32(bytes));
	}
	AccountId32::from_str(text)
		.map_err(|e| Error::input("account", format!("`{text}` is not an SS58 address: {e}")))
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_uris_give_the_dev_accounts() {
		let alice = Identity::from_uri("//Alice").expect("alice");
		assert_eq!(alice.address(), "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY");
		assert_ne!(
			alice.x25519_public(),
			Identity::from_uri("//Bob").expect("bob").x25519_public()
		);
	}

	#[test]
	fn a_generated_phrase_gives_back_the_same_keys() {
		let (identity, phrase) = Identity::generate().expect("generate");
		assert_eq!(phrase.split_whitespace().count(), 12);
		let again = Identity::from_uri(&phrase).expect("phrase");
		assert_eq!(again.address(), identity.address());
		assert_eq!(again.x25519_public(), identity.x25519_public());
	}

	#[test]
	fn accounts_parse_from_ss58_and_hex() {
		let alice = Identity::from_uri("//Alice").expect("alice").account_id();
		assert_eq!(
			parse_account("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY").expect("ss58"),
			alice
		);
		assert_eq!(parse_account(&format!("0x{}", hex::encode(alice.0))).expect("hex"), alice);
		assert!(parse_account("5Grwva").is_err());
		assert!(parse_account("0x1234").is_err());
	}
}
