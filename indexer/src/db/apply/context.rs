//! What every family's writes are given.

use std::collections::BTreeSet;

/// The batch's open transaction.
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// One event being written: the batch's transaction, where the event happened (as database
/// integers), and the nodes whose sums over their contracts the batch changes.
pub struct EventWrite<'a, 't> {
	pub tx: &'a mut Tx<'t>,
	pub number: i64,
	pub index: i64,
	/// The block's time, unix seconds.
	pub time: i64,
	/// Refreshed once per batch (`contracts::refresh_node_sums`).
	pub touched_nodes: &'a mut BTreeSet<i64>,
}
