//! Writing one indexed event into the batch's transaction, by event family: the registry's
//! twins, farms and nodes; contracts' lives; settlement (reports, bills, grace periods, burns);
//! prices; and blocks, transfers and bills, which `Db::commit` writes in bulk.

mod billing;
mod bulk;
mod context;
mod contracts;
mod pricing;
mod registry;

pub use bulk::{
	insert_bills, insert_blocks, insert_transfers, BillRow, BlockRow, Placeholders, Statements,
	TransferRow,
};
pub use context::EventWrite;
pub use contracts::refresh_node_sums;

use crate::{db::error::Result, fetch::Change};

/// Write `change`: each event to its family.
pub async fn apply(w: &mut EventWrite<'_, '_>, change: &Change) -> Result<()> {
	match change {
		Change::Twin { id, account, pk, relay } => {
			registry::twin(w, *id, account, pk.as_deref(), relay.as_deref()).await
		}
		Change::Farm { id, name, twin_id, pricing_policy_id, dedicated } => {
			registry::farm(w, *id, name, *twin_id, *pricing_policy_id, *dedicated).await
		}
		Change::FarmIpAdded { farm_id, ip, gateway } => {
			registry::farm_ip_added(w, *farm_id, ip, gateway).await
		}
		Change::FarmIpRemoved { farm_id, ip } => registry::farm_ip_removed(w, *farm_id, ip).await,
		Change::FarmDedicated { farm_id, dedicated } => {
			registry::farm_dedicated(w, *farm_id, *dedicated).await
		}
		Change::Node(node) => registry::node(w, node).await,
		Change::NodeDeleted { id } => registry::node_deleted(w, *id).await,
		Change::ContractCreated(record) => contracts::created(w, record).await,
		Change::ContractUpdated { id, version, deployment_hash, deposit, capacity } => {
			contracts::updated(w, *id, *version, deployment_hash.as_deref(), *deposit, capacity)
				.await
		}
		Change::ContractDeployed { id } => contracts::deployed(w, *id).await,
		Change::ContractCanceled { id, cause, unpaid } => {
			contracts::canceled(w, *id, *cause, *unpaid).await
		}
		Change::IpsReserved { contract_id, farm_id: Some(farm_id), ips } => {
			contracts::ips_reserved(w, *contract_id, *farm_id, ips).await
		}
		// The contract is gone by the end of the block: its IPs were freed again in it.
		Change::IpsReserved { farm_id: None, .. } => Ok(()),
		Change::IpsFreed { contract_id, ips } => contracts::ips_freed(w, *contract_id, ips).await,
		Change::ReportAccepted { contract_id, timestamp, window_secs, cost_scaled_uusd, used } => {
			billing::report_accepted(
				w,
				*contract_id,
				*timestamp,
				*window_secs,
				*cost_scaled_uusd,
				*used,
			)
			.await
		}
		Change::ReportRejected { contract_id, reason } => {
			billing::report_rejected(w, *contract_id, *reason).await
		}
		Change::GraceStarted { contract_id, debt } => {
			billing::grace_started(w, *contract_id, *debt).await
		}
		Change::GraceEnded { contract_id } => billing::grace_ended(w, *contract_id).await,
		Change::Burned { amount } => billing::burned(w, *amount).await,
		Change::Price { kind, price_musd } => pricing::price(w, *kind, *price_musd).await,
		// Written in bulk by `commit`.
		Change::Transfer { .. } | Change::Billed { .. } => Ok(()),
	}
}
