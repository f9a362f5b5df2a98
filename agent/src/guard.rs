//! What keeps a flood of requests from stalling the agent (SPEC §10, "Limits"): twin accounts
//! cached, so a signature is checked before the chain is read; requests limited per twin; request
//! signatures remembered in memory for as long as they could be replayed.

use crate::refusal::Refusal;
use axum::http::StatusCode;
use gridchain_sdk::{Client, Error};
use std::{
	collections::{BTreeSet, HashMap, HashSet},
	sync::{Mutex, MutexGuard, PoisonError},
	time::{Duration, Instant},
};

/// Twin → account, as the chain registered it. A twin's account never changes (the registry
/// keys twins by account and has no call that moves one), so a cached account is never stale.
pub struct TwinAccounts {
	known: Mutex<HashMap<u32, [u8; 32]>>,
	/// Twins the chain did not know, and until when that answer is trusted: a twin may be
	/// created at any block, so the answer is kept for two blocks at most.
	missing: Mutex<HashMap<u32, Instant>>,
	/// Lookups of twins not cached yet, at once: requests naming unknown twins cost the node
	/// at most this many chain reads at a time.
	lookups: tokio::sync::Semaphore,
	/// A turn per twin being looked up: concurrent requests of one twin wait for one read.
	pending: Mutex<HashMap<u32, std::sync::Arc<tokio::sync::Mutex<()>>>>,
	/// Accounts read from the chain, for `/metrics`.
	pub reads: std::sync::atomic::AtomicU64,
}

/// The most accounts remembered: each is 36 bytes, so 100,000 is under 4 MB.
const MAX_KNOWN: usize = 100_000;
/// The most unknown twins remembered.
const MAX_MISSING: usize = 10_000;
/// How long "this twin does not exist" is trusted.
const MISSING_FOR: Duration = Duration::from_secs(12);
/// Chain lookups of uncached twins at once, and how long a request waits for one.
const LOOKUPS_AT_ONCE: usize = 4;
const LOOKUP_WAIT: Duration = Duration::from_secs(5);

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
	mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn busy(message: String) -> Refusal {
	Refusal::new(StatusCode::SERVICE_UNAVAILABLE, "Busy", message)
}

impl Default for TwinAccounts {
	fn default() -> TwinAccounts {
		TwinAccounts {
			known: Mutex::default(),
			missing: Mutex::default(),
			lookups: tokio::sync::Semaphore::new(LOOKUPS_AT_ONCE),
			pending: Mutex::default(),
			reads: Default::default(),
		}
	}
}

impl TwinAccounts {
	/// The account of `twin` if it is cached: no chain read.
	pub fn cached(&self, twin: u32) -> Option<[u8; 32]> {
		locked(&self.known).get(&twin).copied()
	}

	/// The account of `twin`, `None` if the chain has no such twin. Concurrent requests of one
	/// uncached twin wait for one lookup.
	pub async fn get(&self, client: &Client, twin: u32) -> Result<Option<[u8; 32]>, Refusal> {
		if let Some(account) = self.cached(twin) {
			return Ok(Some(account));
		}
		let turn = locked(&self.pending).entry(twin).or_default().clone();
		let found = async {
			let _turn = turn.lock().await;
			self.look_up(client, twin).await
		}
		.await;
		let mut pending = locked(&self.pending);
		// Ours and the table's: nobody else waits for this twin.
		if std::sync::Arc::strong_count(&turn) <= 2 {
			pending.remove(&twin);
		}
		found
	}

	/// `get` for a twin not cached, one lookup per twin at a time.
	async fn look_up(&self, client: &Client, twin: u32) -> Result<Option<[u8; 32]>, Refusal> {
		// A lookup that held the turn before may have answered.
		if let Some(account) = self.cached(twin) {
			return Ok(Some(account));
		}
		if locked(&self.missing).get(&twin).is_some_and(|until| *until > Instant::now()) {
			return Ok(None);
		}
		let _lookup = tokio::time::timeout(LOOKUP_WAIT, self.lookups.acquire())
			.await
			.map_err(|_| {
				busy(format!(
					"too many lookups of unknown twins: twin {twin} waited {} s; try again",
					LOOKUP_WAIT.as_secs()
				))
			})?
			.map_err(|e| busy(e.to_string()))?;
		self.reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
		match client.twin_account(twin).await {
			Ok(account) => {
				let mut known = locked(&self.known);
				if known.len() < MAX_KNOWN {
					known.insert(twin, account.0);
				}
				Ok(Some(account.0))
			}
			Err(Error::NotFound { .. }) => {
				let mut missing = locked(&self.missing);
				let now = Instant::now();
				if missing.len() >= MAX_MISSING {
					missing.retain(|_, until| *until > now);
				}
				if missing.len() < MAX_MISSING {
					missing.insert(twin, now + MISSING_FOR);
				}
				Ok(None)
			}
			Err(e) => Err(Refusal::unavailable(e)),
		}
	}

	/// The accounts of every twin the documents' requirements name; twins the chain does not
	/// know are left out (their signatures then fail to verify). A document names at most
	/// `MAX_REQUESTS` twins (`validate`), and signatures by twins no requirement names are
	/// refused without a lookup.
	pub async fn of_requirements(
		&self,
		client: &Client,
		docs: &[&gridchain_sdk::deployment::Deployment],
	) -> Result<std::collections::BTreeMap<u32, [u8; 32]>, Refusal> {
		let mut accounts = std::collections::BTreeMap::new();
		for doc in docs {
			for request in &doc.signature_requirement.requests {
				if accounts.contains_key(&request.twin_id) {
					continue;
				}
				if let Some(account) = self.get(client, request.twin_id).await? {
					accounts.insert(request.twin_id, account);
				}
			}
		}
		Ok(accounts)
	}
}

/// A token bucket per twin: `rate` requests a second, bursts of `burst`.
pub struct RateLimits {
	rate: f64,
	burst: f64,
	buckets: Mutex<HashMap<u32, (f64, Instant)>>,
}

/// Buckets kept before full ones are forgotten (a full bucket is the same as none).
const MAX_BUCKETS: usize = 10_000;

impl RateLimits {
	pub fn new(rate: u32, burst: u32) -> RateLimits {
		RateLimits { rate: f64::from(rate), burst: f64::from(burst), buckets: Mutex::default() }
	}

	/// Take one request from `twin`'s bucket, or refuse it with `RateLimited`.
	pub fn take(&self, twin: u32) -> Result<(), Refusal> {
		let now = Instant::now();
		let mut buckets = locked(&self.buckets);
		if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&twin) {
			let (rate, burst) = (self.rate, self.burst);
			buckets.retain(|_, (tokens, at)| {
				*tokens + now.duration_since(*at).as_secs_f64() * rate < burst
			});
		}
		let (tokens, at) = buckets.entry(twin).or_insert((self.burst, now));
		*tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
		*at = now;
		if *tokens < 1.0 {
			let wait = ((1.0 - *tokens) / self.rate).ceil();
			return Err(Refusal::new(
				StatusCode::TOO_MANY_REQUESTS,
				"RateLimited",
				format!(
					"twin {twin} sent more than {} requests a second (bursts of {}): try again in {wait} s",
					self.rate, self.burst
				),
			));
		}
		*tokens -= 1.0;
		Ok(())
	}
}

/// Request signatures seen, by the request's timestamp. A request is taken only within
/// `MAX_CLOCK_SKEW_SECS` of its timestamp, so one whose timestamp is older than that is
/// forgotten: it would be refused as stale anyway. Held in memory, so a request costs no disk
/// write; requests signed before the agent started are refused (`Replays::started`), so a
/// restart forgets nothing that could be replayed.
pub struct Replays {
	/// The agent's start, unix seconds.
	pub started: u64,
	seen: Mutex<Seen>,
}

/// The signatures held, and the same by timestamp, oldest first (what pruning walks).
type Seen = (HashSet<String>, BTreeSet<(u64, String)>);

/// The most signatures held: at the per-twin rate limits, far more than a minute of requests
/// from thousands of twins.
const MAX_SEEN: usize = 200_000;

impl Replays {
	pub fn new(started: u64) -> Replays {
		Replays { started, seen: Mutex::default() }
	}

	/// Remember `signature` of a request made at `timestamp`; refuses one seen before.
	pub fn first_sighting(
		&self,
		signature: &str,
		timestamp: u64,
		now: u64,
		window: u64,
	) -> Result<(), Refusal> {
		let mut guard = locked(&self.seen);
		let (seen, by_time) = &mut *guard;
		let oldest = now.saturating_sub(window);
		while let Some((at, signature)) = by_time.first().cloned() {
			if at >= oldest {
				break;
			}
			by_time.pop_first();
			seen.remove(&signature);
		}
		if seen.contains(signature) {
			return Err(Refusal::new(
				StatusCode::UNAUTHORIZED,
				"ReplayedRequest",
				"this request was received before",
			));
		}
		if seen.len() >= MAX_SEEN {
			return Err(busy(format!(
				"{MAX_SEEN} requests in the last {window} s: try again in a few seconds"
			)));
		}
		seen.insert(signature.to_string());
		by_time.insert((timestamp, signature.to_string()));
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_twin_gets_its_burst_then_its_rate_and_other_twins_are_not_affected() {
		let limits = RateLimits::new(10, 3);
		for _ in 0..3 {
			assert!(limits.take(7).is_ok());
		}
		let refused = limits.take(7).unwrap_err();
		assert_eq!(
			(refused.status, refused.code.as_str()),
			(StatusCode::TOO_MANY_REQUESTS, "RateLimited")
		);
		assert!(limits.take(8).is_ok(), "another twin has its own bucket");
		std::thread::sleep(Duration::from_millis(120));
		assert!(limits.take(7).is_ok(), "a tenth of a second refills one request");
		assert!(limits.take(7).is_err());
	}

	#[test]
	fn a_signature_is_taken_once_and_forgotten_only_once_it_is_stale() {
		let replays = Replays::new(1_000);
		assert!(replays.first_sighting("a", 1_000, 1_000, 120).is_ok());
		assert_eq!(
			replays.first_sighting("a", 1_000, 1_100, 120).unwrap_err().code,
			"ReplayedRequest"
		);
		assert!(replays.first_sighting("b", 1_100, 1_100, 120).is_ok());
		// At 1,121 the request of 1,000 is past the window: forgotten, and "b" is still held.
		assert!(replays.first_sighting("c", 1_121, 1_121, 120).is_ok());
		assert_eq!(locked(&replays.seen).0.len(), 2);
		assert_eq!(
			replays.first_sighting("b", 1_100, 1_121, 120).unwrap_err().code,
			"ReplayedRequest"
		);
	}
}
