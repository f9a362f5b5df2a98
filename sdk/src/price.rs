//! The TFT price oracle: the `TftPrice` pallet.

use crate::{chain, chain::runtime_types as rt, Client, Result};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

/// The oracle's view of the TFT price, in mUSD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct TftPriceInfo {
	pub price_musd: u32,
	/// What billing uses: the average of the last prices, clamped to min..max.
	pub average_musd: u32,
	pub min_musd: u32,
	pub max_musd: u32,
}

impl Client {
	/// Report the TFT price (a price oracle account).
	pub async fn set_tft_price(&self, oracle: &Keypair, price_musd: u32) -> Result<()> {
		self.submit(&chain::tx().tft_price().set_price(price_musd), oracle).await.map(drop)
	}

	/// Set the lowest price billing uses (restricted origin, through `Sudo`).
	pub async fn set_min_tft_price(&self, sudo_key: &Keypair, price_musd: u32) -> Result<()> {
		self.sudo(
			sudo_key,
			chain::Call::TftPrice(rt::pallet_tft_price::pallet::Call::set_min_price { price_musd }),
		)
		.await
	}

	/// Set the highest price billing uses (restricted origin, through `Sudo`).
	pub async fn set_max_tft_price(&self, sudo_key: &Keypair, price_musd: u32) -> Result<()> {
		self.sudo(
			sudo_key,
			chain::Call::TftPrice(rt::pallet_tft_price::pallet::Call::set_max_price { price_musd }),
		)
		.await
	}

	/// Allow an account to report prices (restricted origin, through `Sudo`).
	pub async fn add_price_oracle(&self, sudo_key: &Keypair, account: AccountId32) -> Result<()> {
		self.sudo(
			sudo_key,
			chain::Call::TftPrice(rt::pallet_tft_price::pallet::Call::add_price_oracle { account }),
		)
		.await
	}

	/// Stop an account reporting prices (restricted origin, through `Sudo`).
	pub async fn remove_price_oracle(
		&self,
		sudo_key: &Keypair,
		account: AccountId32,
	) -> Result<()> {
		self.sudo(
			sudo_key,
			chain::Call::TftPrice(rt::pallet_tft_price::pallet::Call::remove_price_oracle {
				account,
			}),
		)
		.await
	}

	/// The current price, its average and bounds.
	pub async fn tft_price(&self) -> Result<TftPriceInfo> {
		let at = self.at().await?;
		let storage = at.storage();
		let tft = chain::storage().tft_price();
		Ok(TftPriceInfo {
			price_musd: storage.fetch(tft.tft_price(), ()).await?.decode()?,
			average_musd: storage.fetch(tft.average_tft_price(), ()).await?.decode()?,
			min_musd: storage.fetch(tft.min_tft_price(), ()).await?.decode()?,
			max_musd: storage.fetch(tft.max_tft_price(), ()).await?.decode()?,
		})
	}
}
