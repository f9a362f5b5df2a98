//! TFT balances and transfers.

use crate::{chain, types::Balance, Client, Result};
use subxt::utils::{AccountId32, MultiAddress};
use subxt_signer::sr25519::Keypair;

/// 1 TFT in units: TFT has 7 decimals.
pub const UNITS_PER_TFT: u128 = 10_000_000;

impl Client {
	/// The free and held balance of an account.
	pub async fn balance(&self, who: &AccountId32) -> Result<Balance> {
		let at = self.at().await?;
		let info =
			at.storage().fetch(chain::storage().system().account(), (*who,)).await?.decode()?;
		Ok(Balance { free: info.data.free, reserved: info.data.reserved })
	}

	/// Send `amount` TFT units to `to`, keeping the sender's account alive.
	pub async fn transfer(&self, signer: &Keypair, to: &AccountId32, amount: u128) -> Result<()> {
		let call = chain::tx().balances().transfer_keep_alive(MultiAddress::Id(*to), amount);
		self.submit(&call, signer).await.map(drop)
	}
}

/// `amount` TFT units as TFT with 7 decimals, e.g. `1.2500000`.
pub fn format_tft(amount: u128) -> String {
	format!("{}.{:07}", amount / UNITS_PER_TFT, amount % UNITS_PER_TFT)
}

/// Parse a TFT amount (`12`, `0.5`, `1.2500000`) into units; at most 7 decimals.
pub fn parse_tft(text: &str) -> Option<u128> {
	let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
	if whole.is_empty() && fraction.is_empty() || fraction.len() > 7 {
		return None;
	}
	if !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
		return None;
	}
	let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
	let fraction: u128 =
		if fraction.is_empty() { 0 } else { format!("{fraction:0<7}").parse().ok()? };
	whole.checked_mul(UNITS_PER_TFT)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn tft_amounts_print_with_seven_decimals_and_parse_back() {
		assert_eq!(format_tft(12_500_000), "1.2500000");
		assert_eq!(format_tft(1), "0.0000001");
		assert_eq!(parse_tft("1.25"), Some(12_500_000));
		assert_eq!(parse_tft("7"), Some(70_000_000));
		assert_eq!(parse_tft(".5"), Some(5_000_000));
		assert_eq!(parse_tft("0.00000001"), None, "8 decimals");
		assert_eq!(parse_tft("1,5"), None);
		assert_eq!(parse_tft("-1"), None);
		assert_eq!(parse_tft(""), None);
		assert_eq!(parse_tft("."), None);
	}
}
