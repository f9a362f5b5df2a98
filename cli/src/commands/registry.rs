//! `grid twin`, `grid farm`, `grid node`.

use crate::{
	args::{FarmCommand, NodeCommand, NodeSpec, TwinCommand},
	ctx::Ctx,
	fail::{input, CmdResult},
	output::{table, waiting},
};
use gridchain_sdk::{format_gib, Location, NodeQuery, Resources};
use serde_json::json;

fn parse_pk(pk: Option<&str>) -> CmdResult<Option<[u8; 32]>> {
	let Some(text) = pk else { return Ok(None) };
	let bytes = hex::decode(text.trim_start_matches("0x"))
		.map_err(|e| input("--pk", format!("not hex: {e}")))?;
	let pk: [u8; 32] =
		bytes.try_into().map_err(|_| input("--pk", "must be 32 bytes (64 hex digits)"))?;
	Ok(Some(pk))
}

pub async fn twin(ctx: &Ctx, command: TwinCommand) -> CmdResult {
	let client = ctx.client().await?;
	match command {
		TwinCommand::Create { relay, pk } => {
			let identity = ctx.identity()?;
			let pk = parse_pk(pk.as_deref())?.unwrap_or(identity.x25519_public());
			let twin_id = waiting(
				"creating the twin",
				client.create_twin(identity.keypair(), Some(pk), relay.as_deref()),
			)
			.await?;
			ctx.out.print(&json!({"twin_id": twin_id}), || format!("Created twin {twin_id}."));
		}
		TwinCommand::Update { relay, pk } => {
			let identity = ctx.identity()?;
			let pk = parse_pk(pk.as_deref())?.unwrap_or(identity.x25519_public());
			waiting(
				"updating the twin",
				client.update_twin(identity.keypair(), Some(pk), relay.as_deref()),
			)
			.await?;
			let twin_id = ctx.own_twin(&client).await?;
			ctx.out.print(&json!({"twin_id": twin_id}), || format!("Updated twin {twin_id}."));
		}
		TwinCommand::Show { id } => {
			let id = match id {
				Some(id) => id,
				None => ctx.own_twin(&client).await?,
			};
			let twin = client.twin(id).await?;
			ctx.out.print(&twin, || {
				format!(
					"Twin:           {}\nAccount:        {}\nEncryption key: {}\nRelay:          {}",
					twin.id,
					twin.account,
					twin.pk.as_deref().unwrap_or("-"),
					twin.relay.as_deref().unwrap_or("-")
				)
			});
		}
	}
	Ok(())
}

pub async fn farm(ctx: &Ctx, command: FarmCommand) -> CmdResult {
	let client = ctx.client().await?;
	match command {
		FarmCommand::Create { name } => {
			let identity = ctx.identity()?;
			let farm_id =
				waiting("creating the farm", client.create_farm(identity.keypair(), &name)).await?;
			ctx.out.print(&json!({"farm_id": farm_id}), || {
				format!("Created farm {farm_id} ({name}).")
			});
		}
		FarmCommand::Show { id } => {
			let farm = client.farm(id).await?;
			ctx.out.print(&farm, || {
				let free = farm.public_ips.iter().filter(|ip| ip.contract_id == 0).count();
				format!(
					"Farm:        {} ({})\nOwner twin:  {}\nPolicy:      {}\nDedicated:   {}\nPublic IPs:  {} ({free} free)",
					farm.id,
					farm.name,
					farm.twin_id,
					farm.pricing_policy_id,
					farm.dedicated,
					farm.public_ips.len()
				)
			});
		}
		FarmCommand::AddIp { farm, ip, gateway } => {
			let identity = ctx.identity()?;
			waiting("adding the IP", client.add_farm_ip(identity.keypair(), farm, &ip, &gateway))
				.await?;
			ctx.out.print(&json!({"farm_id": farm, "ip": ip, "gateway": gateway}), || {
				format!("Added {ip} (gateway {gateway}) to farm {farm}.")
			});
		}
		FarmCommand::RemoveIp { farm, ip } => {
			let identity = ctx.identity()?;
			waiting("removing the IP", client.remove_farm_ip(identity.keypair(), farm, &ip))
				.await?;
			ctx.out.print(&json!({"farm_id": farm, "ip": ip}), || {
				format!("Removed {ip} from farm {farm}.")
			});
		}
		FarmCommand::Ips { farm, free } => {
			let mut ips = client.farm(farm).await?.public_ips;
			if free {
				ips.retain(|ip| ip.contract_id == 0);
			}
			ctx.out.print(&ips, || {
				let rows = ips
					.iter()
					.map(|ip| {
						let holder = if ip.contract_id == 0 {
							"free".to_string()
						} else {
							format!("contract {}", ip.contract_id)
						};
						vec![ip.ip.clone(), ip.gateway.clone(), holder]
					})
					.collect();
				table(&["IP", "GATEWAY", "HELD BY"], rows)
			});
		}
	}
	Ok(())
}

fn spec_parts(spec: &NodeSpec) -> (Resources, Location) {
	(
		Resources { cru: spec.cru, sru: spec.sru, hru: spec.hru, mru: spec.mru },
		Location {
			country: spec.country.clone(),
			city: spec.city.clone(),
			latitude: spec.latitude.clone(),
			longitude: spec.longitude.clone(),
		},
	)
}

pub async fn node(ctx: &Ctx, command: NodeCommand) -> CmdResult {
	let client = ctx.client().await?;
	match command {
		NodeCommand::Create { farm, spec } => {
			let identity = ctx.identity()?;
			let (resources, location) = spec_parts(&spec);
			let node_id = waiting(
				"registering the node",
				client.create_node(identity.keypair(), farm, resources, &location),
			)
			.await?;
			ctx.out.print(&json!({"node_id": node_id}), || {
				format!("Registered node {node_id} in farm {farm}.")
			});
		}
		NodeCommand::Update { id, spec } => {
			let identity = ctx.identity()?;
			let (resources, location) = spec_parts(&spec);
			waiting(
				"updating the node",
				client.update_node(identity.keypair(), id, resources, &location),
			)
			.await?;
			ctx.out.print(&json!({"node_id": id}), || format!("Updated node {id}."));
		}
		NodeCommand::Delete { id } => {
			let identity = ctx.identity()?;
			waiting("deleting the node", client.delete_node(identity.keypair(), id)).await?;
			ctx.out.print(&json!({"node_id": id}), || format!("Deleted node {id}."));
		}
		NodeCommand::Show { id } => {
			let node = client.node(id).await?;
			let free = client.free_resources(id).await?;
			ctx.out.print(&json!({"node": node, "free": free}), || {
				format!(
					"Node:      {} (farm {}, twin {}){}\nLocation:  {}, {}\nCapacity:  {}\nFree:      {}",
					node.id,
					node.farm_id,
					node.twin_id,
					if node.certified { ", certified" } else { "" },
					node.location.city,
					node.location.country,
					node.resources,
					free,
				)
			});
		}
		NodeCommand::Find { farm, country, cru, mru, sru, hru, ips } => {
			let query = NodeQuery {
				farm_id: farm,
				country,
				min_free: Resources { cru, sru, hru, mru },
				min_free_ips: ips,
			};
			let mut found = Vec::new();
			let mut from_chain = true;
			if let Some(indexer) = ctx.indexer()? {
				match waiting("asking the indexer", indexer.find_nodes(&query)).await {
					Ok(nodes) => {
						from_chain = false;
						for f in nodes {
							found.push(json!({"node": f.node, "free": f.free}));
						}
					}
					Err(e) => crate::output::warn(&format!("{e}; searching the chain instead")),
				}
			}
			if from_chain {
				for id in client.find_nodes(&query).await? {
					let node = client.node(id).await?;
					let free = client.free_resources(id).await?;
					found.push(json!({"node": node, "free": free}));
				}
			}
			ctx.out.print(&found, || {
				if found.is_empty() {
					return "No node matches.".to_string();
				}
				let rows = found
					.iter()
					.map(|f| {
						let n = &f["node"];
						let free = &f["free"];
						vec![
							n["id"].to_string(),
							n["farm_id"].to_string(),
							format!(
								"{}, {}",
								n["location"]["city"].as_str().unwrap_or(""),
								n["location"]["country"].as_str().unwrap_or("")
							),
							free["cru"].to_string(),
							format_gib(free["mru"].as_u64().unwrap_or(0)),
							format_gib(free["sru"].as_u64().unwrap_or(0)),
							format_gib(free["hru"].as_u64().unwrap_or(0)),
						]
					})
					.collect();
				table(
					&["NODE", "FARM", "LOCATION", "FREE CRU", "FREE MRU", "FREE SRU", "FREE HRU"],
					rows,
				)
			});
		}
	}
	Ok(())
}
