//! Deployments on chain: a document validated, hashed and encrypted into a node contract, and
//! read back from the chain alone.

use crate::{
	named,
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

/// What the node runs, as the next version: the document that un-strands a contract.
#[derive(Debug, Clone)]
pub struct Restoration {
	/// What the node runs, numbered `running_version + 1` and signed by the owner.
	pub document: Deployment,
	/// The version the node runs.
	pub running_version: u32,
	/// Whether the owner's signature is enough; if not, the running requirement's co-signers
	/// sign `document` too (`grid deployment sign`) before it is sent.
	pub complete: bool,
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
	/// it. If the node refuses once the chain holds the new hash (its capacity went meanwhile, it
	/// cannot be reached), the answer is [`Error::Stranded`]: the contract stays unconfirmed until
	/// a document the node takes is put on it, such as [`Client::restore_document`]'s.
	pub async fn redeploy(
		&self,
		owner: &crate::Identity,
		doc: &Deployment,
		extra_recipients: &[String],
		wait_for: std::time::Duration,
	) -> Result<(u32, crate::agent::DeploymentStatus)> {
		let node_id = self.node_of_contract(doc.contract_id).await?;
		let agent = self.agent_of_node(node_id).await?;
		let requester = self.own_twin_id(&owner.account_id()).await?;
		agent.check_update(owner, requester, doc).await?;
		let version =
			self.update_deployment(owner.keypair(), doc.contract_id, doc, extra_recipients).await?;
		let status = match agent.update(owner, requester, doc).await.and_then(failed_workloads) {
			Ok(status) => status,
			Err(refusal) => {
				let running = agent.status(owner, requester, doc.contract_id).await;
				return Err(Error::Stranded {
					contract_id: doc.contract_id,
					node_id,
					version: doc.version,
					running_version: running.ok().map(|s| s.deployment.version),
					refusal: Box::new(refusal),
				});
			}
		};
		self.wait_until_deployed(doc.contract_id, wait_for).await?;
		Ok((version, status))
	}

	/// The node a node contract is on.
	async fn node_of_contract(&self, contract_id: u64) -> Result<u32> {
		match self.contract(contract_id).await?.kind {
			ContractKind::Node { node_id, .. } => Ok(node_id),
			_ => Err(Error::input(
				"contract_id",
				format!("contract {contract_id} is not a node contract"),
			)),
		}
	}

	/// The deployment the node of contract `contract_id` runs, as its agent says
	/// (`GET /v1/deployments/{id}`): the document an update is numbered from. A node is a stranger
	/// to its tenant, so the answer is checked: it is this contract's, `owner`'s twin is named in
	/// its requirement, and its signatures verify with the accounts on chain — either they satisfy
	/// its requirement, or `owner` signed it.
	pub async fn running_deployment(
		&self,
		owner: &crate::Identity,
		contract_id: u64,
	) -> Result<Deployment> {
		let node_id = self.node_of_contract(contract_id).await?;
		let requester = self.own_twin_id(&owner.account_id()).await?;
		let agent = self.agent_of_node(node_id).await?;
		let running = agent.status(owner, requester, contract_id).await?.deployment;
		let untrusted = |why: String| {
			Error::Untrusted(format!(
				"node {node_id} says it runs a deployment of contract {contract_id} that {why}"
			))
		};
		if running.contract_id != contract_id {
			return Err(untrusted(format!("names contract {}", running.contract_id)));
		}
		if !running.signature_requirement.requests.iter().any(|r| r.twin_id == requester) {
			return Err(untrusted(format!("does not name twin {requester} among its signers")));
		}
		let hash = running.hash().map_err(Error::deployment)?;
		let accounts = self.signer_accounts(&[&running]).await?;
		let account_of = |twin: u32| accounts.get(&twin).copied();
		let signed_by_owner = running.signature_requirement.signatures.iter().any(|s| {
			s.twin_id == requester && account_of(requester).is_some_and(|a| s.verify(&hash, &a))
		});
		if !signed_by_owner {
			if let Err(e) = gridchain_deployment::verify_signatures(&running, account_of) {
				return Err(untrusted(format!("its signers did not sign ({})", named(&e))));
			}
		}
		Ok(running)
	}

	/// The way back from [`Error::Stranded`]: the document node of contract `contract_id` runs,
	/// as the next version (workloads unchanged keep their versions), signed by `owner`. The
	/// contract's document on chain, decrypted with `owner`'s key, must be the refused one: the
	/// version right after the running one, with another hash; so a node cannot pass off an
	/// older document it once ran.
	pub async fn restore_document(
		&self,
		owner: &crate::Identity,
		contract_id: u64,
	) -> Result<Restoration> {
		let running = self.running_deployment(owner, contract_id).await?;
		let on_chain = self.read_deployment(contract_id, owner.age()).await?;
		let running_hash = running.hash().map_err(Error::deployment)?;
		if on_chain.hash().map_err(Error::deployment)? == running_hash {
			return Err(Error::input(
				"contract_id",
				format!(
					"contract {contract_id} already holds what its node runs (version {})",
					running.version
				),
			));
		}
		let next = running.version.checked_add(1).ok_or_else(|| {
			Error::input("version", format!("version {} has no next version", running.version))
		})?;
		if on_chain.version != next {
			return Err(Error::Untrusted(format!(
				"contract {contract_id} holds version {} and its node says it runs version {}: \
				 only the version right before the chain's can be put back",
				on_chain.version, running.version
			)));
		}
		let mut document = Deployment { version: next, ..running.clone() };
		document.signature_requirement.signatures.clear();
		let hash = document.hash().map_err(Error::deployment)?;
		let requester = self.own_twin_id(&owner.account_id()).await?;
		document.add_signature(gridchain_deployment::Signature::sr25519(
			requester,
			owner.sign(&hash.0),
		));
		let accounts = self.signer_accounts(&[&running, &document]).await?;
		let complete = gridchain_deployment::verify_update(&running, &document, |twin| {
			accounts.get(&twin).copied()
		})
		.is_ok();
		Ok(Restoration { document, running_version: running.version, complete })
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
