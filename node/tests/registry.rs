//! End to end: the Registry on a real dev node, driven over RPC with subxt.

mod common;

use common::*;
use subxt::ext::scale_decode::DecodeAsType;

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Twin {
	id: u32,
	account_id: [u8; 32],
	pk: Option<[u8; 32]>,
	relay: Option<Vec<u8>>,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct PublicIp {
	ip: Vec<u8>,
	gateway: Vec<u8>,
	contract_id: u64,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Farm {
	id: u32,
	name: Vec<u8>,
	twin_id: u32,
	pricing_policy_id: u32,
	public_ips: Vec<PublicIp>,
}

#[derive(DecodeAsType, Debug)]
#[decode_as_type(crate_path = "subxt::ext::scale_decode")]
struct Node {
	id: u32,
	farm_id: u32,
	twin_id: u32,
	resources: Resources,
	location: Location,
}

fn node_resources() -> Resources {
	Resources { cru: 8, mru: 32 * GIB, sru: 1000 * GIB, hru: 4000 * GIB }
}

fn create_twin(pk: Option<[u8; 32]>, relay: Option<Vec<u8>>) -> impl subxt::tx::Payload {
	dynamic::tx("Registry", "create_twin", (pk, relay))
}

#[tokio::test]
async fn registry_records_twins_farms_ips_and_nodes_and_refuses_bad_input() {
	let node = DevNode::start().await;
	let (alice, bob) = (dev::alice(), dev::bob());

	// A twin for the farmer and one for the node.
	node.submit(&create_twin(Some([9; 32]), Some(b"relay.dev".to_vec())), &alice)
		.await
		.expect("alice twin");
	node.submit(&create_twin(None, None), &bob).await.expect("bob twin");
	let twin: Twin = node.storage("Registry", "Twins", (1u32,)).await.expect("twin 1 stored");
	assert_eq!(twin.id, 1);
	assert_eq!(twin.account_id, alice.public_key().0);
	assert_eq!(twin.pk, Some([9; 32]));
	assert_eq!(twin.relay, Some(b"relay.dev".to_vec()));
	let bob_twin: Option<u32> =
		node.storage("Registry", "TwinIdByAccount", (bob.public_key().0,)).await;
	assert_eq!(bob_twin, Some(2));

	// A duplicate twin is refused by name, and nothing changes.
	let err = node.submit(&create_twin(None, None), &alice).await.expect_err("duplicate twin");
	assert!(err.contains("TwinExists"), "unexpected error: {err}");
	let count: Option<u32> = node.storage("Registry", "TwinCount", ()).await;
	assert_eq!(count, Some(2));

	// A farm with a public IP.
	node.submit(&dynamic::tx("Registry", "create_farm", (b"alice-farm".to_vec(),)), &alice)
		.await
		.expect("farm");
	let add_ip = |ip: &str, gw: &str| {
		dynamic::tx(
			"Registry",
			"add_farm_ip",
			(1u32, ip.as_bytes().to_vec(), gw.as_bytes().to_vec()),
		)
	};
	node.submit(&add_ip("185.206.122.33/24", "185.206.122.1"), &alice).await.expect("ip");

	// Invalid IPs are refused with their reason, and the farm keeps one IP.
	let err =
		node.submit(&add_ip("10.0.0.7/24", "10.0.0.1"), &alice).await.expect_err("private ip");
	assert!(err.contains("IpNotPublicUnicast"), "unexpected error: {err}");
	let err = node
		.submit(&add_ip("185.206.122.34/24", "185.206.99.1"), &alice)
		.await
		.expect_err("gateway");
	assert!(err.contains("GatewayNotInSubnet"), "unexpected error: {err}");
	let err = node
		.submit(&add_ip("185.206.122.35", "185.206.122.1"), &alice)
		.await
		.expect_err("no prefix");
	assert!(err.contains("InvalidPublicIp"), "unexpected error: {err}");

	let farm: Farm = node.storage("Registry", "Farms", (1u32,)).await.expect("farm 1 stored");
	assert_eq!((farm.id, farm.twin_id, farm.pricing_policy_id), (1, 1, 1));
	assert_eq!(farm.name, b"alice-farm".to_vec());
	assert_eq!(farm.public_ips.len(), 1);
	assert_eq!(farm.public_ips[0].ip, b"185.206.122.33/24".to_vec());
	assert_eq!(farm.public_ips[0].gateway, b"185.206.122.1".to_vec());
	assert_eq!(farm.public_ips[0].contract_id, 0);

	// A node too small is refused; a proper one is stored.
	let create_node = |r: Resources| {
		dynamic::tx("Registry", "create_node", (1u32, r, Location::new("BE", "Ghent")))
	};
	let small = Resources { mru: GIB, ..node_resources() };
	let err = node.submit(&create_node(small), &bob).await.expect_err("too little memory");
	assert!(err.contains("MruBelowMinimum"), "unexpected error: {err}");
	let none: Option<Node> = node.storage("Registry", "Nodes", (1u32,)).await;
	assert!(none.is_none());

	node.submit(&create_node(node_resources()), &bob).await.expect("node");
	let stored: Node = node.storage("Registry", "Nodes", (1u32,)).await.expect("node 1 stored");
	assert_eq!((stored.id, stored.farm_id, stored.twin_id), (1, 1, 2));
	assert_eq!(stored.resources, node_resources());
	assert_eq!(stored.location, Location::new("BE", "Ghent"));
	let by_twin: Option<u32> = node.storage("Registry", "NodeIdByTwin", (2u32,)).await;
	assert_eq!(by_twin, Some(1));

	// Node lookup through the runtime API.
	let by_farm: Vec<u32> = node.runtime_api("RegistryApi", "nodes_by_farm", (1u32,)).await;
	assert_eq!(by_farm, vec![1]);
	let by_country: Vec<u32> =
		node.runtime_api("RegistryApi", "nodes_by_country", (b"be".to_vec(),)).await;
	assert_eq!(by_country, vec![1]);
	let roomy: Vec<u32> = node
		.runtime_api(
			"RegistryApi",
			"nodes_with_free_resources",
			(Resources { cru: 16, ..node_resources() },),
		)
		.await;
	assert!(roomy.is_empty());
	let farms: Vec<u32> = node.runtime_api("RegistryApi", "farms_with_free_ips", (1u32,)).await;
	assert_eq!(farms, vec![1]);

	// What a node contract declares is no longer free (SPEC §4.5), and the node cannot shrink
	// below what its contracts declare.
	let declared = Resources { cru: 6, mru: 8 * GIB, sru: 100 * GIB, hru: 0 };
	let contract = dynamic::tx(
		"SmartContract",
		"create_node_contract",
		(1u32, [7u8; 32], Vec::<u8>::new(), 0u32, declared),
	);
	node.submit(&contract, &alice).await.expect("node contract");
	let free: Option<Resources> = node.runtime_api("RegistryApi", "free_resources", (1u32,)).await;
	assert_eq!(free, Some(Resources { cru: 2, mru: 24 * GIB, sru: 900 * GIB, ..node_resources() }));
	let three: Vec<u32> = node
		.runtime_api(
			"RegistryApi",
			"nodes_with_free_resources",
			(Resources { cru: 3, mru: 0, sru: 0, hru: 0 },),
		)
		.await;
	assert!(three.is_empty(), "2 vCPUs are free, not 3: {three:?}");
	let update_node = |r: Resources| {
		dynamic::tx("Registry", "update_node", (1u32, r, Location::new("BE", "Ghent")))
	};
	let err = node
		.submit(&update_node(Resources { cru: 5, ..node_resources() }), &bob)
		.await
		.expect_err("below what is declared");
	assert!(err.contains("ResourcesBelowDeclared"), "unexpected error: {err}");
	node.submit(&update_node(Resources { cru: 6, ..node_resources() }), &bob)
		.await
		.expect("down to exactly what is declared");
}
