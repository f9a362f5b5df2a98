//! End to end: consumption reports and billing on a real dev node (SPEC §5, §6), moving chain
//! time with `engine_createBlock`.

mod common;

use common::*;
use subxt::ext::scale_decode::DecodeAsType;
use subxt_signer::{sr25519::Keypair, SecretUri};

#[derive(subxt::ext::scale_encode::EncodeAsType, Clone, Copy)]
#[encode_as_type(crate_path = "subxt::ext::scale_encode")]
struct Consumption {
	contract_id: u64,
	timestamp: u64,
	cru: u64,
	sru: u64,
	hru: u64,
	mru: u64,
	nru: u64,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Contract {
	state: ContractState,
}

/// What the test deployments declare they reserve: the worked example's VM.
const CAPACITY: Resources = Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 };

fn node_contract(hash: [u8; 32], ips: u32) -> impl subxt::tx::Payload {
	dynamic::tx(
		"SmartContract",
		"create_node_contract",
		(1u32, hash, Vec::<u8>::new(), ips, CAPACITY),
	)
}

fn transfer(to: [u8; 32], amount: u128) -> impl subxt::tx::Payload {
	dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(subxt::utils::MultiAddress::<[u8; 32], ()>::Id(to), amount),
	)
}

async fn free(node: &DevNode, who: [u8; 32]) -> u128 {
	node.balance(who).await.0
}

#[tokio::test]
async fn one_hour_of_the_worked_example_is_charged_exactly_and_split() {
	let node = DevNode::start().await;
	grid(&node, 3).await;
	let (bob, charlie) = (dev::bob(), dev::charlie());
	node.submit(&twin(), &charlie).await.expect("charlie twin");
	// Keep the cycle away from this contract: its first settlement is the one we make.
	node.sudo(&dynamic::tx("SmartContract", "set_billing_frequency", (100_000u32,))).await;

	node.submit(&node_contract([1; 32], 1), &charlie).await.expect("contract");
	let created_ms = node.now_ms().await;
	// The node confirms (the chain takes reports only for a confirmed contract); 598 empty
	// blocks; then the block exactly one hour after creation carries the report and the
	// settlement, in this order (same sender, consecutive nonces).
	node.submit(&dynamic::tx("SmartContract", "confirm_deployment", (1u64, [1u8; 32])), &bob)
		.await
		.expect("confirmed");
	node.seal_blocks(598).await;
	// The report bills exactly what the contract declares.
	let report = Consumption {
		contract_id: 1,
		timestamp: created_ms / 1000 + 3600,
		cru: CAPACITY.cru,
		mru: CAPACITY.mru,
		sru: CAPACITY.sru,
		hru: CAPACITY.hru,
		nru: 1_000_000_000,
	};
	let nonce = node.nonce(bob.public_key().0).await;
	node.send(&dynamic::tx("SmartContract", "report_consumption", (vec![report],)), &bob, nonce)
		.await;
	node.send(&dynamic::tx("SmartContract", "settle_contract", (1u64,)), &bob, nonce + 1).await;

	let pool: [u8; 32] = {
		let at = node.api.at_current_block().await.expect("block");
		at.constants()
			.entry(dynamic::constant::<[u8; 32]>("SmartContract", "StakingPoolAccount"))
			.expect("constant")
	};
	let (eve, ferdie) = (dev::eve().public_key().0, dev::ferdie().public_key().0);
	let before = [free(&node, eve).await, free(&node, pool).await, free(&node, ferdie).await];
	let issuance_before = node.total_issuance().await;

	let block = node.seal().await;
	assert_eq!(node.now_ms().await, created_ms + 3_600_000);

	// (CU 1 · 305,600 + SU 0.25 · 194,400 + NU 1 · 50,000 + 1 IP · 69,400) uUSD = 473,600 uUSD;
	// at 50 mUSD/TFT that is 9,472,000 units. 1,000,000 TFT last 1,639 months: Gold, 40 %.
	let billed = node.event_amounts(&block, "SmartContract", "ContractBilled", "amount").await;
	assert_eq!(billed, vec![3_788_800]);
	let after = [free(&node, eve).await, free(&node, pool).await, free(&node, ferdie).await];
	assert_eq!(after[0] - before[0], 378_880, "foundation 10 %");
	assert_eq!(after[1] - before[1], 189_440, "staking pool 5 %");
	assert_eq!(after[2] - before[2], 1_894_400, "sales 50 %");
	let burned = node.event_amounts(&block, "SmartContract", "TokensBurned", "amount").await;
	assert_eq!(burned, vec![1_326_080], "35 % burned");
	// Issuance drops by the burned share, and by the block's transaction fees (also burned).
	let fees: u128 = node
		.event_amounts(&block, "TransactionPayment", "TransactionFeePaid", "actual_fee")
		.await
		.iter()
		.sum();
	assert_eq!(issuance_before - node.total_issuance().await, 1_326_080 + fees);
}

#[tokio::test]
async fn the_block_hook_bills_without_transactions_and_grace_works_both_ways() {
	let node = DevNode::start().await;
	grid(&node, 3).await;
	let alice = dev::alice();
	let keeper = Keypair::from_uri(&"//Keeper".parse::<SecretUri>().expect("uri")).expect("key");
	let leaver = Keypair::from_uri(&"//Leaver".parse::<SecretUri>().expect("uri")).expect("key");
	for who in [&keeper, &leaver] {
		node.submit(&transfer(who.public_key().0, 5 * TFT), &alice).await.expect("fund");
		node.submit(&twin(), who).await.expect("twin");
	}
	node.submit(&node_contract([1; 32], 1), &keeper).await.expect("keeper contract");
	node.submit(&node_contract([2; 32], 1), &leaver).await.expect("leaver contract");
	// Both owners give away all they can: only the existential deposit stays free.
	for who in [&keeper, &leaver] {
		let all = dynamic::tx(
			"Balances",
			"transfer_all",
			(subxt::utils::MultiAddress::<[u8; 32], ()>::Id(alice.public_key().0), true),
		);
		node.submit(&all, who).await.expect("transfer all");
	}

	// Empty blocks: the hook settles every 10 blocks, and both contracts fall into grace.
	let mut billed_in_empty_block = false;
	for _ in 0..12 {
		let block = node.seal().await;
		let events = node.events(&block).await;
		let has_tx =
			events.iter().any(|(p, e, _)| p == "TransactionPayment" && e == "TransactionFeePaid");
		let billed = events.iter().any(|(p, e, _)| p == "SmartContract" && e == "ContractBilled");
		billed_in_empty_block |= billed && !has_tx;
	}
	assert!(billed_in_empty_block, "no settlement in a block without transactions");
	for id in [1u64, 2] {
		let c: Contract =
			node.storage("SmartContract", "Contracts", (id,)).await.expect("contract");
		assert!(matches!(c.state, ContractState::GracePeriod(_)), "contract {id}: {c:?}");
	}

	// The keeper tops up and settles at once: out of grace.
	node.submit(&transfer(keeper.public_key().0, 10 * TFT), &alice).await.expect("top up");
	let block = node
		.submit(&dynamic::tx("SmartContract", "settle_contract", (1u64,)), &keeper)
		.await
		.expect("settle");
	let ended: Vec<_> = node
		.events(&block)
		.await
		.into_iter()
		.filter(|(p, e, _)| p == "SmartContract" && e == "ContractGracePeriodEnded")
		.collect();
	assert_eq!(ended.len(), 1);
	let c: Contract = node.storage("SmartContract", "Contracts", (1u64,)).await.expect("contract");
	assert_eq!(c.state, ContractState::Created);

	// The leaver never pays: after 100 blocks of grace the contract is deleted.
	node.seal_blocks(110).await;
	let gone: Option<Contract> = node.storage("SmartContract", "Contracts", (2u64,)).await;
	assert!(gone.is_none(), "contract 2 still there");
	assert!(node.storage::<_, Contract>("SmartContract", "Contracts", (1u64,)).await.is_some());
	// Its IP is free again and its deposit is back.
	#[derive(DecodeAsType)]
	#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
	struct PublicIp {
		contract_id: u64,
	}
	#[derive(DecodeAsType)]
	#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
	struct Farm {
		public_ips: Vec<PublicIp>,
	}
	let farm: Farm = node.storage("Registry", "Farms", (1u32,)).await.expect("farm");
	assert_eq!(farm.public_ips.iter().map(|ip| ip.contract_id).collect::<Vec<_>>(), vec![1, 0, 0]);
	let (_, held) = node.balance(leaver.public_key().0).await;
	assert_eq!(held, 0);
}
