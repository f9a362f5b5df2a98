//! The SDK's restricted and oracle calls against a real dev chain: pricing policies, node
//! certification, billing parameters and the TFT price, each read back from the chain.

use gridchain_test_support as common;

use gridchain_sdk::{Client, Error, Identity, PricingPolicy, Resources};

#[tokio::test(flavor = "multi_thread")]
async fn restricted_and_oracle_calls_change_what_the_chain_says() {
	let chain = common::Chain::grid_with_a_node(0);
	let client = Client::connect(&chain.url).await.expect("client");
	let alice = Identity::from_uri("//Alice").expect("alice");
	let bob = Identity::from_uri("//Bob").expect("bob");

	let policy = PricingPolicy {
		name: "policy-two".into(),
		su: 1,
		cu: 2,
		nu: 3,
		ipu: 4,
		unique_name: 5,
		discount_for_dedicated_nodes: 50,
		foundation_account: alice.account_id(),
		sales_account: bob.account_id(),
	};
	assert_eq!(client.pricing_policy_count().await.expect("count"), 1);
	client.create_pricing_policy(alice.keypair(), &policy).await.expect("created");
	assert_eq!(client.pricing_policy_count().await.expect("count"), 2);
	client
		.update_pricing_policy(alice.keypair(), 2, &PricingPolicy { cu: 7, ..policy.clone() })
		.await
		.expect("updated");
	// Only the restricted origin may: Bob is not the sudo key.
	let refused = client.create_pricing_policy(bob.keypair(), &policy).await;
	assert!(matches!(refused, Err(ref e) if e.is_refusal()), "{refused:?}");

	assert!(!client.node(1).await.expect("node").certified);
	client.set_node_certification(alice.keypair(), 1, true).await.expect("certified");
	assert!(client.node(1).await.expect("node").certified);

	client.set_tft_price(alice.keypair(), 60).await.expect("price set");
	assert_eq!(client.tft_price().await.expect("price").price_musd, 60);
	let refused = client.set_tft_price(bob.keypair(), 70).await;
	assert!(
		matches!(refused, Err(Error::Refused { ref pallet, .. }) if pallet == "TftPrice"),
		"{refused:?}"
	);

	// A node updated through the SDK reads back the same.
	let node = client.node(1).await.expect("node");
	let bigger = Resources { cru: 16, ..node.resources };
	client.update_node(bob.keypair(), 1, bigger, &node.location).await.expect("updated");
	assert_eq!(client.node(1).await.expect("node").resources, bigger);
}
