//! What the follower has done, shared with the GraphQL API, `/health` and `/metrics`: the follower
//! writes it, the others read it.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// What the follower has done, for `/health` and `/metrics`.
#[derive(Debug)]
pub struct Status {
	/// The last committed block, -1 before the first.
	pub indexed: AtomicI64,
	/// The chain's finalized head when last asked, -1 before.
	pub finalized: AtomicI64,
	pub blocks: AtomicU64,
	pub events: AtomicU64,
	pub batches: AtomicU64,
	pub commit_micros: AtomicU64,
	pub chain_errors: AtomicU64,
	/// The catch-up profile. Reading: the node's answers, summed over the blocks read at once
	/// (latency, not wall time), and the decoding of their events.
	pub rpc_micros: AtomicU64,
	pub rpc_calls: AtomicU64,
	/// Of `rpc_micros`, finding each block (its hash and its runtime's version).
	pub at_block_micros: AtomicU64,
	pub decode_micros: AtomicU64,
	/// Wall time the follower waited for the next block (reading is the limit) and for the previous
	/// batch's write before handing over the next (writing is the limit).
	pub read_wait_micros: AtomicU64,
	pub write_wait_micros: AtomicU64,
}

impl Default for Status {
	fn default() -> Self {
		Status {
			indexed: AtomicI64::new(-1),
			finalized: AtomicI64::new(-1),
			blocks: AtomicU64::new(0),
			events: AtomicU64::new(0),
			batches: AtomicU64::new(0),
			commit_micros: AtomicU64::new(0),
			chain_errors: AtomicU64::new(0),
			rpc_micros: AtomicU64::new(0),
			rpc_calls: AtomicU64::new(0),
			at_block_micros: AtomicU64::new(0),
			decode_micros: AtomicU64::new(0),
			read_wait_micros: AtomicU64::new(0),
			write_wait_micros: AtomicU64::new(0),
		}
	}
}

/// The indexed height, the finalized head and the lag between them, read at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heights {
	/// The last committed block, -1 before the first.
	pub indexed: i64,
	/// The chain's finalized head when last asked, -1 before.
	pub finalized: i64,
	/// Blocks behind the finalized head; -1 before the chain was reached.
	pub lag: i64,
}

impl Status {
	/// Where the follower is.
	pub fn heights(&self) -> Heights {
		let indexed = self.indexed.load(Ordering::Relaxed);
		let finalized = self.finalized.load(Ordering::Relaxed);
		let lag = if finalized < 0 { -1 } else { (finalized - indexed).max(0) };
		Heights { indexed, finalized, lag }
	}
}
