//! Which rows each query reads: the GraphQL filters, and every SQL statement the resolvers send,
//! built from them with numbered placeholders (`$1`, `$2`, …, the same on SQLite and PostgreSQL).
//! A resolver asks here for its statement and never writes SQL itself.

use crate::codes::{Code, ContractKind, ContractState, PriceKind};
use async_graphql::InputObject;
use sqlx::{
	any::{AnyArguments, AnyRow},
	query::QueryAs,
	Any, FromRow,
};

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
	/// Add `template`, each `?` in it standing for the next placeholder, bound to `arg`.
	fn add(&mut self, template: &str, arg: Arg) {
		self.args.push(arg);
		self.clauses.push(template.replace('?', &format!("${}", self.args.len())));
	}

	fn opt_int(&mut self, template: &str, value: Option<i64>) {
		if let Some(v) = value {
			self.add(template, Arg::Int(v));
		}
	}

	fn opt_text(&mut self, template: &str, value: Option<&str>) {
		if let Some(v) = value {
			self.add(template, Arg::Text(v.to_string()));
		}
	}

	fn opt_flag(&mut self, template: &str, value: Option<bool>) {
		if let Some(v) = value {
			self.add(template, Arg::Flag(v));
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

/// One SQL statement and the values bound to its placeholders.
pub struct Statement {
	sql: String,
	args: Vec<Arg>,
}

impl Statement {
	/// The statement with its values bound, reading rows as `O`.
	pub fn query_as<'q, O>(&'q self) -> QueryAs<'q, Any, O, AnyArguments<'q>>
	where
		O: for<'r> FromRow<'r, AnyRow>,
	{
		let mut query = sqlx::query_as(&self.sql);
		for arg in &self.args {
			query = match arg {
				Arg::Int(v) => query.bind(*v),
				Arg::Text(v) => query.bind(v.clone()),
				Arg::Flag(v) => query.bind(i64::from(*v)),
			};
		}
		query
	}
}

/// What a list reads: its columns, from where, which rows, in what order, and the column summed
/// beside the count.
pub struct List {
	columns: &'static str,
	from: &'static str,
	filter: Where,
	order: &'static str,
	sum: Option<&'static str>,
}

impl List {
	fn new(columns: &'static str, from: &'static str, filter: Where, order: &'static str) -> List {
		List { columns, from, filter, order, sum: None }
	}

	/// How many rows match, and the sum of the summed column over them (0 without one).
	pub fn count(&self) -> Statement {
		let sum = self
			.sum
			.map(|c| format!("CAST(COALESCE(SUM({c}), 0) AS BIGINT)"))
			.unwrap_or("CAST(0 AS BIGINT)".into());
		Statement {
			sql: format!(
				"SELECT CAST(COUNT(*) AS BIGINT), {sum} FROM {}{}",
				self.from,
				self.filter.sql()
			),
			args: self.filter.args.clone(),
		}
	}

	/// The matching rows `offset..offset + first`, in order.
	pub fn page(&self, first: i64, offset: i64) -> Statement {
		let n = self.filter.next();
		let sql = format!(
			"SELECT {} FROM {}{} ORDER BY {} LIMIT ${n} OFFSET ${}",
			self.columns,
			self.from,
			self.filter.sql(),
			self.order,
			n + 1
		);
		let mut args = self.filter.args.clone();
		args.push(Arg::Int(first));
		args.push(Arg::Int(offset));
		Statement { sql, args }
	}
}

/// The row of `from` whose `key` is `id`.
fn by_id(columns: &str, from: &str, key: &str, id: i64) -> Statement {
	let mut w = Where::default();
	w.add(&format!("{key} = ?"), Arg::Int(id));
	Statement { sql: format!("SELECT {columns} FROM {from}{}", w.sql()), args: w.args }
}

/// `value` as the one of `allowed` it names, or an error that lists them.
fn one_of<C: Code>(field: &str, value: &str, allowed: &[C]) -> async_graphql::Result<C> {
	if let Some(code) = allowed.iter().copied().find(|code| code.as_str() == value) {
		return Ok(code);
	}
	let names: Vec<&str> = allowed.iter().map(|code| code.as_str()).collect();
	Err(format!("{field}: must be one of {}, got {value:?}", names.join(", ")).into())
}

const NODE_COLUMNS: &str = "n.id, n.farm_id, n.twin_id, n.cru, n.sru, n.hru, n.mru, n.used_cru, n.used_sru, \
	n.used_hru, n.used_mru, n.declared_cru, n.declared_sru, n.declared_hru, n.declared_mru, \
	n.country, n.city, n.latitude, n.longitude, n.certified, n.deleted, \
	CAST((SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = n.farm_id AND p.contract_id = 0) AS BIGINT) AS free_ips, \
	n.created_block, n.updated_block";
const FARM_COLUMNS: &str = "f.id, f.name, f.twin_id, f.pricing_policy_id, f.dedicated, f.created_block, \
	CAST((SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = f.id AND p.contract_id = 0) AS BIGINT) AS free_ips";
const TWIN_COLUMNS: &str = "id, account, pk, relay, created_block, updated_block";
const CONTRACT_COLUMNS: &str = "id, twin_id, kind, node_id, name, deployment_hash, version, state, cause, unpaid, \
	deposit, public_ips, billed, created_block, created_time, updated_block, used_cru, used_sru, used_hru, used_mru, \
	capacity_cru, capacity_sru, capacity_hru, capacity_mru";
const BILL_COLUMNS: &str =
	"block_number, event_index, contract_id, twin_id, node_id, amount, discount_level, time";
const REPORT_COLUMNS: &str =
	"block_number, event_index, contract_id, node_id, accepted, reason, timestamp, \
	window_secs, cost_scaled_uusd, cru, sru, hru, mru, time";
const PRICE_COLUMNS: &str = "block_number, event_index, kind, price_musd, time";
const GRACE_PERIOD_COLUMNS: &str = "contract_id, started_block, debt, ended_block, ended_by";
const BURN_COLUMNS: &str = "block_number, event_index, amount, time";
const TRANSFER_COLUMNS: &str = "block_number, event_index, from_account, to_account, amount, time";

/// Oldest first.
const BY_EVENT: &str = "block_number, event_index";

/// Nodes matching `f`, by id; deleted ones only when asked for.
pub fn nodes(f: &NodeFilter) -> List {
	let mut w = Where::default();
	if !f.include_deleted.unwrap_or(false) {
		w.add("n.deleted = ?", Arg::Flag(false));
	}
	w.opt_int("n.farm_id = ?", f.farm_id);
	w.opt_int("n.twin_id = ?", f.twin_id);
	w.opt_text("n.country = ?", f.country.as_deref());
	w.opt_text("n.city = ?", f.city.as_deref());
	w.opt_flag("n.certified = ?", f.certified);
	w.opt_int("n.cru - n.declared_cru >= ?", f.free_cru);
	w.opt_int("n.sru - n.declared_sru >= ?", f.free_sru);
	w.opt_int("n.hru - n.declared_hru >= ?", f.free_hru);
	w.opt_int("n.mru - n.declared_mru >= ?", f.free_mru);
	w.opt_int(
		"(SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = n.farm_id AND p.contract_id = 0) >= ?",
		f.free_ips,
	);
	List::new(NODE_COLUMNS, "nodes n", w, "n.id")
}

/// Node `id`, deleted or not.
pub fn node(id: i64) -> Statement {
	by_id(NODE_COLUMNS, "nodes n", "n.id", id)
}

/// Farms matching `f`, by id.
pub fn farms(f: &FarmFilter) -> List {
	let mut w = Where::default();
	w.opt_int("f.twin_id = ?", f.twin_id);
	w.opt_text("f.name = ?", f.name.as_deref());
	w.opt_flag("f.dedicated = ?", f.dedicated);
	w.opt_int(
		"(SELECT COUNT(*) FROM public_ips p WHERE p.farm_id = f.id AND p.contract_id = 0) >= ?",
		f.free_ips,
	);
	List::new(FARM_COLUMNS, "farms f", w, "f.id")
}

/// Farm `id`.
pub fn farm(id: i64) -> Statement {
	by_id(FARM_COLUMNS, "farms f", "f.id", id)
}

/// Twins, of one account (SS58) or all, by id.
pub fn twins(account: Option<&str>) -> List {
	let mut w = Where::default();
	w.opt_text("account = ?", account);
	List::new(TWIN_COLUMNS, "twins", w, "id")
}

/// Twin `id`.
pub fn twin(id: i64) -> Statement {
	by_id(TWIN_COLUMNS, "twins", "id", id)
}

/// Contracts matching `f`, by id; an unknown state or kind is an error that lists the known ones.
pub fn contracts(f: &ContractFilter) -> async_graphql::Result<List> {
	let mut w = Where::default();
	w.opt_int("twin_id = ?", f.twin_id);
	w.opt_int("node_id = ?", f.node_id);
	if let Some(state) = &f.state {
		let state = one_of("state", state, ContractState::ALL)?;
		w.add("state = ?", Arg::Text(state.as_str().to_string()));
	}
	if let Some(kind) = &f.kind {
		let kind =
			one_of("kind", kind, &[ContractKind::Node, ContractKind::Name, ContractKind::Rent])?;
		w.add("kind = ?", Arg::Text(kind.as_str().to_string()));
	}
	Ok(List::new(CONTRACT_COLUMNS, "contracts", w, "id"))
}

/// Contract `id`.
pub fn contract(id: i64) -> Statement {
	by_id(CONTRACT_COLUMNS, "contracts", "id", id)
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

/// Bills matching `f`, oldest first, their amounts summed.
pub fn bills(f: &BillFilter) -> List {
	List { sum: Some("amount"), ..List::new(BILL_COLUMNS, "bills", bill_where(f), BY_EVENT) }
}

/// Bills matching `f` summed per UTC day (the day's number since 1970), oldest day first: rows
/// of day, amount and count.
pub fn bills_per_day(f: &BillFilter) -> Statement {
	let w = bill_where(f);
	let sql = format!(
		"SELECT time / 86400 AS day, CAST(SUM(amount) AS BIGINT), CAST(COUNT(*) AS BIGINT) FROM bills{} GROUP BY time / 86400 ORDER BY day",
		w.sql()
	);
	Statement { sql, args: w.args }
}

/// Consumption reports, of a contract, of a node, accepted or rejected, oldest first.
pub fn reports(contract_id: Option<i64>, node_id: Option<i64>, accepted: Option<bool>) -> List {
	let mut w = Where::default();
	w.opt_int("contract_id = ?", contract_id);
	w.opt_int("node_id = ?", node_id);
	w.opt_flag("accepted = ?", accepted);
	List::new(REPORT_COLUMNS, "reports", w, BY_EVENT)
}

/// Prices of one kind or both, newest first; an unknown kind is an error that lists the known ones.
pub fn prices(kind: Option<&str>) -> async_graphql::Result<List> {
	let mut w = Where::default();
	if let Some(kind) = kind {
		let kind = one_of("kind", kind, PriceKind::ALL)?;
		w.add("kind = ?", Arg::Text(kind.as_str().to_string()));
	}
	Ok(List::new(PRICE_COLUMNS, "prices", w, "block_number DESC, event_index DESC"))
}

/// Grace periods, of one contract or all, oldest first.
pub fn grace_periods(contract_id: Option<i64>) -> List {
	let mut w = Where::default();
	w.opt_int("contract_id = ?", contract_id);
	List::new(GRACE_PERIOD_COLUMNS, "grace_periods", w, "started_block, contract_id")
}

/// Burns, oldest first.
pub fn burns() -> List {
	List::new(BURN_COLUMNS, "burns", Where::default(), BY_EVENT)
}

/// Transfers from or to an account (SS58), or all, oldest first.
pub fn transfers(account: Option<&str>) -> List {
	let mut w = Where::default();
	w.opt_text("(from_account = ? OR to_account = ?)", account);
	List::new(TRANSFER_COLUMNS, "transfers", w, BY_EVENT)
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
	fn a_page_binds_its_bounds_after_the_filter() {
		let page = nodes(&NodeFilter { country: Some("Belgium".into()), ..Default::default() })
			.page(10, 20);
		assert!(
			page.sql.ends_with(
				" WHERE n.deleted = $1 AND n.country = $2 ORDER BY n.id LIMIT $3 OFFSET $4"
			),
			"{}",
			page.sql
		);
		assert_eq!(page.args.len(), 4);
	}

	#[test]
	fn an_account_matches_either_side_of_a_transfer_with_one_placeholder() {
		let count = transfers(Some("5Grw")).count();
		assert_eq!(
			count.sql,
			"SELECT CAST(COUNT(*) AS BIGINT), CAST(0 AS BIGINT) FROM transfers WHERE (from_account = $1 OR to_account = $1)"
		);
		assert_eq!(count.args.len(), 1);
	}

	#[test]
	fn bills_are_summed_beside_their_count() {
		let count = bills(&BillFilter { twin_id: Some(7), ..Default::default() }).count();
		assert_eq!(
			count.sql,
			"SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM bills WHERE twin_id = $1"
		);
	}

	#[test]
	fn an_unknown_state_or_kind_names_the_known_ones() {
		let gone = ContractFilter { state: Some("gone".into()), ..Default::default() };
		let error = contracts(&gone).err().map(|e| e.message);
		assert_eq!(
			error.as_deref(),
			Some("state: must be one of created, deployed, grace_period, deleted, got \"gone\"")
		);
		let unknown = ContractFilter { kind: Some("unknown".into()), ..Default::default() };
		let error = contracts(&unknown).err().map(|e| e.message);
		assert_eq!(
			error.as_deref(),
			Some("kind: must be one of node, name, rent, got \"unknown\"")
		);
		let error = prices(Some("median")).err().map(|e| e.message);
		assert_eq!(error.as_deref(), Some("kind: must be one of price, average, got \"median\""));
	}
}
