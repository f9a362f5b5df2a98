//! Balance transfers: most of a busy chain's events, so written many rows per statement.

use super::context::Tx;
use crate::db::error::Result;

/// A transfer's row: block, event index, from, to, amount, time.
pub type TransferRow<'a> = (i64, i64, &'a str, &'a str, i64, i64);

/// Insert `rows`, `rows_per_statement` in each INSERT (6 parameters per row).
pub async fn insert_transfers(
	tx: &mut Tx<'_>,
	rows: &[TransferRow<'_>],
	rows_per_statement: usize,
) -> Result<()> {
	for chunk in rows.chunks(rows_per_statement) {
		let placeholders: Vec<String> = (0..chunk.len())
			.map(|i| {
				let p = i * 6;
				format!("(${}, ${}, ${}, ${}, ${}, ${})", p + 1, p + 2, p + 3, p + 4, p + 5, p + 6)
			})
			.collect();
		let sql = format!(
			"INSERT INTO transfers (block_number, event_index, from_account, to_account, amount, time) VALUES {}",
			placeholders.join(", ")
		);
		let mut query = sqlx::query(&sql);
		for (number, index, from, to, amount, time) in chunk {
			query =
				query.bind(*number).bind(*index).bind(*from).bind(*to).bind(*amount).bind(*time);
		}
		query.execute(&mut **tx).await?;
	}
	Ok(())
}
