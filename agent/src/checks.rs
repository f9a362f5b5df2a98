//! Everything checked before the agent answers a deploy or an update (SPEC §10), each refusal
//! naming its rule.

use crate::{agent::Agent, api::Refusal, capacity, state::Record};
use axum::http::StatusCode;
use gridchain_sdk::{
	deployment::{verify_signatures, verify_update, Deployment},
	named, ContractKind, ContractState, Error,
};
use std::collections::BTreeMap;

fn bad(code: &str, message: impl Into<String>) -> Refusal {
	Refusal::new(StatusCode::BAD_REQUEST, code, message)
}

/// A named error as a refusal: its variant is the code.
fn named_refusal<E: std::fmt::Debug + std::fmt::Display>(status: StatusCode, e: &E) -> Refusal {
	let text = named(e);
	let (code, message) = text.split_once(": ").map_or((text.as_str(), ""), |(c, m)| (c, m));
	Refusal::new(status, code, message)
}

/// Only the owner and the twins a deployment's requirement names may send or read it.
pub fn may_act(requester: u32, doc: &Deployment) -> Result<(), Refusal> {
	if requester == doc.twin_id
		|| doc.signature_requirement.requests.iter().any(|r| r.twin_id == requester)
	{
		return Ok(());
	}
	Err(Refusal::new(
		StatusCode::FORBIDDEN,
		"NotAllowed",
		format!("twin {requester} is neither the deployment's owner nor named in its signature requirement"),
	))
}

/// Check a deploy (`previous` = None) or an update of `doc` from `requester`; returns the
/// contract's public IPs.
pub async fn check(
	agent: &Agent,
	requester: u32,
	doc: &Deployment,
	previous: Option<&Record>,
) -> Result<Vec<gridchain_sdk::ContractIp>, Refusal> {
	doc.validate().map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	if previous.is_none_or(|p| may_act(requester, &p.deployment).is_err()) {
		may_act(requester, doc)?;
	}
	if let Some(previous) = previous {
		Deployment::validate_update(&previous.deployment, doc)
			.map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	}

	let contract = match agent.client.contract(doc.contract_id).await {
		Ok(contract) => contract,
		Err(Error::NotFound { .. }) => {
			return Err(bad(
				"ContractNotFound",
				format!("there is no live contract {}", doc.contract_id),
			))
		}
		Err(e) => return Err(Refusal::unavailable(e)),
	};
	let ContractKind::Node { node_id, deployment_hash, public_ips, .. } = &contract.kind else {
		return Err(bad(
			"NotANodeContract",
			format!("contract {} is not a node contract", contract.id),
		));
	};
	if *node_id != agent.node_id {
		return Err(bad(
			"ContractOfAnotherNode",
			format!(
				"contract {} is for node {node_id}, this is node {}",
				contract.id, agent.node_id
			),
		));
	}
	if contract.twin_id != doc.twin_id {
		return Err(bad(
			"ContractOfAnotherTwin",
			format!(
				"contract {} belongs to twin {}, the deployment to twin {}",
				contract.id, contract.twin_id, doc.twin_id
			),
		));
	}
	if let ContractState::GracePeriod { .. } = contract.state {
		return Err(bad(
			"ContractInGracePeriod",
			format!("contract {} is in its grace period: pay its debt first", contract.id),
		));
	}
	let hash = doc.hash().map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	let computed = format!("0x{}", hex::encode(hash.0));
	if &computed != deployment_hash {
		return Err(bad(
			"HashMismatch",
			format!(
				"the deployment hashes to {computed}; contract {} holds {deployment_hash}",
				contract.id
			),
		));
	}

	let accounts = accounts_of(agent, doc, previous.map(|p| &p.deployment)).await?;
	let lookup = |twin: u32| accounts.get(&twin).copied();
	match previous {
		None => verify_signatures(doc, lookup).map(drop),
		Some(previous) => verify_update(&previous.deployment, doc, lookup).map(drop),
	}
	.map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;

	let needed = doc.capacity();
	if (public_ips.len() as u64) < u64::from(needed.public_ips) {
		return Err(bad(
			"NotEnoughPublicIps",
			format!(
				"the deployment needs {} public IPs; contract {} reserved {}",
				needed.public_ips,
				contract.id,
				public_ips.len()
			),
		));
	}
	let used = agent.reserved(Some(doc.contract_id)).map_err(Refusal::internal)?;
	if !capacity::fits(agent.total, used, capacity::resources(&needed)) {
		return Err(bad(
			"NotEnoughCapacity",
			format!(
				"the deployment needs {needed:?}; the node has {:?} of {:?} in use",
				used, agent.total
			),
		));
	}
	Ok(public_ips.clone())
}

/// The on-chain account of every twin the document (and the previous one) names.
async fn accounts_of(
	agent: &Agent,
	doc: &Deployment,
	previous: Option<&Deployment>,
) -> Result<BTreeMap<u32, [u8; 32]>, Refusal> {
	let mut accounts = BTreeMap::new();
	let docs = std::iter::once(doc).chain(previous);
	let twins: Vec<u32> = docs
		.flat_map(|d| {
			let r = &d.signature_requirement;
			r.requests
				.iter()
				.map(|q| q.twin_id)
				.chain(r.signatures.iter().map(|s| s.twin_id))
				.collect::<Vec<_>>()
		})
		.collect();
	for twin in twins {
		if accounts.contains_key(&twin) {
			continue;
		}
		match agent.client.twin_account(twin).await {
			Ok(account) => {
				accounts.insert(twin, account.0);
			}
			Err(Error::NotFound { .. }) => {}
			Err(e) => return Err(Refusal::unavailable(e)),
		}
	}
	Ok(accounts)
}
