//! The root query: each resolver takes its arguments, asks [`filter`](super::filter) for its
//! statements, and reads a page (its count, sum and rows in one snapshot) or a row.

use super::{
	filter::{self, BillFilter, ContractFilter, FarmFilter, List, NodeFilter, Statement},
	types::{
		Bill, BillPage, Burn, Contract, ContractPage, DayTotal, Farm, FarmPage, GracePeriodPage,
		IndexerStatus, Node, NodePage, PricePage, ReportPage, TransferPage, Twin, TwinPage, Units,
	},
};
use crate::{
	db::{Backend, Db},
	limits::{nested_list_cost, page_cost, sql_error, MAX_PAGE},
	nested::{read_for_page, EventsOfContracts, PublicIpsOfFarms},
	status::Status,
};
use async_graphql::{Context, Object};
use sqlx::{any::AnyRow, FromRow};
use std::sync::Arc;

/// The root query.
pub struct Query;

#[Object]
impl Query {
	/// How far the indexer is.
	async fn status(&self, ctx: &Context<'_>) -> async_graphql::Result<IndexerStatus> {
		let heights = ctx.data::<Arc<Status>>()?.heights();
		Ok(IndexerStatus {
			indexed_height: heights.indexed,
			finalized_height: heights.finalized,
			lag: heights.lag,
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
		let list = filter::nodes(&filter.unwrap_or_default());
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(NodePage { total_count: page.total_count, items: page.items })
	}

	/// One node.
	async fn node(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Node>> {
		read_row(ctx, &filter::node(id)).await
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
		let list = filter::farms(&filter.unwrap_or_default());
		let page = read_page::<Farm>(ctx, Wanted::of(ctx), &list, first, offset).await?;
		let mut items = page.items;
		if ctx.look_ahead().field("items").field("publicIps").exists() {
			let ids = items.iter().map(|farm| farm.id);
			let mut ips = read_for_page::<PublicIpsOfFarms>(ctx, ids).await?;
			for farm in &mut items {
				farm.ips_read = Some(ips.remove(&farm.id).unwrap_or_default());
			}
		}
		Ok(FarmPage { total_count: page.total_count, items })
	}

	/// One farm.
	async fn farm(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Farm>> {
		read_row(ctx, &filter::farm(id)).await
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
		let list = filter::twins(account.as_deref());
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(TwinPage { total_count: page.total_count, items: page.items })
	}

	/// One twin.
	async fn twin(&self, ctx: &Context<'_>, id: i64) -> async_graphql::Result<Option<Twin>> {
		read_row(ctx, &filter::twin(id)).await
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
		let list = filter::contracts(&filter.unwrap_or_default())?;
		let page = read_page::<Contract>(ctx, Wanted::of(ctx), &list, first, offset).await?;
		let mut items = page.items;
		if ctx.look_ahead().field("items").field("events").exists() {
			let ids = items.iter().map(|contract| contract.id);
			let mut events = read_for_page::<EventsOfContracts>(ctx, ids).await?;
			for contract in &mut items {
				contract.events_read = Some(events.remove(&contract.id).unwrap_or_default());
			}
		}
		Ok(ContractPage { total_count: page.total_count, items })
	}

	/// One contract.
	async fn contract(
		&self,
		ctx: &Context<'_>,
		id: i64,
	) -> async_graphql::Result<Option<Contract>> {
		read_row(ctx, &filter::contract(id)).await
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
		let list = filter::bills(&filter.unwrap_or_default());
		let page = read_page::<Bill>(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(BillPage {
			total_count: page.total_count,
			total_amount: Units(page.sum),
			items: page.items,
		})
	}

	/// Bills summed per UTC day, oldest day first.
	#[graphql(complexity = "nested_list_cost(child_complexity)")]
	async fn bills_per_day(
		&self,
		ctx: &Context<'_>,
		filter: Option<BillFilter>,
	) -> async_graphql::Result<Vec<DayTotal>> {
		let db = ctx.data::<Db>()?;
		let statement = filter::bills_per_day(&filter.unwrap_or_default());
		let rows: Vec<(i64, i64, i64)> =
			statement.query_as().fetch_all(db.reading()).await.map_err(sql_error)?;
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
		let list = filter::reports(contract_id, node_id, accepted);
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(ReportPage { total_count: page.total_count, items: page.items })
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
		let list = filter::prices(kind.as_deref())?;
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(PricePage { total_count: page.total_count, items: page.items })
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
		let list = filter::grace_periods(contract_id);
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(GracePeriodPage { total_count: page.total_count, items: page.items })
	}

	/// Burns, oldest first.
	#[graphql(complexity = "page_cost(first, child_complexity)")]
	async fn burns(
		&self,
		ctx: &Context<'_>,
		#[graphql(default = 100)] first: i64,
		#[graphql(default = 0)] offset: i64,
	) -> async_graphql::Result<Vec<Burn>> {
		let page = read_page(ctx, Wanted::ITEMS, &filter::burns(), first, offset).await?;
		Ok(page.items)
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
		let list = filter::transfers(account.as_deref());
		let page = read_page(ctx, Wanted::of(ctx), &list, first, offset).await?;
		Ok(TransferPage { total_count: page.total_count, items: page.items })
	}
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

/// A page as read: how many rows match, the sum of the list's summed column over them (0 without
/// one), and the page's rows; the parts not [`Wanted`] are left at 0 and empty.
struct PageRead<T> {
	total_count: i64,
	sum: i64,
	items: Vec<T>,
}

/// One page of `list` and how many rows match (with the sum, when it has one), read in one
/// snapshot so that the count, the sum and the page agree while the indexer writes.
async fn read_page<T>(
	ctx: &Context<'_>,
	wanted: Wanted,
	list: &List,
	first: i64,
	offset: i64,
) -> async_graphql::Result<PageRead<T>>
where
	T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
	let db = ctx.data::<Db>()?;
	let (first, offset) = paging(first, offset)?;
	let mut tx = db.pool.begin().await.map_err(sql_error)?;
	if db.backend == Backend::Postgres && wanted.count && wanted.items {
		// SQLite's WAL gives a transaction one snapshot from its first read; PostgreSQL needs asking.
		sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
			.execute(&mut *tx)
			.await
			.map_err(sql_error)?;
	}
	let mut page = PageRead { total_count: 0, sum: 0, items: Vec::new() };
	if wanted.count {
		db.count_read();
		(page.total_count, page.sum) =
			list.count().query_as().fetch_one(&mut *tx).await.map_err(sql_error)?;
	}
	if wanted.items {
		db.count_read();
		page.items =
			list.page(first, offset).query_as().fetch_all(&mut *tx).await.map_err(sql_error)?;
	}
	tx.rollback().await.map_err(sql_error)?;
	Ok(page)
}

/// The row `statement` reads, if there is one.
async fn read_row<T>(ctx: &Context<'_>, statement: &Statement) -> async_graphql::Result<Option<T>>
where
	T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
	let db = ctx.data::<Db>()?;
	statement.query_as().fetch_optional(db.reading()).await.map_err(sql_error)
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

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn pages_are_bounded() {
		assert!(paging(MAX_PAGE + 1, 0).is_err());
		assert!(paging(10, -1).is_err());
		assert_eq!(paging(10, 5).ok(), Some((10, 5)));
	}
}
