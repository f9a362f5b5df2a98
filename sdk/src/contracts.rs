//! Node, name and rent contracts, consumption reports and bills: the `SmartContract` pallet.

use crate::{
	chain::{self, runtime_types as rt},
	types::{
		hex0x, text, Bill, Contract, ContractIp, ContractKind, ContractState, CreatedContract,
		Resources,
	},
	Client, Error, Receipt, Result,
};
use subxt_signer::sr25519::Keypair;

/// One consumption report of a node for one contract (SPEC §6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consumption {
	pub contract_id: u64,
	/// Unix seconds.
	pub timestamp: u64,
	pub used: Resources,
	/// Network bytes since the previous report.
	pub nru: u64,
}

/// What the chain did with a batch of reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReportOutcome {
	/// Contracts whose report was taken.
	pub received: Vec<u64>,
	/// Contracts whose report was skipped, with the reason: `NotANodeContractOfThisNode`,
	/// `TimestampNotAfterPrevious`, `TimestampInFuture`, `ExceedsContractCapacity` or
	/// `NeverDeployed`.
	pub rejected: Vec<(u64, String)>,
}

/// A contract's bills found in a range of blocks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Bills {
	pub contract_id: u64,
	/// The first block read.
	pub from_block: u64,
	/// The last block read: the finalized head.
	pub to_block: u64,
	pub bills: Vec<Bill>,
}

/// At most this many reports go in one `report_consumption` call.
pub const MAX_REPORTS_PER_CALL: usize = 256;

fn contract_ips(ips: Vec<rt::pallet_smart_contract::types::ContractIp>) -> Vec<ContractIp> {
	ips.into_iter()
		.map(|ip| ContractIp { ip: text(&ip.ip.0), gateway: text(&ip.gateway.0) })
		.collect()
}

fn created(receipt: &Receipt) -> Result<CreatedContract> {
	let event = receipt
		.expect_event::<chain::smart_contract::events::ContractCreated>("ContractCreated")?;
	Ok(CreatedContract {
		contract_id: event.contract_id,
		public_ips: contract_ips(event.public_ips),
		deposit: event.deposit,
		capacity: event.capacity.into(),
	})
}

impl Client {
	/// Create a node contract: the deployment's hash, the deployment encrypted (at most 8 KiB),
	/// `public_ips` IPs reserved from the node's farm, and the `capacity` the deployment reserves
	/// (SPEC §9.2), which the node's free capacity must cover. [`Client::create_deployment`]
	/// builds these from a document.
	pub async fn create_node_contract(
		&self,
		signer: &Keypair,
		node_id: u32,
		deployment_hash: [u8; 32],
		deployment_data: Vec<u8>,
		public_ips: u32,
		capacity: Resources,
	) -> Result<CreatedContract> {
		let call = chain::tx().smart_contract().create_node_contract(
			node_id,
			deployment_hash,
			deployment_data,
			public_ips,
			capacity.into(),
		);
		created(&self.submit(&call, signer).await?)
	}

	/// Replace a node contract's deployment and its declared `capacity` (what grows must fit the
	/// node's free capacity); returns the contract's new version.
	pub async fn update_node_contract(
		&self,
		signer: &Keypair,
		contract_id: u64,
		deployment_hash: [u8; 32],
		deployment_data: Vec<u8>,
		capacity: Resources,
	) -> Result<u32> {
		let call = chain::tx().smart_contract().update_node_contract(
			contract_id,
			deployment_hash,
			deployment_data,
			capacity.into(),
		);
		let receipt = self.submit(&call, signer).await?;
		Ok(receipt
			.expect_event::<chain::smart_contract::events::ContractUpdated>("ContractUpdated")?
			.version)
	}

	/// Cancel a contract (its owner, or the node for a node contract); returns what it still
	/// owed and could not pay, in TFT units.
	pub async fn cancel_contract(&self, signer: &Keypair, contract_id: u64) -> Result<u128> {
		let receipt =
			self.submit(&chain::tx().smart_contract().cancel_contract(contract_id), signer).await?;
		Ok(receipt
			.expect_event::<chain::smart_contract::events::ContractCanceled>("ContractCanceled")?
			.unpaid)
	}

	/// Reserve a unique name on the grid.
	pub async fn create_name_contract(
		&self,
		signer: &Keypair,
		name: &str,
	) -> Result<CreatedContract> {
		let call = chain::tx().smart_contract().create_name_contract(name.as_bytes().to_vec());
		created(&self.submit(&call, signer).await?)
	}

	/// Rent a whole node.
	pub async fn create_rent_contract(
		&self,
		signer: &Keypair,
		node_id: u32,
	) -> Result<CreatedContract> {
		created(
			&self
				.submit(&chain::tx().smart_contract().create_rent_contract(node_id), signer)
				.await?,
		)
	}

	/// The node confirms that it deployed `deployment_hash` for `contract_id`.
	pub async fn confirm_deployment(
		&self,
		node_key: &Keypair,
		contract_id: u64,
		deployment_hash: [u8; 32],
	) -> Result<()> {
		let call = chain::tx().smart_contract().confirm_deployment(contract_id, deployment_hash);
		self.submit(&call, node_key).await.map(drop)
	}

	/// The node reports consumption, at most [`MAX_REPORTS_PER_CALL`] reports.
	pub async fn report_consumption(
		&self,
		node_key: &Keypair,
		reports: &[Consumption],
	) -> Result<ReportOutcome> {
		if reports.len() > MAX_REPORTS_PER_CALL {
			return Err(Error::input(
				"reports",
				format!("{} reports, at most {MAX_REPORTS_PER_CALL} per call", reports.len()),
			));
		}
		let reports = reports
			.iter()
			.map(|r| rt::pallet_smart_contract::types::Consumption {
				contract_id: r.contract_id,
				timestamp: r.timestamp,
				cru: r.used.cru,
				sru: r.used.sru,
				hru: r.used.hru,
				mru: r.used.mru,
				nru: r.nru,
			})
			.collect();
		let call = chain::tx()
			.smart_contract()
			.report_consumption(rt::bounded_collections::bounded_vec::BoundedVec(reports));
		let receipt = self.submit(&call, node_key).await?;
		let mut outcome = ReportOutcome::default();
		for e in receipt.find_all::<chain::smart_contract::events::ConsumptionReportReceived>()? {
			outcome.received.push(e.contract_id);
		}
		for e in receipt.find_all::<chain::smart_contract::events::ConsumptionReportRejected>()? {
			outcome.rejected.push((e.contract_id, format!("{:?}", e.reason)));
		}
		Ok(outcome)
	}

	/// Settle a contract now (anyone may): it pays what it owes, leaving grace if it can.
	pub async fn settle_contract(&self, signer: &Keypair, contract_id: u64) -> Result<()> {
		self.submit(&chain::tx().smart_contract().settle_contract(contract_id), signer)
			.await
			.map(drop)
	}

	/// Cancel any contract (restricted origin, through `Sudo`).
	pub async fn cancel_contract_collective(
		&self,
		sudo_key: &Keypair,
		contract_id: u64,
	) -> Result<()> {
		let call = chain::Call::SmartContract(
			rt::pallet_smart_contract::pallet::Call::cancel_contract_collective { contract_id },
		);
		self.sudo(sudo_key, call).await
	}

	/// Bill every `blocks` blocks (restricted origin, through `Sudo`).
	pub async fn set_billing_frequency(&self, sudo_key: &Keypair, blocks: u32) -> Result<()> {
		let call = chain::Call::SmartContract(
			rt::pallet_smart_contract::pallet::Call::set_billing_frequency { blocks },
		);
		self.sudo(sudo_key, call).await
	}

	/// Set the grace period in blocks (restricted origin, through `Sudo`).
	pub async fn set_grace_period(&self, sudo_key: &Keypair, blocks: u32) -> Result<()> {
		let call =
			chain::Call::SmartContract(rt::pallet_smart_contract::pallet::Call::set_grace_period {
				blocks,
			});
		self.sudo(sudo_key, call).await
	}

	/// A contract by id.
	pub async fn contract(&self, contract_id: u64) -> Result<Contract> {
		let at = self.at().await?;
		let value = at
			.storage()
			.try_fetch(chain::storage().smart_contract().contracts(), (contract_id,))
			.await?;
		let c = value
			.ok_or(Error::NotFound { what: "contract", id: contract_id.to_string() })?
			.decode()?;
		use rt::pallet_smart_contract::types::{Cause, ContractState as S, ContractType as T};
		let state = match c.state {
			S::Created => ContractState::Created,
			S::Deployed => ContractState::Deployed,
			S::GracePeriod(since_block) => ContractState::GracePeriod { since_block },
			S::Deleted(cause) => ContractState::Deleted {
				cause: match cause {
					Cause::CanceledByUser => "canceled_by_user",
					Cause::CanceledByNode => "canceled_by_node",
					Cause::CanceledByCollective => "canceled_by_collective",
					Cause::OutOfFunds => "out_of_funds",
				}
				.into(),
			},
		};
		let kind = match c.contract_type {
			T::Node(n) => ContractKind::Node {
				node_id: n.node_id,
				deployment_hash: hex0x(&n.deployment_hash),
				deployment_data_size: n.deployment_data.0.len(),
				deployment_data: n.deployment_data.0,
				public_ips: contract_ips(n.public_ips_list.0),
				capacity: n.capacity.into(),
			},
			T::Name { name } => ContractKind::Name { name: text(&name.0) },
			T::Rent { node_id } => ContractKind::Rent { node_id },
		};
		Ok(Contract { id: c.contract_id, version: c.version, twin_id: c.twin_id, state, kind })
	}

	/// The ids of a twin's live contracts, in order.
	pub async fn contracts_of_twin(&self, twin_id: u32) -> Result<Vec<u64>> {
		let at = self.at().await?;
		let mut entries = at
			.storage()
			.iter(chain::storage().smart_contract().contracts_by_twin(), (twin_id,))
			.await?;
		let mut ids = Vec::new();
		while let Some(entry) = entries.next().await {
			let (_, contract_id): (u32, u64) = entry?.key()?.decode()?;
			ids.push(contract_id);
		}
		ids.sort_unstable();
		Ok(ids)
	}

	/// The ids of a node's live node contracts, in order.
	pub async fn contracts_of_node(&self, node_id: u32) -> Result<Vec<u64>> {
		let at = self.at().await?;
		let mut entries = at
			.storage()
			.iter(chain::storage().smart_contract().contracts_by_node(), (node_id,))
			.await?;
		let mut ids = Vec::new();
		while let Some(entry) = entries.next().await {
			ids.push(entry?.value().decode()?);
		}
		ids.sort_unstable();
		Ok(ids)
	}

	/// A contract's bills (`ContractBilled` events) in the last `blocks` finalized blocks, oldest
	/// first. Without an indexer this reads every block in the range.
	pub async fn bills(&self, contract_id: u64, blocks: u64) -> Result<Bills> {
		let head = self.finalized_number().await?;
		let from_block = head.saturating_sub(blocks.saturating_sub(1)).max(1);
		let mut bills = Vec::new();
		for number in from_block..=head {
			let at = self.api.at_block(number).await?;
			let events = at.events().fetch().await?;
			for billed in events.find::<chain::smart_contract::events::ContractBilled>() {
				let billed = billed?;
				if billed.contract_id == contract_id {
					bills.push(Bill {
						block: number,
						contract_id,
						amount: billed.amount,
						discount_level: format!("{:?}", billed.discount_level),
						time: None,
					});
				}
			}
		}
		Ok(Bills { contract_id, from_block, to_block: head, bills })
	}
}
