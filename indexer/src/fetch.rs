//! Reading a finalized block: its time, its events decoded into [`Change`]s, and the storage
//! records the events do not carry (a node's location, a twin's key, a report's resources).

use crate::codes::{CancelCause, ContractKind, DiscountLevel, PriceKind, ReportRejection};
use gridchain_sdk::{
	chain::{self, runtime_types as rt},
	hex0x, text, Config, Node, Resources, Twin,
};
use std::{
	collections::HashMap,
	time::{Duration, Instant},
};
use subxt::{
	client::OnlineClientAtBlockImpl,
	config::RpcConfigFor,
	rpcs::{LegacyRpcMethods, RpcClient},
	utils::{AccountId32, H256},
	OnlineClient,
};

type At = subxt::client::ClientAtBlock<Config, OnlineClientAtBlockImpl<Config>>;

/// A finalized block, read and decoded.
#[derive(Debug, Clone)]
pub struct BlockData {
	pub number: u64,
	pub hash: String,
	/// Unix seconds (the timestamp inherent; 0 for genesis).
	pub time: u64,
	/// How many events the block has, indexed or not.
	pub events: u64,
	/// What the indexed events change, in event order.
	pub changes: Vec<(u32, Change)>,
}

/// One indexed event, with what the indexer read alongside it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
	Twin {
		id: u32,
		account: String,
		pk: Option<String>,
		relay: Option<String>,
	},
	Farm {
		id: u32,
		name: String,
		twin_id: u32,
		pricing_policy_id: u32,
		dedicated: bool,
	},
	FarmIpAdded {
		farm_id: u32,
		ip: String,
		gateway: String,
	},
	FarmIpRemoved {
		farm_id: u32,
		ip: String,
	},
	FarmDedicated {
		farm_id: u32,
		dedicated: bool,
	},
	/// A node as its storage record says after the event.
	Node(Node),
	NodeDeleted {
		id: u32,
	},
	ContractCreated(ContractRecord),
	/// With the new hash and deposit from storage, when the contract still exists.
	ContractUpdated {
		id: u64,
		version: u32,
		deployment_hash: Option<String>,
		deposit: Option<u128>,
		/// The capacity the update declares.
		capacity: Resources,
	},
	ContractDeployed {
		id: u64,
	},
	ContractCanceled {
		id: u64,
		cause: CancelCause,
		unpaid: u128,
	},
	/// `farm_id` is `None` when the contract is gone by the end of the block (its IPs are freed
	/// again in the same block).
	IpsReserved {
		contract_id: u64,
		farm_id: Option<u32>,
		ips: Vec<String>,
	},
	IpsFreed {
		contract_id: u64,
		ips: Vec<String>,
	},
	ReportAccepted {
		contract_id: u64,
		timestamp: u64,
		window_secs: u64,
		cost_scaled_uusd: u128,
		/// What the contract uses after this block's reports (its billing record).
		used: Option<Resources>,
	},
	ReportRejected {
		contract_id: u64,
		reason: ReportRejection,
	},
	Billed {
		contract_id: u64,
		amount: u128,
		discount_level: DiscountLevel,
	},
	GraceStarted {
		contract_id: u64,
		debt: u128,
	},
	GraceEnded {
		contract_id: u64,
	},
	Burned {
		amount: u128,
	},
	Price {
		kind: PriceKind,
		price_musd: u32,
	},
	Transfer {
		from: String,
		to: String,
		amount: u128,
	},
}

/// A new contract: the event's fields, with the kind, name and hash from storage when the
/// contract still exists at the end of its block.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractRecord {
	pub id: u64,
	pub twin_id: u32,
	pub kind: ContractKind,
	pub node_id: Option<u32>,
	pub name: Option<String>,
	pub deployment_hash: Option<String>,
	pub public_ips: u32,
	pub deposit: u128,
	/// What a node contract declares it reserves (SPEC §4.5); zero for name and rent contracts.
	pub capacity: Resources,
}

fn cancel_cause(cause: &rt::pallet_smart_contract::types::Cause) -> CancelCause {
	use rt::pallet_smart_contract::types::Cause;
	match cause {
		Cause::CanceledByUser => CancelCause::CanceledByUser,
		Cause::CanceledByNode => CancelCause::CanceledByNode,
		Cause::CanceledByCollective => CancelCause::CanceledByCollective,
		Cause::OutOfFunds => CancelCause::OutOfFunds,
	}
}

fn rejection(reason: &rt::pallet_smart_contract::types::ReportRejection) -> ReportRejection {
	use rt::pallet_smart_contract::types::ReportRejection as R;
	match reason {
		R::NotANodeContractOfThisNode => ReportRejection::NotANodeContractOfThisNode,
		R::TimestampNotAfterPrevious => ReportRejection::TimestampNotAfterPrevious,
		R::TimestampInFuture => ReportRejection::TimestampInFuture,
		R::ExceedsContractCapacity => ReportRejection::ExceedsContractCapacity,
		R::NeverDeployed => ReportRejection::NeverDeployed,
	}
}

fn discount_of(level: &rt::gridchain_primitives::tft::DiscountLevel) -> DiscountLevel {
	use rt::gridchain_primitives::tft::DiscountLevel as D;
	match level {
		D::None => DiscountLevel::None,
		D::Default => DiscountLevel::Default,
		D::Bronze => DiscountLevel::Bronze,
		D::Silver => DiscountLevel::Silver,
		D::Gold => DiscountLevel::Gold,
	}
}

fn ip_texts(ips: &[rt::pallet_smart_contract::types::ContractIp]) -> Vec<String> {
	ips.iter().map(|ip| text(&ip.ip.0)).collect()
}

/// The events the indexer keeps: only these are decoded, so an event this build does not know (a
/// runtime upgrade's) stops nothing unless it is one of them.
fn handled(pallet: &str, event: &str) -> bool {
	match pallet {
		"Registry" | "SmartContract" => true,
		"TftPrice" => matches!(event, "PriceStored" | "AveragePriceStored"),
		"Balances" => event == "Transfer",
		_ => false,
	}
}

/// Where reading one block went: the node's answers (each `await` on the node, a storage read of an
/// event among them) and decoding its events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FetchTiming {
	pub rpc: Duration,
	/// Of `rpc`, finding the block: its hash and the runtime version it was made with.
	pub at_block: Duration,
	/// The block set a new runtime (`System.CodeUpdated`): the next block is another runtime's.
	pub code_updated: bool,
	pub rpc_calls: u32,
	pub decode: Duration,
}

impl FetchTiming {
	/// Awaits `call` on the node, counting its time.
	async fn rpc<T>(&mut self, call: impl std::future::Future<Output = T>) -> T {
		let started = Instant::now();
		let out = call.await;
		self.rpc += started.elapsed();
		self.rpc_calls = self.rpc_calls.saturating_add(1);
		out
	}
}

/// Read finalized block `number`, whose hash is `hash`, and decode what the indexer keeps: `api`
/// finds the block's runtime, `rpc` asks the node.
pub async fn fetch_block(
	api: &OnlineClient<Config>,
	rpc: &RpcClient,
	number: u64,
	hash: H256,
) -> anyhow::Result<(BlockData, FetchTiming)> {
	let mut t = FetchTiming::default();
	let at = t.rpc(api.at_block_hash_and_number(hash, number)).await?;
	t.at_block = t.rpc;
	let (time_ms, events) = t.rpc(time_and_events(rpc, hash)).await?;
	let hash = format!("{:?}", at.block_hash());
	let events = at.events().from_bytes(events);
	let decoding = Instant::now();
	let rpc_before = t.rpc;
	let mut changes = Vec::new();
	let mut accounts = AccountTexts::default();
	let mut count = 0u64;
	for event in events.iter() {
		let event = event?;
		count += 1;
		let index = event.index();
		t.code_updated |= event.pallet_name() == "System" && event.event_name() == "CodeUpdated";
		if !handled(event.pallet_name(), event.event_name()) && number != 0 {
			continue;
		}
		// Transfers, most of a busy chain's events, are decoded as their fields alone.
		if let Some(transfer) = event.decode_fields_as::<chain::balances::events::Transfer>() {
			let transfer = transfer?;
			let (from, to) = (accounts.text(&transfer.from), accounts.text(&transfer.to));
			changes.push((index, Change::Transfer { from, to, amount: transfer.amount }));
			continue;
		}
		let decoded: chain::Event = event.decode_as()?;
		if let Some(change) = change_of(&at, decoded, &mut accounts, &mut t).await? {
			changes.push((index, change));
		}
	}
	// The event loop's time without the storage reads some events made.
	t.decode = decoding.elapsed().saturating_sub(t.rpc.saturating_sub(rpc_before));
	if number == 0 {
		// Genesis has no events; its price is in storage.
		let price: u32 =
			at.storage().fetch(chain::storage().tft_price().tft_price(), ()).await?.decode()?;
		let average: u32 = at
			.storage()
			.fetch(chain::storage().tft_price().average_tft_price(), ())
			.await?
			.decode()?;
		changes.push((0, Change::Price { kind: PriceKind::Price, price_musd: price }));
		changes.push((1, Change::Price { kind: PriceKind::Average, price_musd: average }));
	}
	Ok((BlockData { number, hash, time: time_ms / 1000, events: count, changes }, t))
}

/// Block `hash`'s timestamp (milliseconds; 0 when unset, as at genesis) and its events' bytes, in
/// one call to the node (`state_queryStorageAt`, which takes several keys).
async fn time_and_events(rpc: &RpcClient, hash: H256) -> anyhow::Result<(u64, Vec<u8>)> {
	use subxt::ext::{codec::Decode, frame_decode::storage::encode_storage_key_prefix};
	let time_key = encode_storage_key_prefix("Timestamp", "Now");
	let events_key = encode_storage_key_prefix("System", "Events");
	let legacy = LegacyRpcMethods::<RpcConfigFor<Config>>::new(rpc.clone());
	let answer =
		legacy.state_query_storage_at([&time_key[..], &events_key[..]], Some(hash)).await?;
	let (mut time_ms, mut events) = (0, Vec::new());
	for (key, value) in answer.into_iter().flat_map(|set| set.changes) {
		let Some(value) = value else { continue };
		if key.0 == time_key {
			time_ms = u64::decode(&mut &value.0[..])
				.map_err(|e| anyhow::anyhow!("block {hash:?}'s Timestamp.Now: {e}"))?;
		} else if key.0 == events_key {
			events = value.0;
		}
	}
	Ok((time_ms, events))
}

/// Accounts' SS58 text, each encoded once per block: a busy block names the same senders many
/// times, and encoding is most of the cost of a transfer.
#[derive(Default)]
struct AccountTexts(HashMap<[u8; 32], String>);

impl AccountTexts {
	fn text(&mut self, account: &AccountId32) -> String {
		self.0.entry(account.0).or_insert_with(|| account.to_string()).clone()
	}
}

async fn change_of(
	at: &At,
	event: chain::Event,
	accounts: &mut AccountTexts,
	t: &mut FetchTiming,
) -> anyhow::Result<Option<Change>> {
	use rt::{
		pallet_balances::pallet::Event as Balances, pallet_registry::pallet::Event as Registry,
		pallet_smart_contract::pallet::Event as Contract, pallet_tft_price::pallet::Event as Price,
	};
	Ok(Some(match event {
		chain::Event::Registry(e) => match e {
			Registry::TwinCreated { twin_id, .. } | Registry::TwinUpdated { twin_id } => {
				t.rpc(twin(at, twin_id)).await?
			}
			Registry::FarmCreated { farm_id, .. } => t.rpc(farm(at, farm_id)).await?,
			Registry::FarmIpAdded { farm_id, ip, gateway } => {
				Change::FarmIpAdded { farm_id, ip: text(&ip), gateway: text(&gateway) }
			}
			Registry::FarmIpRemoved { farm_id, ip } => {
				Change::FarmIpRemoved { farm_id, ip: text(&ip) }
			}
			Registry::FarmDedicatedSet { farm_id, dedicated } => {
				Change::FarmDedicated { farm_id, dedicated }
			}
			Registry::NodeCreated { node_id, .. }
			| Registry::NodeUpdated { node_id, .. }
			| Registry::NodeCertificationSet { node_id, .. } => match t.rpc(node(at, node_id)).await? {
				Some(node) => Change::Node(node),
				// Deleted later in the same block: its NodeDeleted follows.
				None => return Ok(None),
			},
			Registry::NodeDeleted { node_id } => Change::NodeDeleted { id: node_id },
			_ => return Ok(None),
		},
		chain::Event::SmartContract(e) => match e {
			Contract::ContractCreated {
				contract_id,
				twin_id,
				node_id,
				public_ips,
				deposit,
				capacity,
			} => {
				let mut record = ContractRecord {
					id: contract_id,
					twin_id,
					// Replaced from storage below; a contract ended in its own block is gone.
					kind: ContractKind::Unknown,
					node_id,
					name: None,
					deployment_hash: None,
					public_ips: public_ips.len() as u32,
					deposit,
					capacity: capacity.into(),
				};
				if let Some(c) = t.rpc(contract(at, contract_id)).await? {
					use rt::pallet_smart_contract::types::ContractType as T;
					match c.contract_type {
						T::Node(n) => {
							record.kind = ContractKind::Node;
							record.deployment_hash = Some(hex0x(&n.deployment_hash));
						}
						T::Name { name } => {
							record.kind = ContractKind::Name;
							record.name = Some(text(&name.0));
						}
						T::Rent { node_id } => {
							record.kind = ContractKind::Rent;
							record.node_id = Some(node_id);
						}
					}
				}
				Change::ContractCreated(record)
			}
			Contract::ContractUpdated { contract_id, version, capacity } => {
				let (deployment_hash, deposit) = match t.rpc(contract(at, contract_id)).await? {
					Some(c) => (
						match c.contract_type {
							rt::pallet_smart_contract::types::ContractType::Node(n) => {
								Some(hex0x(&n.deployment_hash))
							}
							_ => None,
						},
						Some(c.billing.deposit),
					),
					None => (None, None),
				};
				Change::ContractUpdated {
					id: contract_id,
					version,
					deployment_hash,
					deposit,
					capacity: capacity.into(),
				}
			}
			Contract::ContractDeployed { contract_id, .. } => {
				Change::ContractDeployed { id: contract_id }
			}
			Contract::ContractCanceled { contract_id, cause, unpaid } => {
				let cause = cancel_cause(&cause);
				Change::ContractCanceled { id: contract_id, cause, unpaid }
			}
			Contract::IpsReserved { contract_id, public_ips } => Change::IpsReserved {
				contract_id,
				farm_id: t.rpc(farm_of_contract(at, contract_id)).await?,
				ips: ip_texts(&public_ips),
			},
			Contract::IpsFreed { contract_id, public_ips } => {
				Change::IpsFreed { contract_id, ips: ip_texts(&public_ips) }
			}
			Contract::ConsumptionReportReceived {
				contract_id,
				timestamp,
				window_secs,
				cost_scaled_uusd,
			} => Change::ReportAccepted {
				contract_id,
				timestamp,
				window_secs,
				cost_scaled_uusd,
				used: t.rpc(used_by(at, contract_id)).await?,
			},
			Contract::ConsumptionReportRejected { contract_id, reason } => {
				Change::ReportRejected { contract_id, reason: rejection(&reason) }
			}
			Contract::ContractBilled { contract_id, amount, discount_level } => {
				Change::Billed { contract_id, amount, discount_level: discount_of(&discount_level) }
			}
			Contract::ContractGracePeriodStarted { contract_id, debt } => {
				Change::GraceStarted { contract_id, debt }
			}
			Contract::ContractGracePeriodEnded { contract_id } => {
				Change::GraceEnded { contract_id }
			}
			Contract::TokensBurned { amount } => Change::Burned { amount },
			_ => return Ok(None),
		},
		chain::Event::TftPrice(e) => match e {
			Price::PriceStored { price_musd } => {
				Change::Price { kind: PriceKind::Price, price_musd }
			}
			Price::AveragePriceStored { price_musd } => {
				Change::Price { kind: PriceKind::Average, price_musd }
			}
			_ => return Ok(None),
		},
		chain::Event::Balances(Balances::Transfer { from, to, amount }) => {
			Change::Transfer { from: accounts.text(&from), to: accounts.text(&to), amount }
		}
		_ => return Ok(None),
	}))
}

async fn twin(at: &At, twin_id: u32) -> anyhow::Result<Change> {
	let t: Twin =
		at.storage().fetch(chain::storage().registry().twins(), (twin_id,)).await?.decode()?.into();
	Ok(Change::Twin { id: t.id, account: t.account, pk: t.pk, relay: t.relay })
}

async fn farm(at: &At, farm_id: u32) -> anyhow::Result<Change> {
	let f = at.storage().fetch(chain::storage().registry().farms(), (farm_id,)).await?.decode()?;
	Ok(Change::Farm {
		id: f.id,
		name: text(&f.name.0),
		twin_id: f.twin_id,
		pricing_policy_id: f.pricing_policy_id,
		dedicated: f.dedicated,
	})
}

async fn node(at: &At, node_id: u32) -> anyhow::Result<Option<Node>> {
	let value = at.storage().try_fetch(chain::storage().registry().nodes(), (node_id,)).await?;
	Ok(match value {
		Some(v) => Some(v.decode()?.into()),
		None => None,
	})
}

async fn contract(
	at: &At,
	contract_id: u64,
) -> anyhow::Result<
	Option<rt::pallet_smart_contract::types::Contract<gridchain_sdk::AccountId32, u32>>,
> {
	let value = at
		.storage()
		.try_fetch(chain::storage().smart_contract().contracts(), (contract_id,))
		.await?;
	Ok(match value {
		Some(v) => Some(v.decode()?),
		None => None,
	})
}

async fn farm_of_contract(at: &At, contract_id: u64) -> anyhow::Result<Option<u32>> {
	use rt::pallet_smart_contract::types::ContractType as T;
	let node_id = match contract(at, contract_id).await?.map(|c| c.contract_type) {
		Some(T::Node(n)) => n.node_id,
		Some(T::Rent { node_id }) => node_id,
		_ => return Ok(None),
	};
	Ok(node(at, node_id).await?.map(|n| n.farm_id))
}

async fn used_by(at: &At, contract_id: u64) -> anyhow::Result<Option<Resources>> {
	let Some(contract) = contract(at, contract_id).await? else { return Ok(None) };
	Ok(match contract.billing.kind {
		rt::pallet_smart_contract::types::BillingKind::Node { used, .. } => Some(used.into()),
		_ => None,
	})
}
