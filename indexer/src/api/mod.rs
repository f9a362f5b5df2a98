//! The GraphQL API: nodes, farms, twins, contracts, bills, consumption reports and prices, with
//! filters and offset pagination. Amounts are TFT units (10^-7 TFT) as decimal strings.
//!
//! Three rooms: `types` (what it answers with), `filter` (which rows, as SQL) and `query` (the
//! resolvers, which read through `filter`); this module builds the schema from them.

mod filter;
mod query;
mod types;

pub use crate::{
	limits::MAX_PAGE,
	nested::{ContractEvent, PublicIp},
};
pub use filter::{BillFilter, ContractFilter, FarmFilter, NodeFilter};
pub use query::Query;
pub use types::{
	Bill, BillPage, Burn, Capacity, Contract, ContractPage, DayTotal, Farm, FarmPage, GracePeriod,
	GracePeriodPage, IndexerStatus, Node, NodePage, Price, PricePage, Report, ReportPage, Transfer,
	TransferPage, Twin, TwinPage, Units,
};

use crate::{db::Db, limits::QueryLimits, nested::loaders, status::Status};
use async_graphql::{EmptyMutation, EmptySubscription};
use std::sync::Arc;

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
