//! What the sealing suites (`instant_sealing.rs`, `sealing_crashes.rs`) share: a transfer from
//! Alice, one watched until it is finalized, and a base path a restarted node keeps.

use super::{dev, dynamic, DevNode, TFT};
use std::time::{Duration, Instant};
use subxt::utils::{AccountId32, MultiAddress};

/// A `transfer_keep_alive` of `amount` to `to`.
pub fn transfer(to: [u8; 32], amount: u128) -> impl subxt::tx::Payload {
	dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(MultiAddress::<AccountId32, ()>::Id(AccountId32(to)), amount),
	)
}

/// Submit one transfer from Alice and wait until it is finalized: the time that took and the
/// number of its block.
pub async fn transfer_until_finalized(node: &DevNode) -> (Duration, u64) {
	let at = node.api.at_current_block().await.expect("best block");
	let started = Instant::now();
	let progress = at
		.transactions()
		.sign_and_submit_then_watch_default(
			&transfer(dev::bob().public_key().0, TFT),
			&dev::alice(),
		)
		.await
		.expect("transfer accepted by the pool");
	let finalized = tokio::time::timeout(Duration::from_secs(30), progress.wait_for_finalized())
		.await
		.expect("the transfer is finalized at all")
		.expect("the transfer is finalized");
	let took = started.elapsed();
	finalized.wait_for_success().await.expect("the transfer succeeds");
	(took, node.block_number(finalized.block_hash()).await)
}

/// A fresh base path for a restart test.
pub fn base_path(name: &str) -> (std::path::PathBuf, String) {
	let dir = std::env::temp_dir().join(format!("gridchain-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let base = dir.to_string_lossy().to_string();
	(dir, base)
}
