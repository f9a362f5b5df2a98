//! `--sealing instant`: every transaction lands in a block that is finalized at once, also in a
//! burst and after the node restarts (issue 13). What a crash leaves, whose assertions are not
//! about time, is in `sealing_crashes.rs`, which runs beside the other suites.

mod common;
use common::{sealing::*, *};
use std::time::{Duration, Instant};

/// How soon after submission a transaction must be in a finalized block.
const WITHIN: Duration = Duration::from_secs(1);

/// The nodes of these tests compete for two cores; one at a time keeps the timing honest.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn one_transaction_is_in_a_finalized_block_within_a_second() {
	let _serial = ONE_AT_A_TIME.lock().await;
	let node = DevNode::start_sealing("instant", &["--tmp"]).await;
	let (took, number) = transfer_until_finalized(&node).await;
	assert_eq!(number, 1, "the transaction makes block 1");
	assert!(took <= WITHIN, "finalized after {took:?}");
	assert_eq!(node.finalized_number().await, 1);
	// No transaction, no block.
	tokio::time::sleep(Duration::from_millis(1500)).await;
	assert_eq!(node.finalized_number().await, 1, "instant sealing makes no empty blocks");
}

#[tokio::test]
async fn a_burst_of_a_thousand_transactions_is_all_finalized() {
	let _serial = ONE_AT_A_TIME.lock().await;
	let node = DevNode::start_sealing("instant", &["--tmp"]).await;
	let alice = dev::alice();
	let bob = dev::bob().public_key().0;
	let at = node.api.at_current_block().await.expect("best block");
	let mut txs = at.transactions();
	// When each transfer was submitted; every so often, each one submitted more than a second
	// ago must be final already (the nonce at the finalized head counts them).
	let mut submitted: Vec<Instant> = Vec::with_capacity(1000);
	for nonce in 0..1000u64 {
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<subxt::PolkadotConfig>::new()
			.nonce(nonce)
			.immortal()
			.build();
		txs.sign_and_submit(&transfer(bob, TFT), &alice, params)
			.await
			.expect("transfer accepted by the pool");
		submitted.push(Instant::now());
		if nonce % 50 == 49 {
			let due = submitted.iter().filter(|t| t.elapsed() > WITHIN).count() as u64;
			let final_nonce = node.nonce(alice.public_key().0).await;
			assert!(
				final_nonce >= due,
				"{due} transfers were submitted over a second ago, {final_nonce} are final"
			);
		}
	}
	let last_submitted = Instant::now();
	loop {
		let final_nonce = node.nonce(alice.public_key().0).await;
		if final_nonce == 1000 {
			break;
		}
		assert!(
			last_submitted.elapsed() <= WITHIN,
			"{final_nonce} of 1000 transfers finalized {:?} after the last was submitted",
			last_submitted.elapsed()
		);
		tokio::time::sleep(Duration::from_millis(20)).await;
	}
	let pending: Vec<serde_json::Value> = node
		.rpc
		.request("author_pendingExtrinsics", subxt::rpcs::rpc_params![])
		.await
		.expect("pending extrinsics");
	assert!(pending.is_empty(), "{} transactions left in the pool", pending.len());
}

async fn instant_sealing_goes_on_after(stop: impl FnOnce(DevNode), name: &str) {
	let _serial = ONE_AT_A_TIME.lock().await;
	let (dir, base) = base_path(name);
	let node = DevNode::start_sealing("instant", &["--base-path", &base]).await;
	let (_, first) = transfer_until_finalized(&node).await;
	let (_, second) = transfer_until_finalized(&node).await;
	assert_eq!((first, second), (1, 2));
	stop(node);

	let node = DevNode::start_sealing("instant", &["--base-path", &base]).await;
	assert_eq!(node.finalized_number().await, 2, "the finalized chain survives");
	let (took, third) = transfer_until_finalized(&node).await;
	assert_eq!(third, 3, "the next block builds on the stored head");
	assert!(took <= WITHIN, "finalized after {took:?}");
	drop(node);
	let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn instant_sealing_goes_on_after_a_sigterm_restart() {
	instant_sealing_goes_on_after(DevNode::stop, "instant-term").await;
}

#[tokio::test]
async fn instant_sealing_goes_on_after_a_sigkill_restart() {
	instant_sealing_goes_on_after(DevNode::crash, "instant-kill").await;
}
