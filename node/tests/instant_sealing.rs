//! `--sealing instant`: every transaction lands in a block that is finalized at once, also in a
//! burst and after the node restarts; and `--sealing manual` goes on after a crash (issue 13).

mod common;
use common::*;
use std::time::{Duration, Instant};
use subxt::utils::{AccountId32, MultiAddress};

/// How soon after submission a transaction must be in a finalized block.
const WITHIN: Duration = Duration::from_secs(1);

/// The nodes of these tests compete for two cores; one at a time keeps the timing honest.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn transfer(to: [u8; 32], amount: u128) -> impl subxt::tx::Payload {
	dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(MultiAddress::<AccountId32, ()>::Id(AccountId32(to)), amount),
	)
}

/// Submit one transfer from Alice and wait until it is finalized: the time that took and the
/// number of its block.
async fn transfer_until_finalized(node: &DevNode) -> (Duration, u64) {
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
fn base_path(name: &str) -> (std::path::PathBuf, String) {
	let dir = std::env::temp_dir().join(format!("gridchain-{name}-{}", std::process::id()));
	let _ = std::fs::remove_dir_all(&dir);
	let base = dir.to_string_lossy().to_string();
	(dir, base)
}

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

#[tokio::test]
async fn manual_sealing_goes_on_after_a_sigkill_restart() {
	let _serial = ONE_AT_A_TIME.lock().await;
	let (dir, base) = base_path("manual-kill");
	let node = DevNode::start_sealing("manual", &["--base-path", &base]).await;
	node.submit(&transfer(dev::bob().public_key().0, TFT), &dev::alice()).await.expect("transfer");
	node.seal().await;
	let before: u64 = node.now_ms().await;
	assert_eq!(node.finalized_number().await, 2);
	node.crash();

	let node = DevNode::start_sealing("manual", &["--base-path", &base]).await;
	assert_eq!(node.finalized_number().await, 2, "the finalized chain survives a crash");
	node.submit(&transfer(dev::bob().public_key().0, TFT), &dev::alice())
		.await
		.expect("a transfer after the crash");
	assert_eq!(node.finalized_number().await, 3);
	assert_eq!(node.now_ms().await - before, 6_000, "one slot later");
	drop(node);
	let _ = std::fs::remove_dir_all(&dir);
}

/// A `kill -9` while the node takes a stream of transactions: after the restart the finalized
/// head it had is still there with its state, the transactions it holds are exactly a prefix of
/// the stream (none half-applied), and the chain goes on.
#[tokio::test]
async fn a_sigkill_mid_stream_keeps_the_finalized_chain_and_its_state() {
	let _serial = ONE_AT_A_TIME.lock().await;
	let (dir, base) = base_path("stream-kill");
	let node = DevNode::start_sealing("instant", &["--base-path", &base]).await;
	let alice = dev::alice();
	// Each transfer goes to an account of its own, so the state says which ones landed.
	let recipient = |i: u64| -> [u8; 32] {
		let mut account = [9u8; 32];
		account[..8].copy_from_slice(&i.to_le_bytes());
		account
	};
	const STREAM: u64 = 200;
	let first_nonce = node.nonce(alice.public_key().0).await;
	let mut seen = (0u64, subxt::utils::H256::zero());
	for i in 0..STREAM {
		let at = node.api.at_current_block().await.expect("finalized block");
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<subxt::PolkadotConfig>::new()
			.nonce(first_nonce + i)
			.build();
		at.transactions()
			.sign_and_submit(&transfer(recipient(i), TFT), &alice, params)
			.await
			.expect("transfer accepted by the pool");
		if i == STREAM / 2 {
			let number = node.finalized_number().await;
			let hash = node
				.rpc
				.request("chain_getBlockHash", subxt::rpcs::rpc_params![number])
				.await
				.expect("hash");
			seen = (number, hash);
		}
	}
	// Killed while the pool still feeds it blocks.
	node.crash();
	let (seen_number, seen_hash) = seen;
	assert!(seen_number > 10, "the stream made blocks before the kill: {seen_number}");

	let node = DevNode::start_sealing("instant", &["--base-path", &base]).await;
	let head = node.finalized_number().await;
	assert!(head >= seen_number, "finalized head {head} after the restart, {seen_number} before");
	let hash: subxt::utils::H256 = node
		.rpc
		.request("chain_getBlockHash", subxt::rpcs::rpc_params![seen_number])
		.await
		.expect("hash");
	assert_eq!(hash, seen_hash, "block {seen_number} is the one finalized before the kill");
	let landed = node.nonce(alice.public_key().0).await - first_nonce;
	assert!(landed >= seen_number, "{landed} transfers landed in {head} blocks");
	for i in 0..STREAM {
		let (free, _) = node.balance(recipient(i)).await;
		let expected = if i < landed { TFT } else { 0 };
		assert_eq!(free, expected, "transfer {i} of {landed} landed");
	}
	// The chain goes on from the stored head with Alice's next nonce.
	let (_, next) = transfer_until_finalized(&node).await;
	assert_eq!(next, head + 1, "the next block builds on the stored head");
	assert_eq!(node.nonce(alice.public_key().0).await - first_nonce, landed + 1);
	drop(node);
	let _ = std::fs::remove_dir_all(&dir);
}
