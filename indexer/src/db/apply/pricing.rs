//! The TFT price oracle's events: prices and their averages.

use super::context::EventWrite;
use crate::{codes::PriceKind, db::error::Result};

pub async fn price(w: &mut EventWrite<'_, '_>, kind: PriceKind, price_musd: u32) -> Result<()> {
	sqlx::query(
		"INSERT INTO prices (block_number, event_index, kind, price_musd, time) VALUES ($1, $2, $3, $4, $5)",
	)
	.bind(w.number)
	.bind(w.index)
	.bind(kind.as_str())
	.bind(i64::from(price_musd))
	.bind(w.time)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}
