//! The most transactions of one kind a block can hold, by the runtime's own numbers: the normal
//! class's weight budget over the transaction's weight (as `payment_queryInfo` reports it) plus
//! the base extrinsic weight, and the normal class's share of the block length over its size.

use anyhow::{Context, Result};
use gridchain_sdk::{chain, Client};
use serde::Serialize;
use serde_json::Value;
use subxt::rpcs::rpc_params;

/// A kind's ceiling per block and per second, and what bounds it.
#[derive(Serialize, Default, Clone, Debug)]
pub struct Ceiling {
	/// The transaction's weight and encoded length.
	pub ref_time: u64,
	pub proof_size: u64,
	pub length: u64,
	/// Transactions per block: the smallest of the three bounds.
	pub per_block: u64,
	pub per_second: f64,
	/// `ref_time`, `proof_size` or `length`.
	pub bound_by: &'static str,
	/// The normal class's weight budget a block (ref_time, ps).
	pub budget_ref_time: u64,
	/// Transactions per block by the weight blocks were charged after refunds: the budget over
	/// the mean charged in the phase's fullest block. For a call refunded after it runs
	/// (`report_consumption`), this is what bounds a block, not `per_block`.
	pub per_block_charged: Option<u64>,
}

impl Ceiling {
	/// Set `per_block_charged` from a block that held `count` of the phase's transactions and was
	/// charged `normal_ref_time` in the normal class.
	pub fn with_charged(mut self, count: u32, normal_ref_time: u64) -> Self {
		self.per_block_charged = (count > 0 && normal_ref_time > 0).then(|| {
			let per_block =
				u128::from(self.budget_ref_time) * u128::from(count) / u128::from(normal_ref_time);
			u64::try_from(per_block).unwrap_or(u64::MAX)
		});
		self
	}
}

fn number(value: &Value, snake: &str, camel: &str) -> Option<u64> {
	let field = value.get(snake).or_else(|| value.get(camel))?;
	field.as_u64().or_else(|| field.as_str()?.parse().ok())
}

/// The ceiling for transactions like `tx`.
pub async fn of(client: &Client, tx: &[u8]) -> Result<Ceiling> {
	let info: Value = client
		.rpc()
		.request("payment_queryInfo", rpc_params![format!("0x{}", hex::encode(tx))])
		.await
		.context("payment_queryInfo")?;
	let weight = info.get("weight").context("payment_queryInfo: no weight")?;
	let ref_time = number(weight, "ref_time", "refTime").context("no ref_time")?;
	let proof_size = number(weight, "proof_size", "proofSize").context("no proof_size")?;

	let at = client.at().await?;
	let limits = at.constants().entry(chain::constants().system().block_weights())?;
	let length = at.constants().entry(chain::constants().system().block_length())?;
	let normal = limits.per_class.normal;
	let budget = normal.max_total.unwrap_or(limits.max_block);
	let base = normal.base_extrinsic;
	let slot_ms = at.constants().entry(chain::constants().aura().slot_duration())?;

	let bounds = [
		("ref_time", budget.ref_time / (ref_time + base.ref_time).max(1)),
		("proof_size", budget.proof_size / (proof_size + base.proof_size).max(1)),
		("length", u64::from(length.max.normal) / (tx.len() as u64).max(1)),
	];
	let (bound_by, per_block) =
		bounds.into_iter().min_by_key(|(_, n)| *n).unwrap_or(("ref_time", 0));
	Ok(Ceiling {
		ref_time,
		proof_size,
		length: tx.len() as u64,
		per_block,
		per_second: per_block as f64 * 1000.0 / slot_ms.max(1) as f64,
		bound_by,
		budget_ref_time: budget.ref_time,
		per_block_charged: None,
	})
}
