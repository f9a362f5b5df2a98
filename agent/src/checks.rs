//! Everything checked before the agent answers a deploy or an update (SPEC §10), each refusal
//! naming its rule.

use crate::{agent::Agent, api::Refusal, capacity, state::Record};
use axum::http::StatusCode;
use gridchain_sdk::{
	deployment::{verify_signatures, verify_update, Deployment},
	named, ContractKind, ContractState, Error, Resources,
};

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

/// Check a deploy (`previous` = None) or an update of `doc` from `requester`, everything but
/// the node's free capacity ([`check_capacity`]); returns the contract's public IPs. It reads the
/// chain, so it runs before the change lock is taken.
pub async fn check(
	agent: &Agent,
	requester: u32,
	doc: &Deployment,
	previous: Option<&Record>,
) -> Result<Vec<gridchain_sdk::ContractIp>, Refusal> {
	doc.validate().map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	tokio::task::block_in_place(|| agent.provisioner.check(doc))
		.map_err(|(code, message)| bad(code, message))?;
	if previous.is_none_or(|p| may_act(requester, &p.deployment).is_err()) {
		may_act(requester, doc)?;
	}
	if let Some(previous) = previous {
		Deployment::validate_update(&previous.deployment, doc)
			.map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
		refuse_shrunk_disks(&previous.deployment, doc)?;
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
	let ContractKind::Node { node_id, deployment_hash, public_ips, capacity: declared, .. } =
		&contract.kind
	else {
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

	let needed = doc.capacity();
	let reserves = Resources::from(needed);

	if reserves != *declared {
		return Err(bad(
			"CapacityMismatch",
			format!(
				"the document reserves {reserves}, but contract {} declares {declared}: a contract must declare what its document reserves",
				contract.id
			),
		));
	}

	let docs: Vec<&Deployment> =
		std::iter::once(doc).chain(previous.map(|p| &p.deployment)).collect();
	let accounts = agent.accounts.of_requirements(&agent.client, &docs).await?;
	let lookup = |twin: u32| accounts.get(&twin).copied();
	match previous {
		None => verify_signatures(doc, lookup).map(drop),
		Some(previous) => verify_update(&previous.deployment, doc, lookup).map(drop),
	}
	.map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;

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
	Ok(public_ips.clone())
}

/// The node has room for `doc` beside every other deployment it holds; under the change lock,
/// so two deployments cannot both take the last of it.
pub fn check_capacity(agent: &Agent, doc: &Deployment) -> Result<(), Refusal> {
	let used = agent.reserved(Some(doc.contract_id)).map_err(Refusal::internal)?;
	// The chain refuses a contract its node has no room for; this guards what the chain cannot
	// see, such as a deployment still running the larger document of a contract shrunk since.
	if let Some(short) = capacity::shortfall(agent.total, used, doc.capacity().into()) {
		return Err(bad(
			"NotEnoughCapacity",
			format!("the node has too little free capacity: {short}"),
		));
	}
	Ok(())
}

/// A disk keeps its data across an update, so it may grow but not shrink.
fn refuse_shrunk_disks(old: &Deployment, new: &Deployment) -> Result<(), Refusal> {
	use gridchain_sdk::deployment::WorkloadData::Disk;
	for w in &new.workloads {
		let (Disk(now), Some(Disk(before))) = (&w.data, old.workload(&w.name).map(|o| &o.data))
		else {
			continue;
		};
		if now.size < before.size {
			return Err(bad(
				"DiskShrunk",
				format!(
					"disk {} would shrink from {} to {} bytes and lose data: a disk can only grow",
					w.name, before.size, now.size
				),
			));
		}
	}
	Ok(())
}
