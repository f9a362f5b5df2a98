//! What the SDK returns: plain types with serde, independent of the generated chain types.

use crate::chain::runtime_types as rt;
use serde::Serialize;

/// Capacity in vCPUs and bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct Resources {
	pub cru: u64,
	pub sru: u64,
	pub hru: u64,
	pub mru: u64,
}

/// A deployment's capacity (SPEC §9.2) as it is declared on its contract: public IPs are reserved
/// apart, so they are left out.
impl From<gridchain_deployment::Capacity> for Resources {
	fn from(c: gridchain_deployment::Capacity) -> Resources {
		Resources { cru: c.cru, sru: c.sru, hru: c.hru, mru: c.mru }
	}
}

/// `2 vCPU, 4 GiB memory, 50 GiB SSD, 0 GiB HDD`.
impl std::fmt::Display for Resources {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"{} vCPU, {} memory, {} SSD, {} HDD",
			self.cru,
			format_gib(self.mru),
			format_gib(self.sru),
			format_gib(self.hru)
		)
	}
}

/// Bytes in GiB: `4 GiB`, or `1.50 GiB` when not a whole number.
pub fn format_gib(bytes: u64) -> String {
	const GIB: u64 = 1 << 30;
	if bytes.is_multiple_of(GIB) {
		format!("{} GiB", bytes / GIB)
	} else {
		format!("{:.2} GiB", bytes as f64 / GIB as f64)
	}
}

/// The chain's arithmetic on capacity, from `gridchain-primitives`.
impl Resources {
	/// The sum of both, saturating.
	pub fn saturating_add(&self, other: &Resources) -> Resources {
		Self::from_chain(&Self::to_chain(self).saturating_add(&Self::to_chain(other)))
	}

	/// What is left of `self` once `other` is taken, saturating at zero.
	pub fn saturating_sub(&self, other: &Resources) -> Resources {
		Self::from_chain(&Self::to_chain(self).saturating_sub(&Self::to_chain(other)))
	}

	/// Whether `self` holds at least `other` of each resource.
	pub fn covers(&self, other: &Resources) -> bool {
		Self::to_chain(self).covers(&Self::to_chain(other))
	}

	fn to_chain(r: &Resources) -> gridchain_primitives::Resources {
		gridchain_primitives::Resources { cru: r.cru, sru: r.sru, hru: r.hru, mru: r.mru }
	}

	fn from_chain(r: &gridchain_primitives::Resources) -> Resources {
		Resources { cru: r.cru, sru: r.sru, hru: r.hru, mru: r.mru }
	}
}

impl From<rt::gridchain_primitives::resources::Resources> for Resources {
	fn from(r: rt::gridchain_primitives::resources::Resources) -> Resources {
		Resources { cru: r.cru, sru: r.sru, hru: r.hru, mru: r.mru }
	}
}

impl From<Resources> for rt::gridchain_primitives::resources::Resources {
	fn from(r: Resources) -> Self {
		rt::gridchain_primitives::resources::Resources {
			cru: r.cru,
			sru: r.sru,
			hru: r.hru,
			mru: r.mru,
		}
	}
}

/// A twin: an account's identity on the grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Twin {
	pub id: u32,
	/// SS58 address of the account that acts as the twin.
	pub account: String,
	/// X25519 public key deployments are encrypted to, `0x`-hex.
	pub pk: Option<String>,
	/// Where its messages go: a node agent's URL for a node's twin.
	pub relay: Option<String>,
}

impl From<rt::pallet_registry::types::Twin<subxt::utils::AccountId32>> for Twin {
	fn from(twin: rt::pallet_registry::types::Twin<subxt::utils::AccountId32>) -> Twin {
		Twin {
			id: twin.id,
			account: twin.account_id.to_string(),
			pk: twin.pk.map(|pk| hex0x(&pk)),
			relay: twin.relay.map(|r| text(&r.0)),
		}
	}
}

/// A public IP of a farm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicIp {
	pub ip: String,
	pub gateway: String,
	/// The contract holding it, 0 when free.
	pub contract_id: u64,
}

/// A farm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Farm {
	pub id: u32,
	pub name: String,
	pub twin_id: u32,
	pub pricing_policy_id: u32,
	pub dedicated: bool,
	pub public_ips: Vec<PublicIp>,
}

/// Where a node is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct Location {
	pub country: String,
	pub city: String,
	pub latitude: String,
	pub longitude: String,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
	pub id: u32,
	pub farm_id: u32,
	pub twin_id: u32,
	pub resources: Resources,
	pub location: Location,
	pub certified: bool,
}

impl From<rt::pallet_registry::types::Node> for Node {
	fn from(node: rt::pallet_registry::types::Node) -> Node {
		Node {
			id: node.id,
			farm_id: node.farm_id,
			twin_id: node.twin_id,
			resources: node.resources.into(),
			location: Location {
				country: text(&node.location.country.0),
				city: text(&node.location.city.0),
				latitude: text(&node.location.latitude.0),
				longitude: text(&node.location.longitude.0),
			},
			certified: matches!(
				node.certification,
				rt::pallet_registry::types::NodeCertification::Certified
			),
		}
	}
}

/// An IP a contract holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractIp {
	pub ip: String,
	pub gateway: String,
}

/// Where a contract is in its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContractState {
	Created,
	Deployed,
	/// In debt since this block.
	GracePeriod {
		since_block: u32,
	},
	Deleted {
		cause: String,
	},
}

/// What a contract is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContractKind {
	Node {
		node_id: u32,
		/// `0x`-hex of the 32-byte deployment hash.
		deployment_hash: String,
		/// The encrypted deployment, as stored.
		#[serde(skip)]
		deployment_data: Vec<u8>,
		deployment_data_size: usize,
		public_ips: Vec<ContractIp>,
		/// What the deployment reserves, declared by the owner (SPEC §4.5): the most a report
		/// may bill, and what the node's free capacity leaves out.
		capacity: Resources,
	},
	Name {
		name: String,
	},
	Rent {
		node_id: u32,
	},
}

/// A contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contract {
	pub id: u64,
	pub version: u32,
	pub twin_id: u32,
	#[serde(flatten)]
	pub state: ContractState,
	#[serde(flatten)]
	pub kind: ContractKind,
}

/// One settlement of a contract: a `ContractBilled` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bill {
	pub block: u64,
	pub contract_id: u64,
	/// TFT units (10^-7 TFT).
	pub amount: u128,
	pub discount_level: String,
	/// Block time, unix seconds, when the source knows it (the indexer does).
	#[serde(skip_serializing_if = "Option::is_none")]
	pub time: Option<u64>,
}

/// A contract just created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreatedContract {
	pub contract_id: u64,
	pub public_ips: Vec<ContractIp>,
	/// The deposit held while it lives, TFT units.
	pub deposit: u128,
	/// The capacity a node contract declares; zero for name and rent contracts.
	pub capacity: Resources,
}

/// An account's balance, TFT units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Balance {
	pub free: u128,
	/// Held: contract deposits and multisig deposits.
	pub reserved: u128,
}

/// Chain bytes as text (lossy UTF-8).
pub fn text(bytes: &[u8]) -> String {
	String::from_utf8_lossy(bytes).into_owned()
}

/// Bytes as `0x`-hex.
pub fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// A day number since 1970-01-01 as `YYYY-MM-DD` (Howard Hinnant's civil-from-days).
pub fn utc_day(days: i64) -> String {
	let z = days + 719_468;
	let era = z.div_euclid(146_097);
	let doe = z.rem_euclid(146_097);
	let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
	let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	let mp = (5 * doy + 2) / 153;
	let d = doy - (153 * mp + 2) / 5 + 1;
	let m = if mp < 10 { mp + 3 } else { mp - 9 };
	let y = yoe + era * 400 + i64::from(m <= 2);
	format!("{y:04}-{m:02}-{d:02}")
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc_time(secs: u64) -> String {
	let rest = secs % 86_400;
	format!(
		"{} {:02}:{:02}:{:02}",
		utc_day((secs / 86_400) as i64),
		rest / 3600,
		rest % 3600 / 60,
		rest % 60
	)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn resources_read_in_whole_or_fractional_gib() {
		let gib = 1u64 << 30;
		let r = Resources { cru: 2, mru: 4 * gib, sru: 50 * gib + gib / 2, hru: 0 };
		assert_eq!(r.to_string(), "2 vCPU, 4 GiB memory, 50.50 GiB SSD, 0 GiB HDD");
	}

	#[test]
	fn civil_dates() {
		assert_eq!(utc_day(0), "1970-01-01");
		assert_eq!(utc_day(11_016), "2000-02-29");
		assert_eq!(utc_day(20_786), "2026-11-29");
		assert_eq!(utc_time(1_795_962_546), "2026-11-29 14:29:06");
	}
}
