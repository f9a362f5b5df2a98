//! What the API answers with: nodes, farms, twins, contracts, bills, reports, prices and their
//! pages, and the `Units` scalar in which amounts travel.

use crate::{
	limits::nested_list_cost,
	nested::{ContractEvent, EventsOfContracts, PublicIp, PublicIpsOfFarms},
};
use async_graphql::{
	dataloader::DataLoader, ComplexObject, Context, InputValueError, InputValueResult, Scalar,
	ScalarType, SimpleObject, Value,
};
use sqlx::FromRow;

/// TFT units (10^-7 TFT), as a decimal string so that no client rounds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Units(pub i64);

#[Scalar(name = "Units")]
impl ScalarType for Units {
	fn parse(value: Value) -> InputValueResult<Self> {
		match &value {
			Value::String(s) => {
				s.parse::<i64>().map(Units).map_err(|_| InputValueError::expected_type(value))
			}
			Value::Number(n) => {
				n.as_i64().map(Units).ok_or_else(|| InputValueError::expected_type(value))
			}
			_ => Err(InputValueError::expected_type(value)),
		}
	}

	fn to_value(&self) -> Value {
		Value::String(self.0.to_string())
	}
}

impl sqlx::Type<sqlx::Any> for Units {
	fn type_info() -> sqlx::any::AnyTypeInfo {
		<i64 as sqlx::Type<sqlx::Any>>::type_info()
	}
	fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
		<i64 as sqlx::Type<sqlx::Any>>::compatible(ty)
	}
}

impl<'r> sqlx::Decode<'r, sqlx::Any> for Units {
	fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
		Ok(Units(<i64 as sqlx::Decode<sqlx::Any>>::decode(value)?))
	}
}

/// Capacity: vCPUs, and bytes of SSD, HDD and memory.
#[derive(SimpleObject, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
	pub cru: i64,
	pub sru: i64,
	pub hru: i64,
	pub mru: i64,
}

/// A node, with what its live node contracts declare and what their latest reports use.
#[derive(SimpleObject, FromRow, Debug, Clone)]
#[graphql(complex)]
pub struct Node {
	pub id: i64,
	pub farm_id: i64,
	pub twin_id: i64,
	#[graphql(skip)]
	pub cru: i64,
	#[graphql(skip)]
	pub sru: i64,
	#[graphql(skip)]
	pub hru: i64,
	#[graphql(skip)]
	pub mru: i64,
	#[graphql(skip)]
	pub used_cru: i64,
	#[graphql(skip)]
	pub used_sru: i64,
	#[graphql(skip)]
	pub used_hru: i64,
	#[graphql(skip)]
	pub used_mru: i64,
	#[graphql(skip)]
	pub declared_cru: i64,
	#[graphql(skip)]
	pub declared_sru: i64,
	#[graphql(skip)]
	pub declared_hru: i64,
	#[graphql(skip)]
	pub declared_mru: i64,
	pub country: String,
	pub city: String,
	pub latitude: String,
	pub longitude: String,
	#[graphql(skip)]
	pub certified: i64,
	#[graphql(skip)]
	pub deleted: i64,
	/// Free public IPs of its farm.
	pub free_ips: i64,
	pub created_block: i64,
	pub updated_block: i64,
}

#[ComplexObject]
impl Node {
	/// What the node offers.
	async fn total(&self) -> Capacity {
		Capacity { cru: self.cru, sru: self.sru, hru: self.hru, mru: self.mru }
	}
	/// What its live node contracts declare they reserve, in sum (SPEC §4.5).
	async fn declared(&self) -> Capacity {
		Capacity {
			cru: self.declared_cru,
			sru: self.declared_sru,
			hru: self.declared_hru,
			mru: self.declared_mru,
		}
	}
	/// What its live node contracts' latest reports say they use.
	async fn used(&self) -> Capacity {
		Capacity { cru: self.used_cru, sru: self.used_sru, hru: self.used_hru, mru: self.used_mru }
	}
	async fn certified(&self) -> bool {
		self.certified != 0
	}
	async fn deleted(&self) -> bool {
		self.deleted != 0
	}
	/// Total minus declared, never below 0: the runtime API's `free_resources`.
	async fn free(&self) -> Capacity {
		Capacity {
			cru: self.cru.saturating_sub(self.declared_cru).max(0),
			sru: self.sru.saturating_sub(self.declared_sru).max(0),
			hru: self.hru.saturating_sub(self.declared_hru).max(0),
			mru: self.mru.saturating_sub(self.declared_mru).max(0),
		}
	}
}

/// A farm.
#[derive(SimpleObject, FromRow, Debug, Clone)]
#[graphql(complex)]
pub struct Farm {
	pub id: i64,
	pub name: String,
	pub twin_id: i64,
	pub pricing_policy_id: i64,
	#[graphql(skip)]
	pub dedicated: i64,
	pub created_block: i64,
	pub free_ips: i64,
	/// Its IPs, when the page it is on read them for all its farms at once.
	#[graphql(skip)]
	#[sqlx(skip)]
	pub ips_read: Option<Vec<PublicIp>>,
}

#[ComplexObject]
impl Farm {
	async fn dedicated(&self) -> bool {
		self.dedicated != 0
	}

	/// Its public IPs.
	#[graphql(complexity = "nested_list_cost(child_complexity)")]
	async fn public_ips(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PublicIp>> {
		if let Some(ips) = &self.ips_read {
			return Ok(ips.clone());
		}
		let loader = ctx.data::<DataLoader<PublicIpsOfFarms>>()?;
		Ok(loader.load_one(self.id).await?.unwrap_or_default())
	}
}

/// A twin.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct Twin {
	pub id: i64,
	/// SS58 address.
	pub account: String,
	/// X25519 key deployments are encrypted to, `0x`-hex.
	pub pk: Option<String>,
	pub relay: Option<String>,
	pub created_block: i64,
	pub updated_block: i64,
}

/// A contract, live or ended.
#[derive(SimpleObject, FromRow, Debug, Clone)]
#[graphql(complex)]
pub struct Contract {
	pub id: i64,
	pub twin_id: i64,
	/// `node`, `name` or `rent`; `unknown` for one created and ended in the same block.
	pub kind: String,
	pub node_id: Option<i64>,
	pub name: Option<String>,
	pub deployment_hash: Option<String>,
	pub version: i64,
	/// `created`, `deployed`, `grace_period` or `deleted`.
	pub state: String,
	/// Why it ended: `canceled_by_user`, `canceled_by_node`, `canceled_by_collective`, `out_of_funds`.
	pub cause: Option<String>,
	/// The debt it left when it ended.
	pub unpaid: Option<Units>,
	pub deposit: Units,
	pub public_ips: i64,
	/// Sum of its bills.
	pub billed: Units,
	pub created_block: i64,
	/// Unix seconds.
	pub created_time: i64,
	pub updated_block: i64,
	#[graphql(skip)]
	pub used_cru: i64,
	#[graphql(skip)]
	pub used_sru: i64,
	#[graphql(skip)]
	pub used_hru: i64,
	#[graphql(skip)]
	pub used_mru: i64,
	#[graphql(skip)]
	pub capacity_cru: i64,
	#[graphql(skip)]
	pub capacity_sru: i64,
	#[graphql(skip)]
	pub capacity_hru: i64,
	#[graphql(skip)]
	pub capacity_mru: i64,
	/// Its events, when the page it is on read them for all its contracts at once.
	#[graphql(skip)]
	#[sqlx(skip)]
	pub events_read: Option<Vec<ContractEvent>>,
}

#[ComplexObject]
impl Contract {
	/// What a node contract declares it reserves (SPEC §4.5); zero for name and rent contracts.
	async fn capacity(&self) -> Capacity {
		Capacity {
			cru: self.capacity_cru,
			sru: self.capacity_sru,
			hru: self.capacity_hru,
			mru: self.capacity_mru,
		}
	}
	/// What its latest accepted report says it uses.
	async fn used(&self) -> Capacity {
		Capacity { cru: self.used_cru, sru: self.used_sru, hru: self.used_hru, mru: self.used_mru }
	}
	/// Every state change, oldest first.
	#[graphql(complexity = "nested_list_cost(child_complexity)")]
	async fn events(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ContractEvent>> {
		if let Some(events) = &self.events_read {
			return Ok(events.clone());
		}
		let loader = ctx.data::<DataLoader<EventsOfContracts>>()?;
		Ok(loader.load_one(self.id).await?.unwrap_or_default())
	}
}

/// One settlement of a contract.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct Bill {
	pub block_number: i64,
	pub event_index: i64,
	pub contract_id: i64,
	pub twin_id: i64,
	pub node_id: Option<i64>,
	pub amount: Units,
	pub discount_level: String,
	/// Unix seconds.
	pub time: i64,
}

/// Bills summed over one UTC day.
#[derive(SimpleObject, Debug, Clone)]
pub struct DayTotal {
	/// `YYYY-MM-DD`.
	pub day: String,
	pub amount: Units,
	pub bills: i64,
}

/// A consumption report, accepted or rejected.
#[derive(SimpleObject, FromRow, Debug, Clone)]
#[graphql(complex)]
pub struct Report {
	pub block_number: i64,
	pub event_index: i64,
	pub contract_id: i64,
	pub node_id: Option<i64>,
	#[graphql(skip)]
	pub accepted: i64,
	/// Why it was rejected.
	pub reason: Option<String>,
	/// When the node measured, unix seconds.
	pub timestamp: Option<i64>,
	pub window_secs: Option<i64>,
	/// Its cost, uUSD × 10^9, decimal.
	pub cost_scaled_uusd: Option<String>,
	pub cru: Option<i64>,
	pub sru: Option<i64>,
	pub hru: Option<i64>,
	pub mru: Option<i64>,
	/// Block time, unix seconds.
	pub time: i64,
}

#[ComplexObject]
impl Report {
	async fn accepted(&self) -> bool {
		self.accepted != 0
	}
}

/// A TFT price the chain stored.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct Price {
	pub block_number: i64,
	pub event_index: i64,
	/// `price` (an oracle's) or `average`.
	pub kind: String,
	/// mUSD per TFT.
	pub price_musd: i64,
	pub time: i64,
}

/// A grace period of a contract.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct GracePeriod {
	pub contract_id: i64,
	pub started_block: i64,
	pub debt: Units,
	pub ended_block: Option<i64>,
	/// `paid` or `canceled`.
	pub ended_by: Option<String>,
}

/// Burned shares of settlements.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct Burn {
	pub block_number: i64,
	pub event_index: i64,
	pub amount: Units,
	pub time: i64,
}

/// A balance transfer.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct Transfer {
	pub block_number: i64,
	pub event_index: i64,
	pub from_account: String,
	pub to_account: String,
	pub amount: Units,
	pub time: i64,
}

/// Where the indexer is.
#[derive(SimpleObject, Debug, Clone)]
pub struct IndexerStatus {
	/// The last block committed, -1 before the first.
	pub indexed_height: i64,
	/// The chain's finalized head when last asked.
	pub finalized_height: i64,
	/// Blocks behind the finalized head; -1 before the chain was reached.
	pub lag: i64,
}

macro_rules! page {
	($name:ident, $item:ty) => {
		/// A page of results and how many match in all.
		#[derive(SimpleObject, Debug, Clone)]
		pub struct $name {
			pub total_count: i64,
			pub items: Vec<$item>,
		}
	};
}
page!(NodePage, Node);
page!(FarmPage, Farm);
page!(TwinPage, Twin);
page!(ContractPage, Contract);
page!(ReportPage, Report);
page!(PricePage, Price);
page!(TransferPage, Transfer);
page!(GracePeriodPage, GracePeriod);

/// A page of bills, with the sum over every bill that matches.
#[derive(SimpleObject, Debug, Clone)]
pub struct BillPage {
	pub total_count: i64,
	pub total_amount: Units,
	pub items: Vec<Bill>,
}
