//! What a crash leaves of a chain sealed on demand: `--sealing manual` goes on after a `kill -9`,
//! and a `kill -9` in the middle of a stream of transactions under `--sealing instant` keeps the
//! finalized chain and its state (issue 13). No assertion here is about time, so this suite runs
//! beside the others; `instant_sealing.rs`, whose blocks are due within a second, does not.

mod common;
use common::{sealing::*, *};

#[tokio::test]
async fn manual_sealing_goes_on_after_a_sigkill_restart() {
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
	let start = node.finalized_number().await;
	let mut seen = (0u64, subxt::utils::H256::zero());
	// Signed at one block and immortal: asking for the current block before each transfer made
	// the stream take 67 s instead of 50.
	let at = node.api.at_current_block().await.expect("best block");
	let mut txs = at.transactions();
	for i in 0..STREAM {
		let params = subxt::config::DefaultExtrinsicParamsBuilder::<subxt::PolkadotConfig>::new()
			.nonce(first_nonce + i)
			.immortal()
			.build();
		txs.sign_and_submit(&transfer(recipient(i), TFT), &alice, params)
			.await
			.expect("transfer accepted by the pool");
		if i == STREAM / 2 {
			// Halfway, some of the stream is final: how many blocks it took depends on how many
			// transfers the pool held at each seal, so on the machine's load (7 blocks under CI's
			// full lanes), and only that it made some is asserted.
			let mut number = node.finalized_number().await;
			for _ in 0..600 {
				if number > start {
					break;
				}
				tokio::time::sleep(std::time::Duration::from_millis(100)).await;
				number = node.finalized_number().await;
			}
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
	assert!(seen_number > start, "the stream made blocks before the kill: {seen_number}");

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
	assert!(landed >= seen_number - start, "{landed} transfers landed in {head} blocks");
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
