//! End to end: smart contracts for IT on a real dev node (SPEC §4).

mod common;

use codec::Encode;
use common::*;
use subxt::ext::{scale_decode::DecodeAsType, scale_encode::EncodeAsType};

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct ContractIp {
	ip: Vec<u8>,
	gateway: Vec<u8>,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct NodeContract {
	node_id: u32,
	deployment_hash: [u8; 32],
	deployment_data: Vec<u8>,
	public_ips: u32,
	public_ips_list: Vec<ContractIp>,
	capacity: Resources,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
enum ContractType {
	Node(NodeContract),
	Name { name: Vec<u8> },
	Rent { node_id: u32 },
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Contract {
	version: u32,
	contract_id: u64,
	twin_id: u32,
	contract_type: ContractType,
	state: ContractState,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct PublicIp {
	contract_id: u64,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Farm {
	public_ips: Vec<PublicIp>,
}

const HASH: [u8; 32] = [7; 32];
const HASH2: [u8; 32] = [8; 32];
/// What the test deployments declare they reserve: four fit node 1 (8 vCPUs, 32 GiB).
const CAPACITY: Resources = Resources { cru: 2, mru: 4 * GIB, sru: 50 * GIB, hru: 0 };

fn node_contract(node_id: u32, hash: [u8; 32], data: Vec<u8>, ips: u32) -> impl subxt::tx::Payload {
	dynamic::tx("SmartContract", "create_node_contract", (node_id, hash, data, ips, CAPACITY))
}

async fn contract(node: &DevNode, id: u64) -> Option<Contract> {
	node.storage("SmartContract", "Contracts", (id,)).await
}

async fn ip_holders(node: &DevNode) -> Vec<u64> {
	let farm: Farm = node.storage("Registry", "Farms", (1u32,)).await.expect("farm");
	farm.public_ips.iter().map(|ip| ip.contract_id).collect()
}

#[tokio::test]
async fn a_contract_with_a_public_ip_is_created_confirmed_updated_and_cancelled() {
	let node = DevNode::start().await;
	grid(&node, 2).await;
	node.submit(&twin(), &dev::charlie()).await.expect("charlie twin");
	let (bob, charlie) = (dev::bob(), dev::charlie());
	let (free_before, held_before) = node.balance(charlie.public_key().0).await;
	assert_eq!(held_before, 0);

	// 8 KiB of ciphertext is stored byte for byte.
	let data: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 256) as u8).collect();
	node.submit(&node_contract(1, HASH, data.clone(), 1), &charlie).await.expect("contract");
	let c = contract(&node, 1).await.expect("contract 1");
	assert_eq!((c.version, c.contract_id, c.twin_id, &c.state), (1, 1, 3, &ContractState::Created));
	let ContractType::Node(nc) = &c.contract_type else { panic!("not a node contract: {c:?}") };
	assert_eq!((nc.node_id, nc.deployment_hash, nc.public_ips), (1, HASH, 1));
	assert_eq!(nc.capacity, CAPACITY);
	assert_eq!(nc.deployment_data, data);
	assert_eq!(nc.public_ips_list[0].ip, b"185.206.122.33/24".to_vec());
	assert_eq!(nc.public_ips_list[0].gateway, b"185.206.122.1".to_vec());
	assert_eq!(ip_holders(&node).await, vec![1, 0]);
	// The deposit: 1 TFT + 8192 · 0.001 TFT.
	let (_, held) = node.balance(charlie.public_key().0).await;
	assert_eq!(held, TFT + 8192 * TFT / 1000);

	// 8 KiB + 1 byte is refused.
	let err = node
		.submit(&node_contract(1, HASH2, vec![0; 8193], 0), &charlie)
		.await
		.expect_err("too large");
	assert!(err.contains("DeploymentDataTooLarge"), "unexpected error: {err}");

	// The node confirms only the matching hash.
	let confirm = |hash| dynamic::tx("SmartContract", "confirm_deployment", (1u64, hash));
	let err = node.submit(&confirm(HASH2), &bob).await.expect_err("wrong hash");
	assert!(err.contains("DeploymentHashMismatch"), "unexpected error: {err}");
	let err = node.submit(&confirm(HASH), &charlie).await.expect_err("not the node");
	assert!(err.contains("NotContractNode"), "unexpected error: {err}");
	node.submit(&confirm(HASH), &bob).await.expect("confirmed");
	assert_eq!(contract(&node, 1).await.expect("c").state, ContractState::Deployed);

	// An update bumps the version, takes the new capacity and waits for the node again.
	let update = |capacity: Resources| {
		dynamic::tx(
			"SmartContract",
			"update_node_contract",
			(1u64, HASH2, b"v2".to_vec(), capacity),
		)
	};
	let bigger = Resources { cru: 4, ..CAPACITY };
	node.submit(&update(bigger), &charlie).await.expect("updated");
	let c = contract(&node, 1).await.expect("c");
	let ContractType::Node(nc) = &c.contract_type else { panic!("not a node contract: {c:?}") };
	assert_eq!(nc.capacity, bigger);
	assert_eq!((c.version, c.state), (2, ContractState::Created));
	// One that outgrows the 8-vCPU node is refused, and the contract stays as it was.
	let err = node
		.submit(&update(Resources { cru: 9, ..CAPACITY }), &charlie)
		.await
		.expect_err("more than the node has");
	assert!(err.contains("NodeHasNotEnoughCapacity"), "unexpected error: {err}");
	assert_eq!(contract(&node, 1).await.expect("c").version, 2);

	// Cancelling frees the IP and gives the deposit back.
	node.submit(&dynamic::tx("SmartContract", "cancel_contract", (1u64,)), &charlie)
		.await
		.expect("cancel");
	assert!(contract(&node, 1).await.is_none());
	assert_eq!(ip_holders(&node).await, vec![0, 0]);
	let (free_after, held_after) = node.balance(charlie.public_key().0).await;
	assert_eq!(held_after, 0);
	// Only transaction fees were spent.
	assert!(free_before - free_after < TFT / 10, "lost {} units", free_before - free_after);
}

#[tokio::test]
async fn ip_failures_reserve_nothing_and_a_node_cancels_its_contract() {
	let node = DevNode::start().await;
	grid(&node, 2).await;
	node.submit(&twin(), &dev::charlie()).await.expect("charlie twin");
	let (bob, charlie, dave) = (dev::bob(), dev::charlie(), dev::dave());
	node.submit(&twin(), &dave).await.expect("dave twin");

	let err =
		node.submit(&node_contract(1, HASH, vec![], 3), &charlie).await.expect_err("3 of 2 IPs");
	assert!(err.contains("FarmHasNotEnoughPublicIPs"), "unexpected error: {err}");
	assert_eq!(ip_holders(&node).await, vec![0, 0]);

	node.submit(&node_contract(1, HASH, vec![], 2), &charlie).await.expect("both IPs");
	let err = node.submit(&node_contract(1, HASH2, vec![], 1), &dave).await.expect_err("none free");
	assert!(err.contains("FarmHasNotEnoughPublicIPsFree"), "unexpected error: {err}");
	assert!(contract(&node, 2).await.is_none());
	assert_eq!(ip_holders(&node).await, vec![1, 1]);

	// The node cancels: the IPs are free and the deposit is back.
	node.submit(&dynamic::tx("SmartContract", "cancel_contract", (1u64,)), &bob)
		.await
		.expect("node cancels");
	assert!(contract(&node, 1).await.is_none());
	assert_eq!(ip_holders(&node).await, vec![0, 0]);
	assert_eq!(node.balance(charlie.public_key().0).await.1, 0);
	// A freed IP can be reserved again.
	node.submit(&node_contract(1, HASH2, vec![], 1), &dave).await.expect("reserved again");
	// The refused contract took no id: this is contract 2.
	assert_eq!(ip_holders(&node).await, vec![2, 0]);
}

#[derive(EncodeAsType, DecodeAsType, Debug, Clone, Copy)]
#[encode_as_type(crate_path = "subxt::ext::scale_encode")]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Timepoint {
	height: u32,
	index: u32,
}

#[derive(EncodeAsType)]
#[encode_as_type(crate_path = "subxt::ext::scale_encode")]
struct Weight {
	ref_time: u64,
	proof_size: u64,
}

#[derive(DecodeAsType)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Multisig {
	when: Timepoint,
}

/// The account of a k-of-n multisig, as `pallet_multisig` derives it.
fn multisig_account(mut signatories: Vec<[u8; 32]>, threshold: u16) -> [u8; 32] {
	signatories.sort();
	sp_io::hashing::blake2_256(&(b"modlpy/utilisuba", signatories, threshold).encode())
}

#[tokio::test]
async fn a_two_of_three_multisig_twin_creates_a_contract_only_after_the_second_approval() {
	let node = DevNode::start().await;
	grid(&node, 2).await;
	node.submit(&twin(), &dev::charlie()).await.expect("charlie twin");
	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let keys = [alice.public_key().0, bob.public_key().0, charlie.public_key().0];
	let multi = multisig_account(keys.to_vec(), 2);
	let others = |me: [u8; 32]| {
		let mut o: Vec<[u8; 32]> = keys.iter().copied().filter(|k| *k != me).collect();
		o.sort();
		o
	};
	let fund = dynamic::tx(
		"Balances",
		"transfer_keep_alive",
		(subxt::utils::MultiAddress::<[u8; 32], ()>::Id(multi), 100 * TFT),
	);
	node.submit(&fund, &alice).await.expect("fund the multisig");

	// Step by step, so the state between approvals can be checked.
	let weight = || Weight { ref_time: 10_000_000_000, proof_size: 1_000_000 };
	let twin_call = node.call_value(&twin()).await;
	let propose = dynamic::tx(
		"Multisig",
		"as_multi",
		(2u16, others(keys[0]), None::<Timepoint>, twin_call.clone(), weight()),
	);
	node.submit(&propose, &alice).await.expect("alice proposes the twin");
	let no_twin: Option<u32> = node.storage("Registry", "TwinIdByAccount", (multi,)).await;
	assert!(no_twin.is_none(), "the twin exists after one approval");
	let when = pending_timepoint(&node, multi).await;
	let approve = dynamic::tx(
		"Multisig",
		"as_multi",
		(2u16, others(keys[1]), Some(when), twin_call, weight()),
	);
	node.submit(&approve, &bob).await.expect("bob approves the twin");
	let twin_id: Option<u32> = node.storage("Registry", "TwinIdByAccount", (multi,)).await;
	assert_eq!(twin_id, Some(4));

	let contract_call = node.call_value(&node_contract(1, HASH, b"multisig".to_vec(), 1)).await;
	let propose = dynamic::tx(
		"Multisig",
		"as_multi",
		(2u16, others(keys[0]), None::<Timepoint>, contract_call.clone(), weight()),
	);
	node.submit(&propose, &alice).await.expect("alice proposes the contract");
	assert!(contract(&node, 1).await.is_none(), "the contract exists after one approval");
	let when = pending_timepoint(&node, multi).await;
	let approve = dynamic::tx(
		"Multisig",
		"as_multi",
		(2u16, others(keys[2]), Some(when), contract_call, weight()),
	);
	node.submit(&approve, &charlie).await.expect("charlie approves the contract");
	let c = contract(&node, 1).await.expect("contract after the second approval");
	assert_eq!(c.twin_id, 4);
	assert_eq!(ip_holders(&node).await, vec![1, 0]);
}

/// The timepoint of the one pending multisig operation of `multi`.
async fn pending_timepoint(node: &DevNode, multi: [u8; 32]) -> Timepoint {
	let at = node.api.at_current_block().await.expect("block");
	let addr = dynamic::storage::<([u8; 32], [u8; 32]), Multisig>("Multisig", "Multisigs");
	let mut entries = at.storage().iter(addr, (multi,)).await.expect("iterate multisigs");
	let entry = entries.next().await.expect("one pending operation").expect("entry decodes");
	entry.value().decode_as::<Multisig>().expect("multisig decodes").when
}
