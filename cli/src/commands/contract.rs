//! `grid contract`, `grid name`, `grid rent`.

use crate::{
	args::{ContractCommand, NameCommand},
	commands::{
		deployment::{read_document, write_document},
		quote,
	},
	ctx::Ctx,
	fail::{input, CmdResult, Failure},
	output::{table, waiting},
	private_file::write_private,
};
use gridchain_sdk::{
	deployment::Deployment, format_tft, named, Contract, ContractKind, ContractState,
	CreatedContract, Error, Resources,
};
use serde_json::json;

fn state_text(state: &ContractState) -> String {
	match state {
		ContractState::Created => "created".into(),
		ContractState::Deployed => "deployed".into(),
		ContractState::GracePeriod { since_block } => {
			format!("grace period since block {since_block}")
		}
		ContractState::Deleted { cause } => format!("deleted ({cause})"),
	}
}

fn created_text(what: &str, c: &CreatedContract) -> String {
	let ips: Vec<&str> = c.public_ips.iter().map(|ip| ip.ip.as_str()).collect();
	let ips =
		if ips.is_empty() { String::new() } else { format!(", public IPs {}", ips.join(", ")) };
	let capacity = if c.capacity == Resources::default() {
		String::new()
	} else {
		format!(", declaring {}", c.capacity)
	};
	format!(
		"Created contract {} {what}: deposit {} TFT held{ips}{capacity}.",
		c.contract_id,
		format_tft(c.deposit)
	)
}

/// The chain found no room on `node`: say where to look next.
fn no_room(node: u32, e: Error) -> Failure {
	let next = match &e {
		Error::Refused { name, .. } if name == "NodeHasNotEnoughCapacity" => format!(
			"`grid node show {node}` says what it has free; `grid node find` finds a node with room."
		),
		Error::Refused { name, .. } if name == "TooManyContractsOnNode" => {
			"`grid node find` finds another node.".to_string()
		}
		_ => return e.into(),
	};
	Failure::Chain(format!("{e} {next}"))
}

fn contract_text(c: &Contract) -> String {
	let mut lines = vec![
		format!("Contract:  {} (version {})", c.id, c.version),
		format!("Owner:     twin {}", c.twin_id),
		format!("State:     {}", state_text(&c.state)),
	];
	match &c.kind {
		ContractKind::Node {
			node_id,
			deployment_hash,
			deployment_data_size,
			public_ips,
			capacity,
			..
		} => {
			lines.push(format!("Node:      {node_id}"));
			lines.push(format!("Hash:      {deployment_hash}"));
			lines.push(format!("Data:      {deployment_data_size} bytes, encrypted"));
			lines.push(format!("Capacity:  {capacity} (declared)"));
			let ips: Vec<String> =
				public_ips.iter().map(|ip| format!("{} (gateway {})", ip.ip, ip.gateway)).collect();
			lines.push(format!(
				"Public IP: {}",
				if ips.is_empty() { "-".to_string() } else { ips.join(", ") }
			));
		}
		ContractKind::Name { name } => lines.push(format!("Name:      {name}")),
		ContractKind::Rent { node_id } => lines.push(format!("Rents:     node {node_id}")),
	}
	lines.join("\n")
}

/// An update's version rules against what the node runs (`GET /v1/deployments/{id}`), or, when
/// the node runs nothing yet or cannot say, against the chain's document; whoever can read
/// neither leaves the check to the node.
async fn check_versions(
	client: &gridchain_sdk::Client,
	identity: &gridchain_sdk::Identity,
	doc: &Deployment,
	file: &std::path::Path,
) -> CmdResult {
	let id = doc.contract_id;
	let (previous, whose) = match client.running_deployment(identity, id).await {
		Ok(running) => (running, "the node runs"),
		Err(e @ (Error::NotFound { .. } | Error::Untrusted(_))) => return Err(e.into()),
		// Not deployed yet, or the node cannot say: the chain's document.
		Err(_) => match client.read_deployment(id, identity.age()).await {
			// The document stored at creation predates its contract id.
			Ok(on_chain) => (Deployment { contract_id: id, ..on_chain }, "the chain holds"),
			Err(e @ Error::NotFound { .. }) => return Err(e.into()),
			Err(e) => {
				eprintln!("warning: the version rules were not checked: {e}");
				return Ok(());
			}
		},
	};
	Deployment::validate_update(&previous, doc).map_err(|e| {
		input(
			&file.display().to_string(),
			format!("{} ({whose} version {})", named(&e), previous.version),
		)
	})
}

/// Put back what the node of contract `id` runs, signed by `identity` alone; the sentence that
/// says so.
async fn put_back(
	client: &gridchain_sdk::Client,
	identity: &gridchain_sdk::Identity,
	id: u64,
	recipients: &[String],
	wait: std::time::Duration,
) -> CmdResult<String> {
	// The node may be restarting: it is asked again until `wait` has passed.
	let deadline = std::time::Instant::now() + wait;
	let mut said = false;
	let restoration = loop {
		match waiting("reading what the node runs", client.restore_document(identity, id)).await {
			Err(Error::Agent { code, message })
				if (code == "Unreachable" || code == "StaleRequest")
					&& std::time::Instant::now() < deadline =>
			{
				if !std::mem::replace(&mut said, true) {
					eprintln!("{message}; asking again every second for {}s", wait.as_secs());
				}
				tokio::time::sleep(std::time::Duration::from_secs(1)).await;
			}
			answer => break answer?,
		}
	};
	if !restoration.complete {
		return Err(Failure::Chain(format!(
			"putting back version {} needs its co-signers: `grid contract restore {id} --out FILE`",
			restoration.running_version
		)));
	}
	send_back(client, identity, &restoration, recipients, wait).await
}

/// Send a complete restoration: on chain, to the node, confirmed.
async fn send_back(
	client: &gridchain_sdk::Client,
	identity: &gridchain_sdk::Identity,
	restoration: &gridchain_sdk::Restoration,
	recipients: &[String],
	wait: std::time::Duration,
) -> CmdResult<String> {
	let doc = &restoration.document;
	waiting("putting back what the node runs", client.redeploy(identity, doc, recipients, wait))
		.await?;
	Ok(format!(
		"put back what its node runs (version {}) as version {}; the node confirmed it on chain",
		restoration.running_version, doc.version
	))
}

pub async fn run(ctx: &Ctx, command: ContractCommand) -> CmdResult {
	let client = ctx.client().await?;
	match command {
		ContractCommand::Quote { node, file } => {
			let doc = read_document(&file)?;
			let quote = waiting("pricing", client.quote(node, &doc)).await?;
			ctx.out.print(&quote, || quote::text(&quote));
		}
		ContractCommand::Create { node, file, recipients } => {
			let doc = read_document(&file)?;
			let identity = ctx.identity()?;
			let quote = quote::before_sending(ctx, &client, node, &doc).await;
			let created = waiting(
				"creating the contract",
				client.create_deployment(identity.keypair(), node, &doc, &recipients),
			)
			.await
			.map_err(|e| no_room(node, e))?;
			let mut printed = json!(created);
			printed["quote"] = json!(quote);
			ctx.out.print(&printed, || created_text(&format!("on node {node}"), &created));
		}
		ContractCommand::Deploy { node, file, recipients, timeout } => {
			let mut doc = read_document(&file)?;
			let identity = ctx.identity()?;
			let wait = std::time::Duration::from_secs(timeout);
			let quote = quote::before_sending(ctx, &client, node, &doc).await;
			let (created, status) =
				waiting("deploying", client.deploy(&identity, node, &mut doc, &recipients, wait))
					.await
					.map_err(|e| no_room(node, e))?;
			ctx.out.print(&json!({"contract": created, "status": status, "quote": quote}), || {
				format!(
					"{}\nDeployed: node {node} confirmed it on chain.\n{}",
					created_text(&format!("on node {node}"), &created),
					crate::commands::deployment::workloads_table(&status.workloads)
				)
			});
		}
		ContractCommand::Update { id, file, recipients, deploy, restore, timeout } => {
			let mut doc = read_document(&file)?;
			let identity = ctx.identity()?;
			// The document stored at creation predates its contract id.
			doc.contract_id = id;
			check_versions(&client, &identity, &doc, &file).await?;
			if deploy {
				let wait = std::time::Duration::from_secs(timeout);
				let updated =
					waiting("updating", client.redeploy(&identity, &doc, &recipients, wait)).await;
				let (version, status) = match updated {
					Ok(done) => done,
					Err(stranded @ Error::Stranded { .. }) if restore => {
						eprintln!("{stranded}");
						return Err(put_back(&client, &identity, id, &recipients, wait)
							.await
							.map_or_else(
								|e| e,
								|back| Failure::Chain(format!("{stranded}; {back}")),
							));
					}
					Err(stranded @ Error::Stranded { .. }) => {
						return Err(Failure::Chain(format!(
							"{stranded}.\nThe contract stays unconfirmed until the node runs what it \
							 holds: `grid contract restore {id}` puts back what the node runs."
						)))
					}
					Err(e) => return Err(e.into()),
				};
				ctx.out.print(
					&json!({"contract_id": id, "version": version, "status": status}),
					|| {
						format!(
						"Updated contract {id} to version {version}; the node runs it and confirmed it on chain.\n{}",
						crate::commands::deployment::workloads_table(&status.workloads)
					)
					},
				);
				return Ok(());
			}
			let version = waiting(
				"updating the contract",
				client.update_deployment(identity.keypair(), id, &doc, &recipients),
			)
			.await?;
			ctx.out.print(&json!({"contract_id": id, "version": version}), || {
				format!("Updated contract {id} to version {version}.")
			});
		}
		ContractCommand::Restore { id, out, recipients, timeout } => {
			let identity = ctx.identity()?;
			let wait = std::time::Duration::from_secs(timeout);
			let restoration =
				waiting("reading what the node runs", client.restore_document(&identity, id))
					.await?;
			if let Some(path) = &out {
				write_document(&restoration.document, Some(path))?;
			}
			if !restoration.complete {
				let Some(path) = out else {
					return Err(input(
						"--out",
						format!(
							"version {} needs its co-signers' signatures too: write it with --out FILE",
							restoration.document.version
						),
					));
				};
				let path = path.display();
				ctx.out.print(
					&json!({"contract_id": id, "document": restoration.document}),
					|| {
						format!(
						"Wrote {path}: what node runs of contract {id} as version {}, signed by you. \
						 Its co-signers sign it (`grid deployment sign {path}`), then \
						 `grid contract update {id} {path} --deploy` sends it.",
						restoration.document.version
					)
					},
				);
				return Ok(());
			}
			let sentence = send_back(&client, &identity, &restoration, &recipients, wait).await?;
			ctx.out.print(
				&json!({"contract_id": id, "version": restoration.document.version}),
				|| format!("Contract {id}: {sentence}."),
			);
		}
		ContractCommand::Show { id, decrypt, data_out } => {
			let contract = client.contract(id).await?;
			if let (Some(path), ContractKind::Node { deployment_data, .. }) =
				(&data_out, &contract.kind)
			{
				write_private(path, deployment_data)?;
			}
			if decrypt {
				let identity = ctx.identity()?;
				let doc = client.read_deployment(id, identity.age()).await?;
				ctx.out.print(&json!({"contract": contract, "deployment": doc}), || {
					let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
					format!(
						"{}\n\nDeployment (decrypted; its hash matches the contract's):\n{pretty}",
						contract_text(&contract)
					)
				});
			} else {
				ctx.out.print(&contract, || contract_text(&contract));
			}
		}
		ContractCommand::List { twin } => {
			let twin = match twin {
				Some(twin) => twin,
				None => ctx.own_twin(&client).await?,
			};
			let mut contracts = Vec::new();
			for id in client.contracts_of_twin(twin).await? {
				contracts.push(client.contract(id).await?);
			}
			ctx.out.print(&contracts, || {
				if contracts.is_empty() {
					return format!("Twin {twin} has no live contracts.");
				}
				let rows = contracts
					.iter()
					.map(|c| {
						let (kind, what) = match &c.kind {
							ContractKind::Node { node_id, public_ips, .. } => (
								"node",
								format!(
									"node {node_id}, {} IP{}",
									public_ips.len(),
									if public_ips.len() == 1 { "" } else { "s" }
								),
							),
							ContractKind::Name { name } => ("name", name.clone()),
							ContractKind::Rent { node_id } => ("rent", format!("node {node_id}")),
						};
						vec![c.id.to_string(), kind.to_string(), state_text(&c.state), what]
					})
					.collect();
				table(&["ID", "TYPE", "STATE", "WHAT"], rows)
			});
		}
		ContractCommand::Cancel { ids } => {
			let identity = ctx.identity()?;
			let mut cancelled = Vec::new();
			for id in ids {
				let unpaid =
					waiting("cancelling", client.cancel_contract(identity.keypair(), id)).await?;
				if !ctx.out.json {
					crate::output::println_quiet(&format!(
						"Cancelled contract {id}: settled, deposit released{}.",
						if unpaid > 0 {
							format!(", {} TFT left unpaid", format_tft(unpaid))
						} else {
							String::new()
						}
					));
				}
				cancelled.push(json!({"contract_id": id, "unpaid": unpaid}));
			}
			ctx.out.print(&cancelled, String::new);
		}
		ContractCommand::Bills { id, blocks } => {
			if let Some(indexer) = ctx.indexer()? {
				match waiting("asking the indexer", indexer.bills(id)).await {
					Ok(found) => {
						print_indexed_bills(ctx, &found);
						return Ok(());
					}
					Err(e) => crate::output::warn(&format!(
						"{e}; reading the chain's last {blocks} blocks instead"
					)),
				}
			}
			let found = waiting("reading blocks", client.bills(id, blocks)).await?;
			let (from, head, bills) = (found.from_block, found.to_block, &found.bills);
			ctx.out.print(&found, || {
				let total: u128 = bills.iter().map(|b| b.amount).sum();
				let rows = bills
					.iter()
					.map(|b| vec![b.block.to_string(), format_tft(b.amount), b.discount_level.clone()])
					.collect();
				format!(
					"Bills of contract {id} in blocks {from} to {head} (at most {blocks} blocks back; older bills need a larger --blocks, or an --indexer):\n{}\nTotal: {} TFT in {} bill{}",
					table(&["BLOCK", "AMOUNT (TFT)", "DISCOUNT"], rows),
					format_tft(total),
					bills.len(),
					if bills.len() == 1 { "" } else { "s" }
				)
			});
		}
	}
	Ok(())
}

/// A contract's whole bill history, from the indexer.
fn print_indexed_bills(ctx: &Ctx, found: &gridchain_sdk::IndexedBills) {
	ctx.out.print(found, || {
		let rows = found
			.bills
			.iter()
			.map(|b| {
				vec![
					b.block.to_string(),
					b.time.map(gridchain_sdk::utc_time).unwrap_or_default(),
					format_tft(b.amount),
					b.discount_level.clone(),
				]
			})
			.collect();
		let n = found.bills.len();
		format!(
			"Bills of contract {} (from the indexer, complete to block {}):\n{}\nTotal: {} TFT in {n} bill{}",
			found.contract_id,
			found.indexed_height,
			table(&["BLOCK", "TIME (UTC)", "AMOUNT (TFT)", "DISCOUNT"], rows),
			format_tft(found.total),
			if n == 1 { "" } else { "s" }
		)
	});
}

pub async fn name(ctx: &Ctx, command: NameCommand) -> CmdResult {
	let NameCommand::Reserve { name } = command;
	let client = ctx.client().await?;
	let identity = ctx.identity()?;
	let created =
		waiting("reserving the name", client.create_name_contract(identity.keypair(), &name))
			.await?;
	ctx.out.print(&created, || created_text(&format!("for the name {name}"), &created));
	Ok(())
}

pub async fn rent(ctx: &Ctx, node: u32) -> CmdResult {
	let client = ctx.client().await?;
	let identity = ctx.identity()?;
	let created =
		waiting("renting the node", client.create_rent_contract(identity.keypair(), node)).await?;
	ctx.out.print(&created, || created_text(&format!("renting node {node}"), &created));
	Ok(())
}
