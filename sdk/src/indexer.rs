//! A client of `grid-indexer`'s GraphQL API: a contract's whole bill history and node search in
//! milliseconds, where the chain alone would mean reading block after block.

use crate::{Bill, Location, Node, NodeQuery, Resources, Result};
use serde_json::{json, Value};

/// Bills and search from a `grid-indexer`.
#[derive(Debug, Clone)]
pub struct IndexerClient {
	url: String,
	http: reqwest::Client,
}

/// A contract's bills as the indexer has them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndexedBills {
	pub contract_id: u64,
	/// The last block the indexer has committed: the bills are complete up to it.
	pub indexed_height: i64,
	/// Sum of `bills`, TFT units.
	pub total: u128,
	pub bills: Vec<Bill>,
}

/// A node found by the indexer, with what is free on it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoundNode {
	pub node: Node,
	pub free: Resources,
	/// Free public IPs of its farm.
	pub free_ips: u64,
}

fn unavailable(url: &str, reason: impl std::fmt::Display) -> crate::Error {
	crate::Error::Indexer { url: url.to_string(), reason: reason.to_string() }
}

fn units(v: &Value) -> Option<u128> {
	v.as_str()?.parse().ok()
}

impl IndexerClient {
	/// A client of the indexer whose GraphQL endpoint is `url` (`http://127.0.0.1:4350/graphql`;
	/// a URL without a path gets `/graphql`).
	pub fn new(url: &str) -> IndexerClient {
		let trimmed = url.trim_end_matches('/');
		let url = if trimmed.ends_with("/graphql") {
			trimmed.to_string()
		} else {
			format!("{trimmed}/graphql")
		};
		let http = reqwest::Client::builder()
			.timeout(std::time::Duration::from_secs(10))
			.build()
			.unwrap_or_default();
		IndexerClient { url, http }
	}

	/// The GraphQL endpoint.
	pub fn url(&self) -> &str {
		&self.url
	}

	/// Run a GraphQL query; its `data`, or the first error.
	pub async fn query(&self, query: &str, variables: Value) -> Result<Value> {
		let response = self
			.http
			.post(&self.url)
			.json(&json!({"query": query, "variables": variables}))
			.send()
			.await
			.map_err(|e| unavailable(&self.url, e))?;
		if !response.status().is_success() {
			return Err(unavailable(&self.url, format!("HTTP {}", response.status())));
		}
		let body: Value = response.json().await.map_err(|e| unavailable(&self.url, e))?;
		if let Some(message) = body["errors"][0]["message"].as_str() {
			return Err(unavailable(&self.url, message));
		}
		Ok(body["data"].clone())
	}

	/// Every bill of a contract, oldest first.
	pub async fn bills(&self, contract_id: u64) -> Result<IndexedBills> {
		const PAGE: u64 = 1000;
		let query = "query($id: Int!, $first: Int!, $offset: Int!) { \
			status { indexedHeight } \
			bills(filter: { contractId: $id }, first: $first, offset: $offset) { totalCount totalAmount items { blockNumber amount discountLevel time } } }";
		let mut bills = Vec::new();
		let mut offset = 0u64;
		loop {
			let data = self
				.query(query, json!({"id": contract_id, "first": PAGE, "offset": offset}))
				.await?;
			let page = &data["bills"];
			let items = page["items"].as_array().cloned().unwrap_or_default();
			for b in &items {
				bills.push(Bill {
					block: b["blockNumber"].as_u64().unwrap_or(0),
					contract_id,
					amount: units(&b["amount"])
						.ok_or_else(|| unavailable(&self.url, "a bill without an amount"))?,
					discount_level: b["discountLevel"].as_str().unwrap_or("").to_string(),
					time: b["time"].as_u64(),
				});
			}
			offset += items.len() as u64;
			let total_count = page["totalCount"].as_u64().unwrap_or(0);
			if items.is_empty() || offset >= total_count {
				let total = units(&page["totalAmount"]).unwrap_or(0);
				let indexed_height = data["status"]["indexedHeight"].as_i64().unwrap_or(-1);
				return Ok(IndexedBills { contract_id, indexed_height, total, bills });
			}
		}
	}

	/// Nodes that are live and have at least what `query` asks free, by id.
	pub async fn find_nodes(&self, query: &NodeQuery) -> Result<Vec<FoundNode>> {
		let gql = "query($filter: NodeFilter!) { nodes(filter: $filter, first: 1000) { items { \
			id farmId twinId country city latitude longitude certified freeIps \
			total { cru sru hru mru } free { cru sru hru mru } } } }";
		let filter = json!({
			"farmId": query.farm_id,
			"country": query.country,
			"freeCru": query.min_free.cru,
			"freeSru": query.min_free.sru,
			"freeHru": query.min_free.hru,
			"freeMru": query.min_free.mru,
			"freeIps": query.min_free_ips,
		});
		let data = self.query(gql, json!({"filter": filter})).await?;
		let resources = |v: &Value| Resources {
			cru: v["cru"].as_u64().unwrap_or(0),
			sru: v["sru"].as_u64().unwrap_or(0),
			hru: v["hru"].as_u64().unwrap_or(0),
			mru: v["mru"].as_u64().unwrap_or(0),
		};
		let text = |v: &Value| v.as_str().unwrap_or("").to_string();
		Ok(data["nodes"]["items"]
			.as_array()
			.cloned()
			.unwrap_or_default()
			.iter()
			.map(|n| FoundNode {
				node: Node {
					id: n["id"].as_u64().unwrap_or(0) as u32,
					farm_id: n["farmId"].as_u64().unwrap_or(0) as u32,
					twin_id: n["twinId"].as_u64().unwrap_or(0) as u32,
					resources: resources(&n["total"]),
					location: Location {
						country: text(&n["country"]),
						city: text(&n["city"]),
						latitude: text(&n["latitude"]),
						longitude: text(&n["longitude"]),
					},
					certified: n["certified"].as_bool().unwrap_or(false),
				},
				free: resources(&n["free"]),
				free_ips: n["freeIps"].as_u64().unwrap_or(0),
			})
			.collect())
	}
}
