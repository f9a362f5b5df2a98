//! `grid deployment`: write, hash, sign and verify deployment documents (SPEC §9).

use crate::{
	args::{DeploymentCommand, DiskKindArg},
	ctx::Ctx,
	env_file::environment,
	fail::{input, CmdResult, Failure},
	private_file::write_private,
};
use gridchain_sdk::{
	deployment::{
		verify_signatures, Deployment, DiskData, DiskKind, Mount, PublicIpData, Signature,
		SignatureRequest, SignatureRequirement, VmData, Workload, WorkloadData,
	},
	named,
};
use serde_json::json;
use std::path::Path;

/// What a node reports of each workload, as a table.
pub fn workloads_table(workloads: &[gridchain_sdk::agent::WorkloadResult]) -> String {
	let rows = workloads
		.iter()
		.map(|w| vec![w.name.clone(), format!("{:?}", w.state).to_lowercase(), w.message.clone()])
		.collect();
	crate::output::table(&["WORKLOAD", "STATE", "MESSAGE"], rows)
}

/// `TWIN[:WEIGHT[:required]]` as a signature request.
fn parse_signer(text: &str) -> CmdResult<SignatureRequest> {
	let mut parts = text.split(':');
	let bad = || input("--signer", format!("`{text}` is not TWIN[:WEIGHT[:required]]"));
	let twin_id = parts.next().and_then(|t| t.parse().ok()).ok_or_else(bad)?;
	let weight = match parts.next() {
		Some(w) => w.parse().map_err(|_| bad())?,
		None => 1,
	};
	let required = match parts.next() {
		Some("required") => true,
		Some(_) => return Err(bad()),
		None => false,
	};
	if parts.next().is_some() {
		return Err(bad());
	}
	Ok(SignatureRequest { twin_id, weight, required })
}

/// Read and parse a deployment document; a parse error names the field.
pub fn read_document(path: &Path) -> CmdResult<Deployment> {
	let bytes = std::fs::read(path)
		.map_err(|e| input(&path.display().to_string(), format!("cannot read: {e}")))?;
	Deployment::from_json(&bytes).map_err(|e| input(&path.display().to_string(), e))
}

/// Write a document to `path` (owner-only: its `env` may hold secrets), else to standard output.
pub fn write_document(doc: &Deployment, path: Option<&Path>) -> CmdResult {
	let text = serde_json::to_string_pretty(doc)
		.map_err(|e| Failure::Input(format!("cannot write the document: {e}")))?;
	match path {
		Some(path) => write_private(path, format!("{text}\n").as_bytes()),
		None => {
			crate::output::println_quiet(&text);
			Ok(())
		}
	}
}

fn hash_hex(doc: &Deployment) -> CmdResult<String> {
	let hash = doc.hash().map_err(|e| Failure::Input(format!("cannot hash the document: {e}")))?;
	Ok(format!("0x{}", hex::encode(hash.0)))
}

/// The node a node contract runs on.
async fn node_of_contract(client: &gridchain_sdk::Client, id: u64) -> CmdResult<u32> {
	match client.contract(id).await?.kind {
		gridchain_sdk::ContractKind::Node { node_id, .. } => Ok(node_id),
		_ => Err(input("contract", format!("contract {id} is not a node contract"))),
	}
}

pub async fn run(ctx: &Ctx, command: DeploymentCommand) -> CmdResult {
	match command {
		DeploymentCommand::New {
			twin,
			name,
			image,
			cpu,
			memory,
			rootfs,
			entrypoint,
			env,
			env_files,
			ssh_keys,
			disks,
			disk_kind,
			public_ip,
			description,
			metadata,
			signers,
			weight_required,
			output,
		} => {
			// The input is checked before the chain is asked.
			let env_map = environment(&env_files, &env)?;
			let twin_id = match twin {
				Some(twin) => twin,
				None => ctx.own_twin(&ctx.client().await?).await?,
			};
			let kind = match disk_kind {
				DiskKindArg::Ssd => DiskKind::Ssd,
				DiskKindArg::Hdd => DiskKind::Hdd,
			};
			let mut workloads = Vec::new();
			let mut mounts = Vec::new();
			for (i, size) in disks.into_iter().enumerate() {
				let disk = if i == 0 { format!("{name}_data") } else { format!("{name}_data{i}") };
				let mount_point = if i == 0 { "/data".to_string() } else { format!("/data{i}") };
				mounts.push(Mount { disk: disk.clone(), mount_point });
				workloads.push(Workload {
					version: 0,
					name: disk,
					description: String::new(),
					data: WorkloadData::Disk(DiskData { size, kind }),
				});
			}
			let ip_name = format!("{name}_ip");
			if public_ip {
				workloads.push(Workload {
					version: 0,
					name: ip_name.clone(),
					description: String::new(),
					data: WorkloadData::PublicIp(PublicIpData {}),
				});
			}
			let vm = VmData {
				image,
				cpu,
				memory,
				rootfs_size: rootfs,
				entrypoint,
				env: env_map,
				ssh_keys,
				public_ip: if public_ip { ip_name } else { String::new() },
				mounts,
			};
			workloads.insert(
				0,
				Workload {
					version: 0,
					name,
					description: String::new(),
					data: WorkloadData::Vm(vm),
				},
			);
			let doc = Deployment {
				version: 0,
				twin_id,
				contract_id: 0,
				metadata,
				description,
				signature_requirement: SignatureRequirement {
					requests: if signers.is_empty() {
						vec![SignatureRequest { twin_id, weight: 1, required: true }]
					} else {
						signers.iter().map(|s| parse_signer(s)).collect::<CmdResult<Vec<_>>>()?
					},
					weight_required,
					signatures: vec![],
				},
				workloads,
			};
			doc.validate().map_err(|e| Failure::Input(named(&e)))?;
			write_document(&doc, output.as_deref())?;
			if let Some(path) = output {
				eprintln!("Wrote {} (hash {})", path.display(), hash_hex(&doc)?);
			}
		}
		DeploymentCommand::Hash { file } => {
			let doc = read_document(&file)?;
			let hash = hash_hex(&doc)?;
			ctx.out.print(&json!({"deployment_hash": hash}), || hash.clone());
		}
		DeploymentCommand::Sign { file, twin } => {
			let mut doc = read_document(&file)?;
			doc.validate().map_err(|e| Failure::Input(named(&e)))?;
			let identity = ctx.identity()?;
			let twin_id = match twin {
				Some(twin) => twin,
				None => ctx.client().await?.own_twin_id(&identity.account_id()).await?,
			};
			let hash = doc.hash().map_err(|e| Failure::Input(named(&e)))?;
			doc.add_signature(Signature::sr25519(twin_id, identity.sign(&hash.0)));
			write_document(&doc, Some(&file))?;
			let signers: Vec<u32> =
				doc.signature_requirement.signatures.iter().map(|s| s.twin_id).collect();
			ctx.out.print(
				&json!({"deployment_hash": hash_hex(&doc)?, "twin_id": twin_id, "signers": signers}),
				|| {
					format!(
						"Signed {} as twin {twin_id}; signed by twins {signers:?}.",
						file.display()
					)
				},
			);
		}
		DeploymentCommand::Status { id } => {
			let client = ctx.client().await?;
			let identity = ctx.identity()?;
			let node_id = node_of_contract(&client, id).await?;
			let requester = ctx.own_twin(&client).await?;
			let status =
				client.agent_of_node(node_id).await?.status(&identity, requester, id).await?;
			ctx.out.print(&status, || {
				format!("Contract {id} on node {node_id}:\n{}", workloads_table(&status.workloads))
			});
		}
		DeploymentCommand::Logs { id, workload, tail } => {
			let client = ctx.client().await?;
			let identity = ctx.identity()?;
			let node_id = node_of_contract(&client, id).await?;
			let requester = ctx.own_twin(&client).await?;
			let agent = client.agent_of_node(node_id).await?;
			let logs = agent.logs(&identity, requester, id, &workload, tail).await?;
			ctx.out.print(&logs, || logs.lines.join("\n"));
		}
		DeploymentCommand::Verify { file } => {
			let doc = read_document(&file)?;
			doc.validate().map_err(|e| Failure::Input(named(&e)))?;
			let client = ctx.client().await?;
			let accounts = client.signer_accounts(&[&doc]).await?;
			let approval = verify_signatures(&doc, |twin| accounts.get(&twin).copied())
				.map_err(|e| Failure::Input(named(&e)))?;
			let capacity = doc.capacity();
			ctx.out.print(
				&json!({
					"deployment_hash": hash_hex(&doc)?,
					"signers": approval.signers,
					"weight": approval.weight,
					"weight_required": approval.weight_required,
					"capacity": {"cru": capacity.cru, "mru": capacity.mru, "sru": capacity.sru, "hru": capacity.hru, "public_ips": capacity.public_ips},
				}),
				|| {
					format!(
						"{} is valid and its signatures satisfy its requirement (weight {} of {}, signed by twins {:?}).\nHash: {}",
						file.display(),
						approval.weight,
						approval.weight_required,
						approval.signers,
						hash_hex(&doc).unwrap_or_default()
					)
				},
			);
		}
	}
	Ok(())
}
