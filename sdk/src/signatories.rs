//! A k-of-n multisig account: its members, its threshold and the account id `pallet-multisig`
//! derives from them. What such an account does on chain is in `multisig.rs`.

use crate::{Error, Result};
use subxt::{ext::codec::Encode, utils::AccountId32};

/// A k-of-n multisig account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multisig {
	pub threshold: u16,
	/// Every member, in any order.
	pub signatories: Vec<AccountId32>,
}

impl Multisig {
	/// A multisig of `signatories` needing `threshold` approvals; refuses impossible ones.
	pub fn new(threshold: u16, mut signatories: Vec<AccountId32>) -> Result<Multisig> {
		signatories.sort();
		signatories.dedup();
		if threshold < 2 || usize::from(threshold) > signatories.len() {
			return Err(Error::input(
				"threshold",
				format!(
					"must be between 2 and the number of distinct signatories ({})",
					signatories.len()
				),
			));
		}
		Ok(Multisig { threshold, signatories })
	}

	/// The multisig's account id, as `pallet-multisig` derives it.
	pub fn account_id(&self) -> AccountId32 {
		let entropy = (b"modlpy/utilisuba", &self.signatories[..], self.threshold).encode();
		AccountId32(blake2_256(&entropy))
	}

	/// The members other than `me`, sorted, as the pallet's calls want them.
	pub(crate) fn others(&self, me: &AccountId32) -> Result<Vec<AccountId32>> {
		if !self.signatories.contains(me) {
			return Err(Error::input(
				"signer",
				format!("{me} is not a signatory of this multisig"),
			));
		}
		Ok(self.signatories.iter().filter(|s| *s != me).cloned().collect())
	}
}

/// The `0x`-hex hash a multisig knows an encoded call by.
pub fn call_hash(call_data: &[u8]) -> String {
	crate::types::hex0x(&blake2_256(call_data))
}

pub(crate) fn blake2_256(bytes: &[u8]) -> [u8; 32] {
	use subxt::config::Hasher;
	subxt::config::substrate::BlakeTwo256.hash(bytes).0
}
