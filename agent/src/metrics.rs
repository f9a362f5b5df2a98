//! Prometheus metrics on `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
	pub reports_sent: AtomicU64,
	pub reports_rejected: AtomicU64,
	pub requests_refused: AtomicU64,
	/// Pre-flights answered "the node would take it".
	pub preflights_passed: AtomicU64,
	pub finalized_block: AtomicU64,
	/// Unix seconds when the last finalized block was processed.
	pub last_block_seen: AtomicU64,
}

impl Metrics {
	pub fn add(counter: &AtomicU64, n: u64) {
		counter.fetch_add(n, Ordering::Relaxed);
	}

	/// The text exposition format; `by_state` counts deployments per state, `twin_reads` the
	/// twin accounts read from the chain.
	pub fn render(&self, by_state: &[(&str, u64)], now: u64, twin_reads: u64) -> String {
		let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
		let mut out = String::new();
		out.push_str("# HELP grid_agent_deployments Deployments held, by state.\n# TYPE grid_agent_deployments gauge\n");
		for (state, n) in by_state {
			out.push_str(&format!("grid_agent_deployments{{state=\"{state}\"}} {n}\n"));
		}
		let counters = [
			(
				"grid_agent_reports_sent_total",
				"Consumption reports the chain took.",
				get(&self.reports_sent),
			),
			(
				"grid_agent_reports_rejected_total",
				"Consumption reports the chain rejected.",
				get(&self.reports_rejected),
			),
			(
				"grid_agent_requests_refused_total",
				"API requests refused.",
				get(&self.requests_refused),
			),
			(
				"grid_agent_preflights_passed_total",
				"Pre-flights answered: the node would take the document.",
				get(&self.preflights_passed),
			),
			(
				"grid_agent_twin_account_reads_total",
				"Twin accounts read from the chain; every other request's account came from the cache.",
				twin_reads,
			),
		];
		for (name, help, value) in counters {
			out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"));
		}
		let seen = get(&self.last_block_seen);
		let lag = if seen == 0 { 0 } else { now.saturating_sub(seen) };
		out.push_str(&format!(
			"# HELP grid_agent_finalized_block The last finalized block processed.\n# TYPE grid_agent_finalized_block gauge\ngrid_agent_finalized_block {}\n",
			get(&self.finalized_block)
		));
		out.push_str(&format!(
			"# HELP grid_agent_chain_lag_seconds Seconds since a finalized block was last processed.\n# TYPE grid_agent_chain_lag_seconds gauge\ngrid_agent_chain_lag_seconds {lag}\n"
		));
		out
	}
}
