//! One kind of transaction: signed ahead with consecutive nonces, sent back to back, then followed
//! through the finalized blocks until all of it is included (or nothing more comes).

use crate::ceiling::{self, Ceiling};
use anyhow::{Context, Result};
use futures::{stream, StreamExt};
use gridchain_sdk::{
	chain, AccountId32, Client, Config, ContractKind, Identity, Keypair, Resources,
};
use serde::Serialize;
use std::{
	collections::{BTreeMap, BTreeSet},
	time::{Duration, Instant},
};
use subxt::{
	config::{DefaultExtrinsicParamsBuilder, RpcConfigFor},
	events::Phase as EventPhase,
	rpcs::methods::LegacyRpcMethods,
	tx::Payload,
	OnlineClientAtBlock,
};

/// Transactions sent at once; the node's pool takes them in any order.
const IN_FLIGHT: usize = 64;
/// Reports one call carries at most.
const REPORTS_PER_CALL: usize = 256;
const GIB: u64 = 1 << 30;
/// What each load contract declares, and what each of its reports bills: no more than declared,
/// so the chain takes every report.
const CONTRACT_CAPACITY: Resources = Resources { cru: 1, sru: 10 * GIB, hru: 0, mru: GIB };

/// What a phase's transactions show up as in a block's events.
enum Kind {
	/// `Balances::Transfer` from one of these accounts.
	Transfers(BTreeSet<AccountId32>),
	/// `SmartContract::ContractCreated` on this node.
	Contracts(u32),
	/// `SmartContract::ContractDeployed` on this node.
	Confirmations(u32),
	/// `SmartContract::ConsumptionReport{Received,Rejected}`.
	Reports,
}

/// Signed transactions of one kind, ready to send.
pub struct Phase {
	name: &'static str,
	kind: Kind,
	txs: Vec<Vec<u8>>,
}

/// What one phase measured.
#[derive(Serialize)]
pub struct PhaseReport {
	/// `transfer`, `create_node_contract`, `confirm_deployment` or `report_consumption`.
	pub kind: &'static str,
	/// Transactions signed and sent.
	pub sent: u32,
	/// Sent transactions the pool refused, and the first reasons.
	pub refused: u32,
	pub refusals: Vec<String>,
	/// Transactions of the phase found in finalized blocks.
	pub included: u32,
	/// Reports accepted by the chain (report phase only).
	pub items_accepted: Option<u64>,
	/// Blocks from the first to the last holding the phase's transactions.
	pub first_block: u64,
	pub last_block: u64,
	pub blocks: u64,
	/// Included transactions per block over those blocks, and the most in one.
	pub per_block: f64,
	pub max_per_block: u32,
	/// Included transactions per second of chain time over those blocks.
	pub per_second: f64,
	/// The count of each block, first to last.
	pub per_block_counts: Vec<u32>,
	/// The normal class's weight each block was charged after refunds, first to last, in ms.
	pub per_block_weight_ms: Vec<f64>,
	/// Wall time to send everything, and from the first send to the last inclusion.
	pub send_secs: f64,
	pub wall_secs: f64,
	/// What the runtime's weights and block length allow.
	pub ceiling: Ceiling,
	/// Transactions per second relative to the transfer phase's.
	pub ratio_to_transfers: Option<f64>,
}

/// Sign `call` as `signer`'s transaction `nonce`, immortal.
fn sign<P: Payload>(
	at: &OnlineClientAtBlock<Config>,
	call: &P,
	signer: &Keypair,
	nonce: u64,
) -> Result<Vec<u8>> {
	let params = DefaultExtrinsicParamsBuilder::<Config>::new().nonce(nonce).build();
	let mut signable = at.tx().create_signable_offline(call, params)?;
	Ok(signable.sign(signer)?.into_encoded())
}

/// `count` spread over `senders`: how many the sender `i` sends.
fn share(count: u32, senders: usize, i: usize) -> u32 {
	let senders = senders as u32;
	count / senders + u32::from((i as u32) < count % senders)
}

impl Phase {
	/// Each sender sends its share of `count` transfers of 1 TFT to the next sender.
	pub async fn transfers(client: &Client, senders: &[Identity], count: u32) -> Result<Phase> {
		let at = client.at().await?;
		let mut txs = Vec::with_capacity(count as usize);
		for (i, sender) in senders.iter().enumerate() {
			let to = senders[(i + 1) % senders.len()].account_id();
			let call =
				chain::tx().balances().transfer_keep_alive(to.into(), gridchain_sdk::UNITS_PER_TFT);
			let nonce = client.next_nonce(&sender.account_id()).await?;
			for k in 0..share(count, senders.len(), i) {
				txs.push(sign(&at, &call, sender.keypair(), nonce + k as u64)?);
			}
		}
		let from = senders.iter().map(Identity::account_id).collect();
		Ok(Phase { name: "transfer", kind: Kind::Transfers(from), txs })
	}

	/// Each sender creates its share of `count` node contracts on `node_id`, with `data_bytes`
	/// of deployment data, a hash unique to this run and [`CONTRACT_CAPACITY`] declared.
	pub async fn contracts(
		client: &Client,
		senders: &[Identity],
		node_id: u32,
		count: u32,
		data_bytes: usize,
	) -> Result<Phase> {
		let at = client.at().await?;
		let run = at.block_number();
		let mut txs = Vec::with_capacity(count as usize);
		for (i, sender) in senders.iter().enumerate() {
			let nonce = client.next_nonce(&sender.account_id()).await?;
			for k in 0..share(count, senders.len(), i) {
				let mut hash = [0u8; 32];
				hash[..8].copy_from_slice(&run.to_le_bytes());
				hash[8..12].copy_from_slice(&(i as u32).to_le_bytes());
				hash[12..16].copy_from_slice(&k.to_le_bytes());
				let call = chain::tx().smart_contract().create_node_contract(
					node_id,
					hash,
					vec![0xa5; data_bytes],
					0,
					CONTRACT_CAPACITY.into(),
				);
				txs.push(sign(&at, &call, sender.keypair(), nonce + k as u64)?);
			}
		}
		Ok(Phase { name: "create_node_contract", kind: Kind::Contracts(node_id), txs })
	}

	/// The node operator confirms each of `contracts` on `node_id` with the hash it holds, as an
	/// agent does once a deployment runs: the chain takes reports only for confirmed contracts.
	pub async fn confirmations(
		client: &Client,
		operator: &Identity,
		node_id: u32,
		contracts: &[u64],
	) -> Result<Phase> {
		let hashes: Vec<[u8; 32]> = stream::iter(contracts)
			.map(|&contract_id| deployment_hash(client, contract_id))
			.buffered(IN_FLIGHT)
			.collect::<Vec<_>>()
			.await
			.into_iter()
			.collect::<Result<_>>()?;
		let at = client.at().await?;
		let nonce = client.next_nonce(&operator.account_id()).await?;
		let mut txs = Vec::with_capacity(contracts.len());
		for (n, (&contract_id, hash)) in contracts.iter().zip(hashes).enumerate() {
			let call = chain::tx().smart_contract().confirm_deployment(contract_id, hash);
			txs.push(sign(&at, &call, operator.keypair(), nonce + n as u64)?);
		}
		Ok(Phase { name: "confirm_deployment", kind: Kind::Confirmations(node_id), txs })
	}

	/// The node operator sends `calls` report batches: rounds over `contracts`, 256 a call, each
	/// round one second later than the last (the chain takes reports up to 60 s ahead). Each
	/// report bills [`CONTRACT_CAPACITY`], what the contract declares.
	pub async fn reports(
		client: &Client,
		operator: &Identity,
		contracts: &[u64],
		calls: u32,
	) -> Result<Phase> {
		use chain::runtime_types as rt;
		let at = client.at().await?;
		let now = client.chain_time_secs().await?;
		let nonce = client.next_nonce(&operator.account_id()).await?;
		let chunks: Vec<&[u64]> = contracts.chunks(REPORTS_PER_CALL).collect();
		let mut txs = Vec::with_capacity(calls as usize);
		for n in 0..calls as usize {
			let round = (n / chunks.len()) as u64;
			let reports = chunks[n % chunks.len()]
				.iter()
				.map(|&contract_id| rt::pallet_smart_contract::types::Consumption {
					contract_id,
					timestamp: now + 1 + round.min(50),
					cru: CONTRACT_CAPACITY.cru,
					sru: CONTRACT_CAPACITY.sru,
					hru: CONTRACT_CAPACITY.hru,
					mru: CONTRACT_CAPACITY.mru,
					nru: 1_000_000,
				})
				.collect();
			let call = chain::tx()
				.smart_contract()
				.report_consumption(rt::bounded_collections::bounded_vec::BoundedVec(reports));
			txs.push(sign(&at, &call, operator.keypair(), nonce + n as u64)?);
		}
		Ok(Phase { name: "report_consumption", kind: Kind::Reports, txs })
	}

	/// Send, follow, report.
	pub async fn run(self, client: &Client, stall_secs: u64) -> Result<PhaseReport> {
		Ok(self.run_collecting_contracts(client, stall_secs).await?.0)
	}

	/// Send, follow, report; also the contracts the phase created.
	pub async fn run_collecting_contracts(
		self,
		client: &Client,
		stall_secs: u64,
	) -> Result<(PhaseReport, Vec<u64>)> {
		eprintln!("{}: signing done, sending {}…", self.name, self.txs.len());
		let ceiling = match self.txs.first() {
			Some(tx) => ceiling::of(client, tx).await?,
			None => Ceiling::default(),
		};
		let legacy = LegacyRpcMethods::<RpcConfigFor<Config>>::new(client.rpc().clone());
		let start_block = legacy
			.chain_get_header(None)
			.await?
			.map(|h| h.number)
			.context("the node has no best block")?;

		let started = Instant::now();
		let outcomes: Vec<_> = stream::iter(self.txs.iter())
			.map(|tx| legacy.author_submit_extrinsic(tx))
			.buffer_unordered(IN_FLIGHT)
			.collect()
			.await;
		let send_secs = started.elapsed().as_secs_f64();
		let refusals: Vec<String> =
			outcomes.iter().filter_map(|o| o.as_ref().err().map(|e| e.to_string())).collect();
		let accepted = (outcomes.len() - refusals.len()) as u32;

		let mut counts: BTreeMap<u64, u32> = BTreeMap::new();
		let mut times: BTreeMap<u64, u64> = BTreeMap::new();
		let mut charged: BTreeMap<u64, u64> = BTreeMap::new();
		let mut created = Vec::new();
		let mut items: u64 = 0;
		let mut included: u32 = 0;
		let mut next = start_block;
		let mut last_progress = Instant::now();
		while included < accepted {
			if next > client.finalized_number().await? {
				if last_progress.elapsed() > Duration::from_secs(stall_secs) {
					eprintln!("{}: nothing included for {stall_secs} s; stopping", self.name);
					break;
				}
				tokio::time::sleep(Duration::from_millis(300)).await;
				continue;
			}
			// A block just finalized is sometimes not yet served by number: ask again shortly.
			let mut tries = 0;
			let at = loop {
				match client.api().at_block(next).await {
					Ok(at) => break at,
					Err(e) if tries < 10 => {
						tries += 1;
						eprintln!("{}: block {next} not readable yet ({e}); retrying", self.name);
						tokio::time::sleep(Duration::from_millis(300)).await;
					}
					Err(e) => return Err(e.into()),
				}
			};
			let now: u64 =
				at.storage().fetch(chain::storage().timestamp().now(), ()).await?.decode()?;
			times.insert(next, now);
			if next > start_block {
				let (count, block_items) = self.count(&at, &mut created).await?;
				if count > 0 {
					let weight = at
						.storage()
						.fetch(chain::storage().system().block_weight(), ())
						.await?
						.decode()?;
					charged.insert(next, weight.normal.ref_time);
					counts.insert(next, count);
					included += count;
					items += block_items;
					last_progress = Instant::now();
				}
			}
			next += 1;
		}
		let wall_secs = started.elapsed().as_secs_f64();

		let first_block = counts.keys().next().copied().unwrap_or(start_block);
		let last_block = counts.keys().last().copied().unwrap_or(start_block);
		let blocks = if counts.is_empty() { 0 } else { last_block - first_block + 1 };
		let per_block_counts: Vec<u32> = (first_block..=last_block)
			.filter(|_| blocks > 0)
			.map(|n| counts.get(&n).copied().unwrap_or(0))
			.collect();
		let per_block_weight_ms: Vec<f64> = (first_block..=last_block)
			.filter(|_| blocks > 0)
			.map(|n| charged.get(&n).copied().unwrap_or(0) as f64 / 1e9)
			.collect();
		let fullest = counts.iter().max_by_key(|(n, count)| (**count, std::cmp::Reverse(**n)));
		let ceiling = match fullest {
			Some((n, count)) => ceiling.with_charged(*count, charged.get(n).copied().unwrap_or(0)),
			None => ceiling,
		};
		let span_ms = match (times.get(&first_block.saturating_sub(1)), times.get(&last_block)) {
			(Some(before), Some(last)) if blocks > 0 => last.saturating_sub(*before),
			_ => 0,
		};
		let report = PhaseReport {
			kind: self.name,
			sent: self.txs.len() as u32,
			refused: refusals.len() as u32,
			refusals: refusals.into_iter().take(3).collect(),
			included,
			items_accepted: matches!(self.kind, Kind::Reports).then_some(items),
			first_block,
			last_block,
			blocks,
			per_block: if blocks > 0 { included as f64 / blocks as f64 } else { 0.0 },
			max_per_block: per_block_counts.iter().copied().max().unwrap_or(0),
			per_second: if span_ms > 0 { included as f64 * 1000.0 / span_ms as f64 } else { 0.0 },
			per_block_counts,
			per_block_weight_ms,
			send_secs,
			wall_secs,
			ceiling,
			ratio_to_transfers: None,
		};
		Ok((report, created))
	}

	/// The phase's transactions in one block (distinct extrinsics with a matching event), and
	/// the items they carried (reports accepted).
	async fn count(
		&self,
		at: &OnlineClientAtBlock<Config>,
		created: &mut Vec<u64>,
	) -> Result<(u32, u64)> {
		use chain::{balances::events::Transfer, smart_contract::events as sc};
		let events = at.events().fetch().await?;
		let mut extrinsics = BTreeSet::new();
		let mut items = 0u64;
		for event in events.iter() {
			let event = event?;
			let EventPhase::ApplyExtrinsic(index) = event.phase() else { continue };
			let ours = match &self.kind {
				Kind::Transfers(from) => event
					.decode_fields_as::<Transfer>()
					.transpose()?
					.is_some_and(|t| from.contains(&t.from)),
				Kind::Contracts(node_id) => {
					match event.decode_fields_as::<sc::ContractCreated>().transpose()? {
						Some(c) if c.node_id == Some(*node_id) => {
							created.push(c.contract_id);
							true
						}
						_ => false,
					}
				}
				Kind::Confirmations(node_id) => event
					.decode_fields_as::<sc::ContractDeployed>()
					.transpose()?
					.is_some_and(|d| d.node_id == *node_id),
				Kind::Reports => {
					let received = event.is::<sc::ConsumptionReportReceived>();
					if received {
						items += 1;
					}
					received || event.is::<sc::ConsumptionReportRejected>()
				}
			};
			if ours {
				extrinsics.insert(index);
			}
		}
		Ok((extrinsics.len() as u32, items))
	}
}

/// The deployment hash contract `contract_id` holds.
async fn deployment_hash(client: &Client, contract_id: u64) -> Result<[u8; 32]> {
	let ContractKind::Node { deployment_hash, .. } = client.contract(contract_id).await?.kind
	else {
		anyhow::bail!("contract {contract_id} is not a node contract");
	};
	let bytes = hex::decode(deployment_hash.trim_start_matches("0x"))?;
	bytes
		.try_into()
		.map_err(|_| anyhow::anyhow!("contract {contract_id}'s deployment hash is not 32 bytes"))
}

/// Each phase's rate relative to the transfers'.
pub fn add_ratios(phases: &mut [PhaseReport]) {
	let Some(transfer) = phases.iter().find(|p| p.kind == "transfer").map(|p| p.per_second) else {
		return;
	};
	if transfer <= 0.0 {
		return;
	}
	for phase in phases {
		phase.ratio_to_transfers = Some(phase.per_second / transfer);
	}
}
