//! The registry's events: twins, farms and their public IPs, nodes.

use super::context::EventWrite;
use crate::db::error::{int, Result};
use gridchain_sdk::Node;

pub async fn twin(
	w: &mut EventWrite<'_, '_>,
	id: u32,
	account: &str,
	pk: Option<&str>,
	relay: Option<&str>,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO twins (id, account, pk, relay, created_block, updated_block) VALUES ($1, $2, $3, $4, $5, $5) \
		 ON CONFLICT (id) DO UPDATE SET account = excluded.account, pk = excluded.pk, relay = excluded.relay, updated_block = excluded.updated_block",
	)
	.bind(i64::from(id))
	.bind(account)
	.bind(pk)
	.bind(relay)
	.bind(w.number)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

pub async fn farm(
	w: &mut EventWrite<'_, '_>,
	id: u32,
	name: &str,
	twin_id: u32,
	pricing_policy_id: u32,
	dedicated: bool,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO farms (id, name, twin_id, pricing_policy_id, dedicated, created_block) VALUES ($1, $2, $3, $4, $5, $6) \
		 ON CONFLICT (id) DO UPDATE SET name = excluded.name, twin_id = excluded.twin_id, pricing_policy_id = excluded.pricing_policy_id, dedicated = excluded.dedicated",
	)
	.bind(i64::from(id))
	.bind(name)
	.bind(i64::from(twin_id))
	.bind(i64::from(pricing_policy_id))
	.bind(i64::from(dedicated))
	.bind(w.number)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

pub async fn farm_ip_added(
	w: &mut EventWrite<'_, '_>,
	farm_id: u32,
	ip: &str,
	gateway: &str,
) -> Result<()> {
	sqlx::query(
		"INSERT INTO public_ips (farm_id, ip, gateway, contract_id) VALUES ($1, $2, $3, 0)",
	)
	.bind(i64::from(farm_id))
	.bind(ip)
	.bind(gateway)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

pub async fn farm_ip_removed(w: &mut EventWrite<'_, '_>, farm_id: u32, ip: &str) -> Result<()> {
	sqlx::query("DELETE FROM public_ips WHERE farm_id = $1 AND ip = $2")
		.bind(i64::from(farm_id))
		.bind(ip)
		.execute(&mut **w.tx)
		.await?;
	Ok(())
}

pub async fn farm_dedicated(
	w: &mut EventWrite<'_, '_>,
	farm_id: u32,
	dedicated: bool,
) -> Result<()> {
	sqlx::query("UPDATE farms SET dedicated = $2 WHERE id = $1")
		.bind(i64::from(farm_id))
		.bind(i64::from(dedicated))
		.execute(&mut **w.tx)
		.await?;
	Ok(())
}

/// A node as its storage record says after the event: created, updated or certified.
pub async fn node(w: &mut EventWrite<'_, '_>, n: &Node) -> Result<()> {
	sqlx::query(
		"INSERT INTO nodes (id, farm_id, twin_id, cru, sru, hru, mru, used_cru, used_sru, used_hru, used_mru, country, city, latitude, longitude, certified, deleted, created_block, updated_block) \
		 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, $8, $9, $10, $11, $12, 0, $13, $13) \
		 ON CONFLICT (id) DO UPDATE SET farm_id = excluded.farm_id, twin_id = excluded.twin_id, cru = excluded.cru, sru = excluded.sru, hru = excluded.hru, mru = excluded.mru, \
		 country = excluded.country, city = excluded.city, latitude = excluded.latitude, longitude = excluded.longitude, certified = excluded.certified, updated_block = excluded.updated_block",
	)
	.bind(i64::from(n.id))
	.bind(i64::from(n.farm_id))
	.bind(i64::from(n.twin_id))
	.bind(int(n.resources.cru, "cru")?)
	.bind(int(n.resources.sru, "sru")?)
	.bind(int(n.resources.hru, "hru")?)
	.bind(int(n.resources.mru, "mru")?)
	.bind(&n.location.country)
	.bind(&n.location.city)
	.bind(&n.location.latitude)
	.bind(&n.location.longitude)
	.bind(i64::from(n.certified))
	.bind(w.number)
	.execute(&mut **w.tx)
	.await?;
	Ok(())
}

pub async fn node_deleted(w: &mut EventWrite<'_, '_>, id: u32) -> Result<()> {
	sqlx::query("UPDATE nodes SET deleted = 1, updated_block = $2 WHERE id = $1")
		.bind(i64::from(id))
		.bind(w.number)
		.execute(&mut **w.tx)
		.await?;
	Ok(())
}
