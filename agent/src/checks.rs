//! Everything checked before the agent answers a deploy or an update (SPEC §10), each refusal
//! naming its rule.

use crate::{agent::Agent, capacity, refusal::Refusal, state::Record};
use axum::http::StatusCode;
use gridchain_sdk::{
	agent::Preflight,
	deployment::{verify_signatures, verify_update, Deployment, Rule},
	ContractKind, ContractState, Error, Resources,
};

fn bad(code: &str, message: impl Into<String>) -> Refusal {
	Refusal::new(StatusCode::BAD_REQUEST, code, message)
}

/// A deployment error as a refusal: the rule it breaks is the code.
fn named_refusal<E: Rule>(status: StatusCode, e: &E) -> Refusal {
	Refusal::new(status, e.rule(), e.to_string())
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
	check_document(agent, requester, doc, previous)?;
	let contract = live_contract(agent, doc).await?;
	let hash = doc.hash().map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	let computed = format!("0x{}", hex::encode(hash.0));
	if computed != contract.hash {
		return Err(bad(
			"HashMismatch",
			format!(
				"the deployment hashes to {computed}; contract {} holds {}",
				doc.contract_id, contract.hash
			),
		));
	}
	let reserves = Resources::from(doc.capacity());
	if reserves != contract.declared {
		return Err(bad(
			"CapacityMismatch",
			format!(
				"the document reserves {reserves}, but contract {} declares {}: a contract must declare what its document reserves",
				doc.contract_id, contract.declared
			),
		));
	}
	check_signatures(agent, doc, previous).await?;
	check_ips(doc, contract.public_ips.len())?;
	Ok(contract.public_ips)
}

/// The pre-flight of a deploy (`previous` = None) or an update (`POST /v1/deployments/check`,
/// `PUT /v1/deployments/{id}/check`): every check [`check`] and [`check_capacity`] make that
/// does not need the document's hash on chain, with the same refusals. A client runs it before
/// it changes the chain, so a document the node would refuse costs nothing anywhere.
pub async fn preflight(
	agent: &Agent,
	requester: u32,
	doc: &Deployment,
	previous: Option<&Record>,
) -> Result<Preflight, Refusal> {
	check_document(agent, requester, doc, previous)?;
	check_signatures(agent, doc, previous).await?;
	let needed = Resources::from(doc.capacity());
	// What the chain will let a contract declare on this node: its free capacity, plus, for an
	// update, what the contract declares now.
	let mut chain_free =
		agent.client.free_resources(agent.node_id).await.map_err(Refusal::unavailable)?;
	match previous {
		None => {
			let node = agent.client.node(agent.node_id).await.map_err(Refusal::unavailable)?;
			let farm = agent.client.farm(node.farm_id).await.map_err(Refusal::unavailable)?;
			let free_ips = farm.public_ips.iter().filter(|ip| ip.contract_id == 0).count();
			if free_ips < doc.capacity().public_ips as usize {
				return Err(bad(
					"NotEnoughPublicIps",
					format!(
						"the deployment needs {} public IPs; farm {} has {free_ips} free",
						doc.capacity().public_ips,
						farm.id
					),
				));
			}
		}
		Some(_) => {
			let contract = live_contract(agent, doc).await?;
			check_ips(doc, contract.public_ips.len())?;
			chain_free = chain_free.saturating_add(&contract.declared);
		}
	}
	if let Some(short) = capacity::shortfall(chain_free, Resources::default(), needed) {
		return Err(bad(
			"NotEnoughCapacity",
			format!("the node has too little free capacity: {short}"),
		));
	}
	check_capacity(agent, doc)?;
	let hash = doc.hash().map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))?;
	Ok(Preflight {
		hash: format!("0x{}", hex::encode(hash.0)),
		capacity: needed,
		public_ips: doc.capacity().public_ips,
	})
}

/// The document on its own: valid (§9.1), runnable by this node's provisioner, sent by a twin
/// who may, and on an update following the version rules against what the node runs.
fn check_document(
	agent: &Agent,
	requester: u32,
	doc: &Deployment,
	previous: Option<&Record>,
) -> Result<(), Refusal> {
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
	Ok(())
}

/// What the chain holds for a document's contract.
struct LiveContract {
	hash: String,
	declared: Resources,
	public_ips: Vec<gridchain_sdk::ContractIp>,
}

/// The document's contract: live, a node contract of this node, of the document's twin, not in
/// grace.
async fn live_contract(agent: &Agent, doc: &Deployment) -> Result<LiveContract, Refusal> {
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
		contract.kind
	else {
		return Err(bad(
			"NotANodeContract",
			format!("contract {} is not a node contract", contract.id),
		));
	};
	if node_id != agent.node_id {
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
	Ok(LiveContract { hash: deployment_hash, declared, public_ips })
}

/// The signatures satisfy the requirement (§9.4; on an update the old one too).
async fn check_signatures(
	agent: &Agent,
	doc: &Deployment,
	previous: Option<&Record>,
) -> Result<(), Refusal> {
	let docs: Vec<&Deployment> =
		std::iter::once(doc).chain(previous.map(|p| &p.deployment)).collect();
	let accounts = agent.accounts.of_requirements(&agent.client, &docs).await?;
	let lookup = |twin: u32| accounts.get(&twin).copied();
	match previous {
		None => verify_signatures(doc, lookup).map(drop),
		Some(previous) => verify_update(&previous.deployment, doc, lookup).map(drop),
	}
	.map_err(|e| named_refusal(StatusCode::BAD_REQUEST, &e))
}

/// The contract reserved at least the document's public IPs.
fn check_ips(doc: &Deployment, reserved: usize) -> Result<(), Refusal> {
	let needed = doc.capacity().public_ips;
	if (reserved as u64) < u64::from(needed) {
		return Err(bad(
			"NotEnoughPublicIps",
			format!(
				"the deployment needs {needed} public IPs; contract {} reserved {reserved}",
				doc.contract_id
			),
		));
	}
	Ok(())
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
