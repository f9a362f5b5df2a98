//! Deployments on chain: a document validated, hashed and encrypted into a node contract, and
//! read back from the chain alone.

use crate::{
	types::{ContractKind, CreatedContract, Resources},
	Client, Error, Result,
};
use gridchain_deployment::{AgeIdentity, Deployment};
use subxt_signer::sr25519::Keypair;

/// A deployment ready for the chain: its hash, its encrypted bytes and what it reserves.
pub struct SealedDeployment {
	pub hash: [u8; 32],
	pub data: Vec<u8>,
	/// Public IPs the contract must reserve.
	pub public_ips: u32,
	/// The capacity the contract declares (SPEC §9.2): the node agent refuses a document whose
	/// capacity differs from its contract's.
	pub capacity: Resources,
}

impl Client {
	/// Validate `doc`, hash it and encrypt it to its owner twin's key (from the chain) and to
	/// `extra_recipients`; refuses a document over 8 KiB encrypted before anything is sent.
	pub async fn seal_deployment(
		&self,
		doc: &Deployment,
		extra_recipients: &[String],
	) -> Result<SealedDeployment> {
		doc.validate().map_err(Error::deployment)?;
		let hash = doc.hash().map_err(Error::deployment)?;
		let owner_pk = self.twin_pk(doc.twin_id).await?.ok_or_else(|| {
			Error::input(
				"twin_id",
				format!(
					"twin {} has no encryption key on chain: set one with `grid twin update --pk`",
					doc.twin_id
				),
			)
		})?;
		let data = gridchain_deployment::encrypt(doc, owner_pk, extra_recipients)
			.map_err(Error::deployment)?;
		let capacity = doc.capacity();
		Ok(SealedDeployment {
			hash: hash.0,
			data,
			public_ips: capacity.public_ips,
			capacity: capacity.into(),
		})
	}

	/// Create a node contract for `doc` on `node_id`, reserving the public IPs it needs and
	/// declaring the capacity it reserves.
	pub async fn create_deployment(
		&self,
		owner: &Keypair,
		node_id: u32,
		doc: &Deployment,
		extra_recipients: &[String],
	) -> Result<CreatedContract> {
		let sealed = self.seal_deployment(doc, extra_recipients).await?;
		self.create_node_contract(
			owner,
			node_id,
			sealed.hash,
			sealed.data,
			sealed.public_ips,
			sealed.capacity,
		)
		.await
	}

	/// Replace the deployment of contract `contract_id` with `doc`, and the capacity the contract
	/// declares with `doc`'s; returns the contract's version.
	pub async fn update_deployment(
		&self,
		owner: &Keypair,
		contract_id: u64,
		doc: &Deployment,
		extra_recipients: &[String],
	) -> Result<u32> {
		let sealed = self.seal_deployment(doc, extra_recipients).await?;
		self.update_node_contract(owner, contract_id, sealed.hash, sealed.data, sealed.capacity)
			.await
	}

	/// Rebuild a contract's deployment from the chain alone: decrypt its `deployment_data` with
	/// `identity` and check that the document hashes to the contract's `deployment_hash`.
	pub async fn read_deployment(
		&self,
		contract_id: u64,
		identity: &AgeIdentity,
	) -> Result<Deployment> {
		let contract = self.contract(contract_id).await?;
		let ContractKind::Node { deployment_hash, deployment_data, .. } = contract.kind else {
			return Err(Error::input(
				"contract",
				format!("contract {contract_id} is not a node contract"),
			));
		};
		let doc =
			gridchain_deployment::decrypt(&deployment_data, identity).map_err(Error::deployment)?;
		let hash = doc.hash().map_err(Error::deployment)?;
		let computed = crate::types::hex0x(&hash.0);
		if computed != deployment_hash {
			return Err(Error::Deployment(format!(
				"the decrypted deployment hashes to {computed}, the contract says {deployment_hash}"
			)));
		}
		Ok(doc)
	}
}

/// A node's answer with a workload in `error` is a refusal too: it names the workload.
fn failed_workloads(
	status: crate::agent::DeploymentStatus,
) -> Result<crate::agent::DeploymentStatus> {
	match status.workloads.iter().find(|w| w.state == crate::agent::WorkloadState::Error) {
		Some(w) => Err(Error::Agent {
			code: "WorkloadFailed".into(),
			message: format!("workload {}: {}", w.name, w.message),
		}),
		None => Ok(status),
	}
}

impl Client {
	/// The whole deploy: ask the node's agent (its twin's relay) whether it would take `doc`
	/// (the pre-flight: a refusal changes nothing anywhere), create the contract, send the signed
	/// document, and wait until the node confirms it on chain. If the agent still refuses, the
	/// contract just created is cancelled, so nothing is left behind.
	pub async fn deploy(
		&self,
		owner: &crate::Identity,
		node_id: u32,
		doc: &mut Deployment,
		extra_recipients: &[String],
		wait_for: std::time::Duration,
	) -> Result<(CreatedContract, crate::agent::DeploymentStatus)> {
		let agent = self.agent_of_node(node_id).await?;
		let requester = self.own_twin_id(&owner.account_id()).await?;
		agent.check_deploy(owner, requester, doc).await?;
		let created =
			self.create_deployment(owner.keypair(), node_id, doc, extra_recipients).await?;
		doc.contract_id = created.contract_id;
		let outcome = match agent.deploy(owner, requester, doc).await {
			Ok(status) => failed_workloads(status),
			Err(refusal) => Err(refusal),
		};
		let status = match outcome {
			Ok(status) => status,
			Err(refusal) => {
				if let Err(e) = self.cancel_contract(owner.keypair(), created.contract_id).await {
					tracing::warn!(
						"the node refused and contract {} could not be cancelled: {e}",
						created.contract_id
					);
				}
				return Err(refusal);
			}
		};
		self.wait_until_deployed(created.contract_id, wait_for).await?;
		Ok((created, status))
	}

	/// Update a deployment on chain and on its node: the node's agent is asked first whether it
	/// would take the new document (a refusal changes nothing anywhere), then the contract takes
	/// the new hash and data, the agent the new document, and this waits until the node confirms
	/// it.
	pub async fn redeploy(
		&self,
		owner: &crate::Identity,
		doc: &Deployment,
		extra_recipients: &[String],
		wait_for: std::time::Duration,
	) -> Result<(u32, crate::agent::DeploymentStatus)> {
		let ContractKind::Node { node_id, .. } = self.contract(doc.contract_id).await?.kind else {
			return Err(Error::input(
				"contract_id",
				format!("contract {} is not a node contract", doc.contract_id),
			));
		};
		let agent = self.agent_of_node(node_id).await?;
		let requester = self.own_twin_id(&owner.account_id()).await?;
		agent.check_update(owner, requester, doc).await?;
		let version =
			self.update_deployment(owner.keypair(), doc.contract_id, doc, extra_recipients).await?;
		let status = failed_workloads(agent.update(owner, requester, doc).await?)?;
		self.wait_until_deployed(doc.contract_id, wait_for).await?;
		Ok((version, status))
	}

	/// The agent client of a node: its twin's relay.
	pub async fn agent_of_node(&self, node_id: u32) -> Result<crate::agent::AgentClient> {
		let node = self.node(node_id).await?;
		let relay = self.twin(node.twin_id).await?.relay.ok_or_else(|| {
			Error::input(
				"node",
				format!("node {node_id}'s twin has no relay: its agent cannot be reached"),
			)
		})?;
		Ok(crate::agent::AgentClient::new(&relay))
	}

	/// Wait until contract `contract_id` is `Deployed` on chain (finalized), at most `timeout`.
	pub async fn wait_until_deployed(
		&self,
		contract_id: u64,
		timeout: std::time::Duration,
	) -> Result<()> {
		let deadline = std::time::Instant::now() + timeout;
		loop {
			if self.contract(contract_id).await?.state == crate::ContractState::Deployed {
				return Ok(());
			}
			if std::time::Instant::now() > deadline {
				return Err(Error::Client(format!(
					"contract {contract_id} was not confirmed by its node within {timeout:?}"
				)));
			}
			tokio::time::sleep(std::time::Duration::from_millis(250)).await;
		}
	}
}
