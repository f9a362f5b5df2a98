//! The GraphQL API: nodes, farms, twins, contracts, bills, consumption reports and prices, with
//! filters and offset pagination. Amounts are TFT units (10^-7 TFT) as decimal strings.

use crate::{
	db::{Backend, Db},
	limits::{nested_list_cost, page_cost, sql_error, QueryLimits},
	nested::{loaders, read_for_page, EventsOfContracts, PublicIpsOfFarms},
	sync::Status,
};
use async_graphql::{
	dataloader::DataLoader, ComplexObject, Context, EmptyMutation, EmptySubscription, InputObject,
	InputValueError, InputValueResult, Object, Scalar, ScalarType, SimpleObject, Value,
};
use sqlx::{any::AnyRow, FromRow};
use std::sync::{atomic::Ordering, Arc};

pub use crate::{
	limits::MAX_PAGE,
	nested::{ContractEvent, PublicIp},
};

/// The schema type.
pub type GridSchema = async_graphql::Schema<Query, EmptyMutation, EmptySubscription>;

/// Build the schema over `db` (the API's handle, [`Db::connect_reader`]), with the limits of
/// [`crate::limits`] on every query.
pub fn schema(db: Db, status: Arc<Status>) -> GridSchema {
	let (ips, events) = loaders(&db);
	async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription)
		.data(db)
		.data(status)
		.data(ips)
		.data(events)
		.extension(QueryLimits)
		.finish()
}

/// The schema in SDL, as committed in `indexer/schema.graphql`.
pub fn sdl() -> String {
	async_graphql::Schema::build(Query, EmptyMutation, EmptySubscription).finish().sdl()
}

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

/// Which nodes.
#[derive(InputObject, Debug, Default, Clone)]
pub struct NodeFilter {
	pub farm_id: Option<i64>,
	pub twin_id: Option<i64>,
	/// Exact country name, as the node registered it.
	pub country: Option<String>,
	pub city: Option<String>,
	pub certified: Option<bool>,
	/// At least this much free: not declared by its live node contracts.
	pub free_cru: Option<i64>,
	pub free_sru: Option<i64>,
	pub free_hru: Option<i64>,
	pub free_mru: Option<i64>,
	/// At least this many free public IPs on its farm.
	pub free_ips: Option<i64>,
	/// Deleted nodes too (default: no).
	pub include_deleted: Option<bool>,
}

/// Which farms.
#[derive(InputObject, Debug, Default, Clone)]
pub struct FarmFilter {
	pub twin_id: Option<i64>,
	pub name: Option<String>,
	pub dedicated: Option<bool>,
	/// At least this many free public IPs.
	pub free_ips: Option<i64>,
}

/// Which contracts.
#[derive(InputObject, Debug, Default, Clone)]
pub struct ContractFilter {
	pub twin_id: Option<i64>,
	pub node_id: Option<i64>,
	/// `created`, `deployed`, `grace_period` or `deleted`.
	pub state: Option<String>,
	/// `node`, `name` or `rent`.
	pub kind: Option<String>,
}

/// Which bills: any combination; times are unix seconds, `from` inclusive, `to` exclusive.
#[derive(InputObject, Debug, Default, Clone)]
pub struct BillFilter {
	pub contract_id: Option<i64>,
	pub twin_id: Option<i64>,
	pub node_id: Option<i64>,
	pub from_time: Option<i64>,
	pub to_time: Option<i64>,
}

/// A value bound to a query.
#[derive(Debug, Clone)]
enum Arg {
	Int(i64),
	Text(String),
	/// A 0/1 flag column.
	Flag(bool),
}

/// WHERE clauses with numbered placeholders.
#[derive(Default)]
struct Where {
	clauses: Vec<String>,
	args: Vec<Arg>,
}

impl Where {
	/// Add `template` with `?` standing for the next placeholder.
	fn add(&mut self, template: &str, arg: Arg) {
		self.args.push(arg);
		self.clauses.push(template.replace('?', &format!("${}", self.args.len())));
	}

	fn opt_int(&mut self, template: &str, value: Option<i64>) {
		if let Some(v) = value {
			self.add(template, Arg::Int(v));
		}
	}

	fn sql(&self) -> String {
		if self.clauses.is_empty() {
			String::new()
		} else {
			format!(" WHERE {}", self.clauses.join(" AND "))
		}
	}

	fn next(&self) -> usize {
		self.args.len() + 1
	}
}

fn bind<'q, O>(
	mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
	args: &[Arg],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
	for a in args {
		q = match a {
			Arg::Int(v) => q.bind(*v),
			Arg::Text(v) => q.bind(v.clone()),
			Arg::Flag(v) => q.bind(i64::from(*v)),
		};
	}
	q
}

/// Which parts of a page the query selects: the count (and sum) and the rows are each read only
/// when asked for, so that `{ totalCount }` reads no rows and `{ items }` counts none.
#[derive(Debug, Clone, Copy)]
struct Wanted {
	count: bool,
	items: bool,
}

impl Wanted {
	fn of(ctx: &Context<'_>) -> Wanted {
		let look = ctx.look_ahead();
		Wanted {
			count: look.field("totalCount").exists() || look.field("totalAmount").exists(),
			items: look.field("items").exists(),
		}
	}

	/// A list field that is the rows themselves.
	const ITEMS: Wanted = Wanted { count: false, items: true };
}

/// One page of `select` rows and how many rows match (with the sum of `sum`, when given), read in
/// one snapshot so that the count, the sum and the page agree while the indexer writes.
#[allow(clippy::too_many_arguments)]
async fn fetch_page_summed<T>(
	db: &Db,
	wanted: Wanted,
	select: &str,
	from: &str,
	w: &Where,
	order: &str,
	sum: Option<&str>,
	first: i64,
	offset: i64,
) -> async_graphql::Result<(i64, i64, Vec<T>)>
where
	T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
	let (first, offset) = paging(first, offset)?;
	let mut tx = db.pool.begin().await.map_err(sql_error)?;
	if db.backend == Backend::Postgres && wanted.count && wanted.items {
		// SQLite's WAL gives a transaction one snapshot from its first read; PostgreSQL needs asking.
		sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
			.execute(&mut *tx)
			.await
			.map_err(sql_error)?;
	}
	let (mut total, mut summed) = (0, 0);
	if wanted.count {
		let sum_sql = sum
			.map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
			.unwrap_or("CAST(0 AS BIGINT)".into());
		let count_sql =
			format!("SELECT CAST(COUNT(*) AS BIGINT), {sum_sql} FROM {from}{}", w.sql());
		db.count_read();
		(total, summed) = bind(sqlx::query_as(&count_sql), &w.args)
			.fetch_one(&mut *tx)
			.await
			.map_err(sql_error)?;
	}
	let mut items = Vec::new();
	if wanted.items {
		let n = w.next();
		let sql = format!(
			"SELECT {select} FROM {from}{} ORDER BY {order} LIMIT ${n} OFFSET ${}",
			w.sql(),
			n + 1
		);
		let mut args = w.args.clone();
		args.push(Arg::Int(first));
		args.push(Arg::Int(offset));
		db.count_read();
		items = bind(sqlx::query_as(&sql), &args).fetch_all(&mut *tx).await.map_err(sql_error)?;
	}
	tx.rollback().await.map_err(sql_error)?;
	Ok((total, summed, items))
}

/// [`fetch_page_summed`] without a sum.
#[allow(clippy::too_many_arguments)]
async fn fetch_page<T>(
	db: &Db,
	wanted: Wanted,
	select: &str,
	from: &str,
	w: &Where,
	order: &str,
	first: i64,
	offset: i64,
) -> async_graphql::Result<(i64, Vec<T>)>
where
	T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
	let (total, _, items) =
		fetch_page_summed(db, wanted, select, from, w, order, None, first, offset).await?;
	Ok((total, items))
}

fn paging(first: i64, offset: i64) -> async_graphql::Result<(i64, i64)> {
	if !(0..=MAX_PAGE).contains(&first) {
		return Err(format!("first: must be between 0 and {MAX_PAGE}, got {first}").into());
	}
	if offset < 0 {
		return Err(format!("offset: must not be negative, got {offset}").into());
	}
	Ok((first, offset))
}

fn one_of<'a>(field: &str, value: &'a str, allowed: &[&str]) -> async_graphql::Result<&'a str> {
	if allowed.contains(&value) {
		Ok(value)
	} else {
		Err(format!("{field}: must be one of {}, got {value:?}", allowed.join(", ")).into())
	}
}

const NODE_COLUMNS: &str = "n.id, n.farm_id, n.twin_id, n.cru, n.sru, n.hru, n.mru, n.used_cru, n.used_sru, \
	n.used_hru, n.used_mru, n.declared_cru, n.declared_sru, n.declared_hru, n.declared_mru, \
	n.country, n.city, n.latitude, n.longitude, n.certified, n.deleted, \
	CAST((SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = n.farm_id AND p.contract_id = 0) AS BIGINT) AS free_ips, \
	n.created_block, n.updated_block";
const FARM_COLUMNS: &str = "f.id, f.name, f.twin_id, f.pricing_policy_id, f.dedicated, f.created_block, \
	CAST((SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = f.id AND p.contract_id = 0) AS BIGINT) AS free_ips";
const CONTRACT_COLUMNS: &str = "id, twin_id, kind, node_id, name, deployment_hash, version, state, cause, unpaid, \
	deposit, public_ips, billed, created_block, created_time, updated_block, used_cru, used_sru, used_hru, used_mru, \
	capacity_cru, capacity_sru, capacity_hru, capacity_mru";
const BILL_COLUMNS: &str =
	"block_number, event_index, contract_id, twin_id, node_id, amount, discount_level, time";
const REPORT_COLUMNS: &str =
	"block_number, event_index, contract_id, node_id, accepted, reason, timestamp, \
	window_secs, cost_scaled_uusd, cru, sru, hru, mru, time";

fn node_where(f: &NodeFilter) -> Where {
	let mut w = Where::default();
	if !f.include_deleted.unwrap_or(false) {
		w.add("n.deleted = ?", Arg::Flag(false));
	}
	w.opt_int("n.farm_id = ?", f.farm_id);
	w.opt_int("n.twin_id = ?", f.twin_id);
	if let Some(c) = &f.country {
		w.add("n.country = ?", Arg::Text(c.clone()));
	}
	if let Some(c) = &f.city {
		w.add("n.city = ?", Arg::Text(c.clone()));
	}
	if let Some(c) = f.certified {
		w.add("n.certified = ?", Arg::Flag(c));
	}
	w.opt_int("n.cru - n.declared_cru >= ?", f.free_cru);
	w.opt_int("n.sru - n.declared_sru >= ?", f.free_sru);
	w.opt_int("n.hru - n.declared_hru >= ?", f.free_hru);
	w.opt_int("n.mru - n.declared_mru >= ?", f.free_mru);
	w.opt_int(
		"(SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = n.farm_id AND p.contract_id = 0) >= ?",
		f.free_ips,
	);
	w
}

fn bill_where(f: &BillFilter) -> Where {
	let mut w = Where::default();
	w.opt_int("contract_id = ?", f.contract_id);
	w.opt_int("twin_id = ?", f.twin_id);
	w.opt_int("node_id = ?", f.node_id);
	w.opt_int("time >= ?", f.from_time);
	w.opt_int("time < ?", f.to_time);
	w
}

/// The root query.
pub struct Query;

#[Object]
impl Query {
	/// How far the indexer is.
	async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<IndexerStatus> {
		let status = ctx.data::<Arc<Status>>()?;
		let indexed = status.indexed.load(Ordering::Relaxed);
		let finalized = status.finalized.load(Ordering::Relaxed);
		Ok(IndexerStatus {
			indexed_height: indexed,
			finalized_height: finalized,
			lag: if finalized < 0 { -1 } else { (finalized - indexed).max(0) },
		})
	}

	/// Nodes, by id, filtered.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn nodes(
		&self,
		ctx: &Context<'_>,
		filter: Option<NodeFilter>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<NodePage> {
		let db = ctx.data::<Db>()?;
		let w = node_where(&filter.unwrap_or_default());
		let (total_count, items) =
			fetch_page(db, Wanted::of(ctx), NODE_COLUMNS, "nodes n", &w, "n.id", first, offset)
				.await?;
		Ok(NodePage { total_count, items })
	}

	/// One node.
	async fn node(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Node>> {
		let db = ctx.data::<Db>()?;
		let sql = format!("SELECT {NODE_COLUMNS} FROM nodes n WHERE n.id = $1");
		sqlx::query_as(&sql).bind(id).fetch_optional(db.reading()).await.map_err(sql_error)
	}

	/// Farms, by id, filtered.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn farms(
		&self,
		ctx: &Context<'_>,
		filter: Option<FarmFilter>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<FarmPage> {
		let db = ctx.data::<Db>()?;
		let f = filter.unwrap_or_default();
		let mut w = Where::default();
		w.opt_int("f.twin_id = ?", f.twin_id);
		if let Some(name) = f.name {
			w.add("f.name = ?", Arg::Text(name));
		}
		if let Some(d) = f.dedicated {
			w.add("f.dedicated = ?", Arg::Flag(d));
		}
		w.opt_int(
			"(SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = f.id AND p.contract_id = 0) >= ?",
			f.free_ips,
		);
		let (total_count, mut items): (i64, Vec<Farm>) =
			fetch_page(db, Wanted::of(ctx), FARM_COLUMNS, "farms f", &w, "f.id", first, offset)
				.await?;
		if ctx.look_ahead().field("items").field("publicIps").exists() {
			let ids = items.iter().map(|farm| farm.id);
			let mut ips = read_for_page::<PublicIpsOfFarms>(ctx, ids).await?;
			for farm in &mut items {
				farm.ips_read = Some(ips.remove(&farm.id).unwrap_or_default());
			}
		}
		Ok(FarmPage { total_count, items })
	}

	/// One farm.
	async fn farm(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Farm>> {
		let db = ctx.data::<Db>()?;
		let sql = format!("SELECT {FARM_COLUMNS} FROM farms f WHERE f.id = $1");
		sqlx::query_as(&sql).bind(id).fetch_optional(db.reading()).await.map_err(sql_error)
	}

	/// Twins, by id; `account` (SS58) finds one account's.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn twins(
		&self,
		ctx: &Context<'_>,
		account: Option<String>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<TwinPage> {
		let db = ctx.data::<Db>()?;
		let mut w = Where::default();
		if let Some(a) = account {
			w.add("account = ?", Arg::Text(a));
		}
		let (total_count, items) = fetch_page(
			db,
			Wanted::of(ctx),
			"id, account, pk, relay, created_block, updated_block",
			"twins",
			&w,
			"id",
			first,
			offset,
		)
		.await?;
		Ok(TwinPage { total_count, items })
	}

	/// One twin.
	async fn twin(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Twin>> {
		let db = ctx.data::<Db>()?;
		sqlx::query_as(
			"SELECT id, account, pk, relay, created_block, updated_block FROM twins WHERE id = $1",
		)
		.bind(id)
		.fetch_optional(db.reading())
		.await
		.map_err(sql_error)
	}

	/// Contracts, live and ended, by id, filtered.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn contracts(
		&self,
		ctx: &Context<'_>,
		filter: Option<ContractFilter>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<ContractPage> {
		let db = ctx.data::<Db>()?;
		let f = filter.unwrap_or_default();
		let mut w = Where::default();
		w.opt_int("twin_id = ?", f.twin_id);
		w.opt_int("node_id = ?", f.node_id);
		if let Some(state) = &f.state {
			let state =
				one_of("state", state, &["created", "deployed", "grace_period", "deleted"])?;
			w.add("state = ?", Arg::Text(state.to_string()));
		}
		if let Some(kind) = &f.kind {
			let kind = one_of("kind", kind, &["node", "name", "rent"])?;
			w.add("kind = ?", Arg::Text(kind.to_string()));
		}
		let (total_count, mut items): (i64, Vec<Contract>) =
			fetch_page(db, Wanted::of(ctx), CONTRACT_COLUMNS, "contracts", &w, "id", first, offset)
				.await?;
		if ctx.look_ahead().field("items").field("events").exists() {
			let ids = items.iter().map(|contract| contract.id);
			let mut events = read_for_page::<EventsOfContracts>(ctx, ids).await?;
			for contract in &mut items {
				contract.events_read = Some(events.remove(&contract.id).unwrap_or_default());
			}
		}
		Ok(ContractPage { total_count, items })
	}

	/// One contract.
	async fn contract(
		&self,
		ctx: &Context<'_>,
		id: i64,
	) -> async_graphql::Result<Option<Contract>> {
		let db = ctx.data::<Db>()?;
		let sql = format!("SELECT {CONTRACT_COLUMNS} FROM contracts WHERE id = $1");
		sqlx::query_as(&sql).bind(id).fetch_optional(db.reading()).await.map_err(sql_error)
	}

	/// Bills, oldest first, with the total of all that match.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn bills(
		&self,
		ctx: &Context<'_>,
		filter: Option<BillFilter>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<BillPage> {
		let db = ctx.data::<Db>()?;
		let w = bill_where(&filter.unwrap_or_default());
		let (total_count, total, items) = fetch_page_summed(
			db,
			Wanted::of(ctx),
			BILL_COLUMNS,
			"bills",
			&w,
			"block_number, event_index",
			Some("amount"),
			first,
			offset,
		)
		.await?;
		Ok(BillPage { total_count, total_amount: Units(total), items })
	}

	/// Bills summed per UTC day, oldest day first.
	#[graphql(complexity = "nested_list_cost(child_complexity)")]
	async fn bills_per_day(
		&self,
		ctx: &Context<'_>,
		filter: Option<BillFilter>,
	) -> async_graphql::Result<Vec<DayTotal>> {
		let db = ctx.data::<Db>()?;
		let w = bill_where(&filter.unwrap_or_default());
		let sql = format!(
			"SELECT time / 86400 AS day, CAST(SUM(amount) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM bills{} GROUP BY time / 86400 ORDER BY day",
			w.sql()
		);
		let rows: Vec<(i64, i64, i64)> =
			bind(sqlx::query_as(&sql), &w.args).fetch_all(db.reading()).await.map_err(sql_error)?;
		Ok(rows
			.into_iter()
			.map(|(day, amount, bills)| DayTotal {
				day: gridchain_sdk::utc_day(day),
				amount: Units(amount),
				bills,
			})
			.collect())
	}

	/// Consumption reports, oldest first.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn consumption_reports(
		&self,
		ctx: &Context<'_>,
		contract_id: Option<i64>,
		node_id: Option<i64>,
		accepted: Option<bool>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<ReportPage> {
		let db = ctx.data::<Db>()?;
		let mut w = Where::default();
		w.opt_int("contract_id = ?", contract_id);
		w.opt_int("node_id = ?", node_id);
		if let Some(a) = accepted {
			w.add("accepted = ?", Arg::Flag(a));
		}
		let (total_count, items) = fetch_page(
			db,
			Wanted::of(ctx),
			REPORT_COLUMNS,
			"reports",
			&w,
			"block_number, event_index",
			first,
			offset,
		)
		.await?;
		Ok(ReportPage { total_count, items })
	}

	/// TFT prices, newest first; `kind` is `price` or `average`.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn prices(
		&self,
		ctx: &Context<'_>,
		kind: Option<String>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<PricePage> {
		let db = ctx.data::<Db>()?;
		let mut w = Where::default();
		if let Some(kind) = &kind {
			let kind = one_of("kind", kind, &["price", "average"])?;
			w.add("kind = ?", Arg::Text(kind.to_string()));
		}
		let (total_count, items) = fetch_page(
			db,
			Wanted::of(ctx),
			"block_number, event_index, kind, price_musd, time",
			"prices",
			&w,
			"block_number DESC, event_index DESC",
			first,
			offset,
		)
		.await?;
		Ok(PricePage { total_count, items })
	}

	/// Grace periods, of one contract or all, oldest first.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn grace_periods(
		&self,
		ctx: &Context<'_>,
		contract_id: Option<i64>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<GracePeriodPage> {
		let db = ctx.data::<Db>()?;
		let mut w = Where::default();
		w.opt_int("contract_id = ?", contract_id);
		let (total_count, items) = fetch_page(
			db,
			Wanted::of(ctx),
			"contract_id, started_block, debt, ended_block, ended_by",
			"grace_periods",
			&w,
			"started_block, contract_id",
			first,
			offset,
		)
		.await?;
		Ok(GracePeriodPage { total_count, items })
	}

	/// Burns, oldest first.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn burns(
		&self,
		ctx: &Context<'_>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<Vec<Burn>> {
		let db = ctx.data::<Db>()?;
		let (_, items) = fetch_page(
			db,
			Wanted::ITEMS,
			"block_number, event_index, amount, time",
			"burns",
			&Where::default(),
			"block_number, event_index",
			first,
			offset,
		)
		.await?;
		Ok(items)
	}

	/// Transfers from or to an account (SS58), oldest first.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn transfers(
		&self,
		ctx: &Context<'_>,
		account: Option<String>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<TransferPage> {
		let db = ctx.data::<Db>()?;
		let mut w = Where::default();
		if let Some(a) = account {
			w.add("(from_account = ? OR to_account = ?)", Arg::Text(a.clone()));
			// Both placeholders must be the same number.
			if let Some(last) = w.clauses.last_mut() {
				let n = w.args.len();
				*last = format!("(from_account = ${n} OR to_account = ${n})");
			}
		}
		let (total_count, items) = fetch_page(
			db,
			Wanted::of(ctx),
			"block_number, event_index, from_account, to_account, amount, time",
			"transfers",
			&w,
			"block_number, event_index",
			first,
			offset,
		)
		.await?;
		Ok(TransferPage { total_count, items })
	}
}

/// Which database the API reads (for `/health`).
pub fn backend_name(backend: Backend) -> &'static str {
	match backend {
		Backend::Sqlite => "sqlite",
		Backend::Postgres => "postgres",
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn placeholders_are_numbered_in_order() {
		let mut w = Where::default();
		w.opt_int("a = ?", Some(1));
		w.opt_int("b = ?", None);
		w.add("c >= ?", Arg::Int(3));
		assert_eq!(w.sql(), " WHERE a = $1 AND c >= $2");
		assert_eq!(w.next(), 3);
	}

	#[test]
	fn pages_are_bounded() {
		assert!(paging(MAX_PAGE + 1, 0).is_err());
		assert!(paging(10, -1).is_err());
		assert_eq!(paging(10, 5).ok(), Some((10, 5)));
	}

	#[test]
	fn database_urls() {
		use crate::db::database_url;
		assert_eq!(
			database_url("grid.db").ok(),
			Some(("sqlite://grid.db?mode=rwc".into(), Backend::Sqlite))
		);
		assert_eq!(
			database_url("postgres://u@127.0.0.1:5432/grid").ok().map(|x| x.1),
			Some(Backend::Postgres)
		);
		assert!(database_url("mysql://x").is_err());
	}
}
