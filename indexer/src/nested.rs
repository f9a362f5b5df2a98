//! Lists nested in a page's rows (a farm's public IPs, a contract's events), read for every row of
//! the page in one SQL statement (a [`DataLoader`]), not one statement per row: a page of 1,000
//! farms with their IPs is a count, a page and one read of the IPs. A row not on a page (`farm(id)`)
//! asks the same loader, which batches the rows that concurrent requests ask for.

use crate::{db::Db, limits::sql_error};
use async_graphql::{
	dataloader::{DataLoader, Loader},
	Context, SimpleObject,
};
use sqlx::{any::AnyRow, FromRow};
use std::collections::HashMap;

/// A public IP of a farm.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct PublicIp {
	pub farm_id: i64,
	pub ip: String,
	pub gateway: String,
	/// The contract holding it, 0 when free.
	pub contract_id: i64,
}

/// A state change of a contract.
#[derive(SimpleObject, FromRow, Debug, Clone)]
pub struct ContractEvent {
	pub block_number: i64,
	pub event_index: i64,
	pub contract_id: i64,
	/// `created`, `updated`, `deployed`, `grace_started`, `grace_ended` or `canceled`.
	pub kind: String,
	/// The contract's state after it.
	pub state: String,
	pub detail: String,
	/// Unix seconds.
	pub time: i64,
}

/// Farms' public IPs, by farm id, ordered by IP.
pub struct PublicIpsOfFarms(pub Db);

/// Contracts' events, by contract id, oldest first.
pub struct EventsOfContracts(pub Db);

/// The loaders the schema holds; they batch the keys that the rows being resolved ask for within
/// a millisecond, at most 1,000 per statement.
pub fn loaders(db: &Db) -> (DataLoader<PublicIpsOfFarms>, DataLoader<EventsOfContracts>) {
	(
		DataLoader::new(PublicIpsOfFarms(db.clone()), tokio::spawn),
		DataLoader::new(EventsOfContracts(db.clone()), tokio::spawn),
	)
}

/// The lists of all of a page's rows, by row, in one batch of the loader `L` (a page is at most
/// its batch size): handed to the rows before they are resolved, so that the number of reads is
/// fixed, whatever the time it takes to resolve the rows one by one.
pub async fn read_for_page<L>(
	ctx: &Context<'_>,
	parents: impl IntoIterator<Item = i64>,
) -> async_graphql::Result<HashMap<i64, L::Value>>
where
	L: Loader<i64, Error = async_graphql::Error>,
{
	ctx.data::<DataLoader<L>>()?.load_many(parents).await
}

impl Loader<i64> for PublicIpsOfFarms {
	type Value = Vec<PublicIp>;
	type Error = async_graphql::Error;

	async fn load(&self, farms: &[i64]) -> Result<HashMap<i64, Vec<PublicIp>>, Self::Error> {
		let rows: Vec<PublicIp> = of_keys(
			&self.0,
			"SELECT farm_id, ip, gateway, contract_id FROM public_ips WHERE farm_id IN",
			"ORDER BY farm_id, ip",
			farms,
		)
		.await?;
		Ok(group(rows, |ip| ip.farm_id))
	}
}

impl Loader<i64> for EventsOfContracts {
	type Value = Vec<ContractEvent>;
	type Error = async_graphql::Error;

	async fn load(
		&self,
		contracts: &[i64],
	) -> Result<HashMap<i64, Vec<ContractEvent>>, Self::Error> {
		let rows: Vec<ContractEvent> = of_keys(
			&self.0,
			"SELECT block_number, event_index, contract_id, kind, state, detail, time FROM contract_events WHERE contract_id IN",
			"ORDER BY contract_id, block_number, event_index",
			contracts,
		)
		.await?;
		Ok(group(rows, |event| event.contract_id))
	}
}

/// `{select} ($1, …, $n) {order}` over `keys` (at most the loader's batch size, 1,000: well under
/// SQLite's 32,766 and PostgreSQL's 65,535 parameters).
async fn of_keys<T>(
	db: &Db,
	select: &str,
	order: &str,
	keys: &[i64],
) -> async_graphql::Result<Vec<T>>
where
	T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
	if keys.is_empty() {
		return Ok(Vec::new());
	}
	let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
	let sql = format!("{select} ({}) {order}", placeholders.join(", "));
	let mut query = sqlx::query_as(&sql);
	for key in keys {
		query = query.bind(*key);
	}
	query.fetch_all(db.reading()).await.map_err(sql_error)
}

/// Rows by their parent, in the order read.
fn group<T>(rows: Vec<T>, parent: impl Fn(&T) -> i64) -> HashMap<i64, Vec<T>> {
	let mut by_parent: HashMap<i64, Vec<T>> = HashMap::new();
	for row in rows {
		by_parent.entry(parent(&row)).or_default().push(row);
	}
	by_parent
}
