//! Rows written many to a statement: blocks, transfers and bills, most of what a catch-up writes.

use super::context::Tx;
use crate::db::error::Result;
use sqlx::{any::AnyArguments, query::Query, Any};
use std::collections::BTreeMap;

type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// A block's row: number, hash, time, event count.
pub type BlockRow<'a> = (i64, &'a str, i64, i64);

/// A transfer's row: block, event index, from, to, amount, time.
pub type TransferRow<'a> = (i64, i64, &'a str, &'a str, i64, i64);

/// A bill as its event gives it: block, event index, contract, amount, discount level, time.
pub type BillRow = (i64, i64, i64, i64, &'static str, i64);

/// How many rows go in one statement, and how its parameters are named.
pub type Statements = (usize, Placeholders);

/// Insert `rows` into `blocks`.
pub async fn insert_blocks(
	tx: &mut Tx<'_>,
	rows: &[BlockRow<'_>],
	statements: Statements,
) -> Result<()> {
	let insert = "INSERT INTO blocks (number, hash, time, events) VALUES";
	insert_rows(tx, insert, 4, rows, statements, bind_block).await
}

/// Insert `rows` into `transfers`.
pub async fn insert_transfers(
	tx: &mut Tx<'_>,
	rows: &[TransferRow<'_>],
	statements: Statements,
) -> Result<()> {
	let insert = "INSERT INTO transfers (block_number, event_index, from_account, to_account, amount, time) VALUES";
	insert_rows(tx, insert, 6, rows, statements, bind_transfer).await
}

/// Insert `bills` into `bills`, each with its contract's twin and node as the contracts table
/// holds them now (twin 0 and no node for a contract it does not know, such as a genesis one), and
/// add them to their contracts' `billed` sums; `bills` is left empty. The caller writes them before
/// any other event that could change or delete a contract they name.
pub async fn insert_bills(
	tx: &mut Tx<'_>,
	bills: &mut Vec<BillRow>,
	statements: Statements,
) -> Result<()> {
	if bills.is_empty() {
		return Ok(());
	}
	let mut billed: BTreeMap<i64, i64> = BTreeMap::new();
	for &(_, _, contract_id, amount, _, _) in bills.iter() {
		let sum = billed.entry(contract_id).or_default();
		*sum = sum.saturating_add(amount);
	}
	let ids: Vec<i64> = billed.keys().copied().collect();
	let mut owners: BTreeMap<i64, (i64, Option<i64>)> = BTreeMap::new();
	let (per_statement, placeholders) = statements;
	for chunk in ids.chunks(per_statement.max(1)) {
		let select = "SELECT id, twin_id, node_id FROM contracts WHERE id IN (VALUES";
		let sql = format!("{})", values_sql(select, 1, chunk.len(), placeholders));
		let query = chunk.iter().fold(sqlx::query_as(&sql), |q, id| q.bind(*id));
		let rows: Vec<(i64, i64, Option<i64>)> = query.fetch_all(&mut **tx).await?;
		owners.extend(rows.into_iter().map(|(id, twin, node)| (id, (twin, node))));
	}
	let rows: Vec<BillRowWithOwner> = bills
		.iter()
		.map(|&(number, index, contract_id, amount, level, time)| {
			let (twin, node) = owners.get(&contract_id).copied().unwrap_or((0, None));
			(number, index, contract_id, twin, node, amount, level, time)
		})
		.collect();
	let insert = "INSERT INTO bills (block_number, event_index, contract_id, twin_id, node_id, amount, discount_level, time) VALUES";
	insert_rows(tx, insert, 8, &rows, statements, bind_bill).await?;
	// One statement a contract the table knows, with the sum of its bills in the batch.
	for (contract_id, sum) in billed.into_iter().filter(|(id, _)| owners.contains_key(id)) {
		sqlx::query("UPDATE contracts SET billed = billed + $2 WHERE id = $1")
			.bind(contract_id)
			.bind(sum)
			.execute(&mut **tx)
			.await?;
	}
	bills.clear();
	Ok(())
}

/// A bill's row with its contract's owner: block, event index, contract, twin, node, amount,
/// discount level, time.
type BillRowWithOwner = (i64, i64, i64, i64, Option<i64>, i64, &'static str, i64);

fn bind_bill<'q>(query: AnyQuery<'q>, row: &'q BillRowWithOwner) -> AnyQuery<'q> {
	let (number, index, contract_id, twin, node, amount, level, time) = *row;
	query
		.bind(number)
		.bind(index)
		.bind(contract_id)
		.bind(twin)
		.bind(node)
		.bind(amount)
		.bind(level)
		.bind(time)
}

fn bind_block<'q>(query: AnyQuery<'q>, row: &'q BlockRow<'_>) -> AnyQuery<'q> {
	let (number, hash, time, events) = *row;
	query.bind(number).bind(hash).bind(time).bind(events)
}

fn bind_transfer<'q>(query: AnyQuery<'q>, row: &'q TransferRow<'_>) -> AnyQuery<'q> {
	let (number, index, from, to, amount, time) = *row;
	query.bind(number).bind(index).bind(from).bind(to).bind(amount).bind(time)
}

/// `insert` (`INSERT INTO table (columns) VALUES`) of `rows`, each of `columns` values that `bind`
/// binds, `rows_per_statement` rows to a statement.
async fn insert_rows<R>(
	tx: &mut Tx<'_>,
	insert: &str,
	columns: usize,
	rows: &[R],
	(rows_per_statement, placeholders): (usize, Placeholders),
	bind: for<'q> fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
) -> Result<()> {
	let mut sql = (0, String::new());
	for chunk in rows.chunks(rows_per_statement.max(1)) {
		if sql.0 != chunk.len() {
			sql = (chunk.len(), values_sql(insert, columns, chunk.len(), placeholders));
		}
		let query = chunk.iter().fold(sqlx::query(&sql.1), bind);
		query.execute(&mut **tx).await?;
	}
	Ok(())
}

/// How a statement names its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholders {
	/// `$1, $2, …`: PostgreSQL's only form.
	Numbered,
	/// `?, ?, …`: SQLite's positional form. SQLite finds a numbered parameter's name by a linear
	/// search, and sqlx asks it for every parameter, so a statement of n `$N`s binds in n².
	Positional,
}

/// `insert` followed by `rows` tuples of `columns` placeholders.
fn values_sql(insert: &str, columns: usize, rows: usize, placeholders: Placeholders) -> String {
	let mut sql = String::from(insert);
	for row in 0..rows {
		sql.push_str(if row == 0 { " (" } else { ", (" });
		for column in 0..columns {
			if column > 0 {
				sql.push_str(", ");
			}
			match placeholders {
				Placeholders::Numbered => sql.push_str(&format!("${}", row * columns + column + 1)),
				Placeholders::Positional => sql.push('?'),
			}
		}
		sql.push(')');
	}
	sql
}

#[cfg(test)]
mod tests {
	use super::{values_sql, Placeholders};

	#[test]
	fn numbered_placeholders_run_on_across_rows() {
		let sql = values_sql("INSERT INTO t (a, b) VALUES", 2, 2, Placeholders::Numbered);
		assert_eq!(sql, "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)");
	}

	#[test]
	fn positional_placeholders_are_all_alike() {
		let sql = values_sql("INSERT INTO t (a, b) VALUES", 2, 2, Placeholders::Positional);
		assert_eq!(sql, "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)");
	}
}
