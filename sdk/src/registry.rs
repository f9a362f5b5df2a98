//! Twins, farms and their IPs, nodes, pricing policies: the `Registry` pallet.

use crate::{
	chain::{self, runtime_types as rt},
	types::{text, Farm, Location, Node, PublicIp, Resources, Twin},
	Client, Error, Result,
};
use subxt::utils::AccountId32;
use subxt_signer::sr25519::Keypair;

type LocationInput = rt::pallet_registry::types::Location<Vec<u8>>;

fn location_input(l: &Location) -> LocationInput {
	LocationInput {
		country: l.country.clone().into_bytes(),
		city: l.city.clone().into_bytes(),
		latitude: l.latitude.clone().into_bytes(),
		longitude: l.longitude.clone().into_bytes(),
	}
}

impl Client {
	/// Create the signer's twin with its X25519 key `pk` (deployments are encrypted to it) and
	/// relay; returns the new twin id.
	pub async fn create_twin(
		&self,
		signer: &Keypair,
		pk: Option<[u8; 32]>,
		relay: Option<&str>,
	) -> Result<u32> {
		let call = chain::tx().registry().create_twin(pk, relay.map(|r| r.as_bytes().to_vec()));
		let receipt = self.submit(&call, signer).await?;
		Ok(receipt.expect_event::<chain::registry::events::TwinCreated>("TwinCreated")?.twin_id)
	}

	/// Replace the signer's twin key and relay.
	pub async fn update_twin(
		&self,
		signer: &Keypair,
		pk: Option<[u8; 32]>,
		relay: Option<&str>,
	) -> Result<()> {
		let call = chain::tx().registry().update_twin(pk, relay.map(|r| r.as_bytes().to_vec()));
		self.submit(&call, signer).await.map(drop)
	}

	/// Create a farm owned by the signer's twin; returns the farm id.
	pub async fn create_farm(&self, signer: &Keypair, name: &str) -> Result<u32> {
		let call = chain::tx().registry().create_farm(name.as_bytes().to_vec());
		let receipt = self.submit(&call, signer).await?;
		Ok(receipt.expect_event::<chain::registry::events::FarmCreated>("FarmCreated")?.farm_id)
	}

	/// Add a public IP (`185.206.122.33/24`) with its gateway to a farm.
	pub async fn add_farm_ip(
		&self,
		signer: &Keypair,
		farm_id: u32,
		ip: &str,
		gateway: &str,
	) -> Result<()> {
		let call = chain::tx().registry().add_farm_ip(
			farm_id,
			ip.as_bytes().to_vec(),
			gateway.as_bytes().to_vec(),
		);
		self.submit(&call, signer).await.map(drop)
	}

	/// Remove a free public IP from a farm.
	pub async fn remove_farm_ip(&self, signer: &Keypair, farm_id: u32, ip: &str) -> Result<()> {
		let call = chain::tx().registry().remove_farm_ip(farm_id, ip.as_bytes().to_vec());
		self.submit(&call, signer).await.map(drop)
	}

	/// Mark a farm dedicated (its nodes only rented whole) or not.
	pub async fn set_farm_dedicated(
		&self,
		signer: &Keypair,
		farm_id: u32,
		dedicated: bool,
	) -> Result<()> {
		let call = chain::tx().registry().set_farm_dedicated(farm_id, dedicated);
		self.submit(&call, signer).await.map(drop)
	}

	/// Register the signer's twin as a node of `farm_id`; returns the node id.
	pub async fn create_node(
		&self,
		signer: &Keypair,
		farm_id: u32,
		resources: Resources,
		location: &Location,
	) -> Result<u32> {
		let call =
			chain::tx().registry().create_node(farm_id, resources.into(), location_input(location));
		let receipt = self.submit(&call, signer).await?;
		Ok(receipt.expect_event::<chain::registry::events::NodeCreated>("NodeCreated")?.node_id)
	}

	/// Update a node's capacity and location; the chain refuses a capacity below what the node's
	/// contracts declare (`ResourcesBelowDeclared`).
	pub async fn update_node(
		&self,
		signer: &Keypair,
		node_id: u32,
		resources: Resources,
		location: &Location,
	) -> Result<()> {
		let call =
			chain::tx().registry().update_node(node_id, resources.into(), location_input(location));
		self.submit(&call, signer).await.map(drop)
	}

	/// Delete a node; its contracts are settled and ended.
	pub async fn delete_node(&self, signer: &Keypair, node_id: u32) -> Result<()> {
		self.submit(&chain::tx().registry().delete_node(node_id), signer).await.map(drop)
	}

	/// Certify a node or not (restricted origin: submitted through `Sudo` by `sudo_key`).
	pub async fn set_node_certification(
		&self,
		sudo_key: &Keypair,
		node_id: u32,
		certified: bool,
	) -> Result<()> {
		use rt::pallet_registry::types::NodeCertification;
		let certification =
			if certified { NodeCertification::Certified } else { NodeCertification::Diy };
		let call =
			chain::Call::Registry(rt::pallet_registry::pallet::Call::set_node_certification {
				node_id,
				certification,
			});
		self.sudo(sudo_key, call).await
	}

	/// Run a restricted call as Root through `Sudo.sudo` (dev and test chains).
	pub async fn sudo(&self, sudo_key: &Keypair, call: chain::Call) -> Result<()> {
		let receipt = self.submit(&chain::tx().sudo().sudo(call), sudo_key).await?;
		let done = receipt.expect_event::<chain::sudo::events::Sudid>("Sudid")?;
		match done.sudo_result {
			Ok(()) => Ok(()),
			Err(e) => Err(self.describe_dispatch_error(e).await),
		}
	}

	/// A twin as stored.
	async fn twin_record(
		&self,
		twin_id: u32,
	) -> Result<rt::pallet_registry::types::Twin<AccountId32>> {
		let at = self.at().await?;
		let value = at.storage().try_fetch(chain::storage().registry().twins(), (twin_id,)).await?;
		Ok(value.ok_or(Error::NotFound { what: "twin", id: twin_id.to_string() })?.decode()?)
	}

	/// A twin by id.
	pub async fn twin(&self, twin_id: u32) -> Result<Twin> {
		Ok(self.twin_record(twin_id).await?.into())
	}

	/// The twin id of an account, if it has one.
	pub async fn twin_id_of(&self, account: &AccountId32) -> Result<Option<u32>> {
		let at = self.at().await?;
		let value = at
			.storage()
			.try_fetch(chain::storage().registry().twin_id_by_account(), (*account,))
			.await?;
		Ok(match value {
			Some(v) => Some(v.decode()?),
			None => None,
		})
	}

	/// The twin id of an account that must have one; the error says how to make it.
	pub async fn own_twin_id(&self, account: &AccountId32) -> Result<u32> {
		self.twin_id_of(account).await?.ok_or_else(|| {
			Error::input(
				"twin",
				format!("{account} has no twin: create one with `grid twin create`"),
			)
		})
	}

	/// The twin of an account, or `NotFound`.
	pub async fn twin_of(&self, account: &AccountId32) -> Result<Twin> {
		let id = self
			.twin_id_of(account)
			.await?
			.ok_or(Error::NotFound { what: "twin of account", id: account.to_string() })?;
		self.twin(id).await
	}

	/// The X25519 key of a twin, which its deployments are encrypted to.
	pub async fn twin_pk(&self, twin_id: u32) -> Result<Option<[u8; 32]>> {
		Ok(self.twin_record(twin_id).await?.pk)
	}

	/// The account id of a twin.
	pub async fn twin_account(&self, twin_id: u32) -> Result<AccountId32> {
		Ok(self.twin_record(twin_id).await?.account_id)
	}

	/// The account (verifying key) of every twin the documents' requirements name; twins that do
	/// not exist are left out, so their signatures fail to verify. A signature by a twin no
	/// requirement names is refused without a lookup, so a document's signatures cannot make
	/// its verifier read the chain more than its requirements (at most
	/// [`crate::deployment::MAX_REQUESTS`] twins each) allow.
	pub async fn signer_accounts(
		&self,
		docs: &[&crate::deployment::Deployment],
	) -> Result<std::collections::BTreeMap<u32, [u8; 32]>> {
		let mut accounts = std::collections::BTreeMap::new();
		for doc in docs {
			let r = &doc.signature_requirement;
			for twin_id in r.requests.iter().map(|q| q.twin_id) {
				if accounts.contains_key(&twin_id) {
					continue;
				}
				match self.twin_account(twin_id).await {
					Ok(account) => {
						accounts.insert(twin_id, account.0);
					}
					Err(Error::NotFound { .. }) => {}
					Err(e) => return Err(e),
				}
			}
		}
		Ok(accounts)
	}

	/// A farm by id, with its IPs.
	pub async fn farm(&self, farm_id: u32) -> Result<Farm> {
		let at = self.at().await?;
		let value = at.storage().try_fetch(chain::storage().registry().farms(), (farm_id,)).await?;
		let farm =
			value.ok_or(Error::NotFound { what: "farm", id: farm_id.to_string() })?.decode()?;
		Ok(Farm {
			id: farm.id,
			name: text(&farm.name.0),
			twin_id: farm.twin_id,
			pricing_policy_id: farm.pricing_policy_id,
			dedicated: farm.dedicated,
			public_ips: farm
				.public_ips
				.0
				.into_iter()
				.map(|ip| PublicIp {
					ip: text(&ip.ip.0),
					gateway: text(&ip.gateway.0),
					contract_id: ip.contract_id,
				})
				.collect(),
		})
	}

	/// The free public IPs of a farm.
	pub async fn free_ips(&self, farm_id: u32) -> Result<Vec<PublicIp>> {
		Ok(self
			.farm(farm_id)
			.await?
			.public_ips
			.into_iter()
			.filter(|ip| ip.contract_id == 0)
			.collect())
	}

	/// A node by id.
	pub async fn node(&self, node_id: u32) -> Result<Node> {
		let at = self.at().await?;
		let value = at.storage().try_fetch(chain::storage().registry().nodes(), (node_id,)).await?;
		let node =
			value.ok_or(Error::NotFound { what: "node", id: node_id.to_string() })?.decode()?;
		Ok(node.into())
	}

	/// The node id of a twin (a node's own twin), if it is a node.
	pub async fn node_id_of_twin(&self, twin_id: u32) -> Result<Option<u32>> {
		let at = self.at().await?;
		let value = at
			.storage()
			.try_fetch(chain::storage().registry().node_id_by_twin(), (twin_id,))
			.await?;
		Ok(match value {
			Some(v) => Some(v.decode()?),
			None => None,
		})
	}

	/// Nodes matching every criterion given: farm, country, free capacity and, for the node's farm,
	/// free public IPs. Sorted by id.
	pub async fn find_nodes(&self, query: &NodeQuery) -> Result<Vec<u32>> {
		let at = self.at().await?;
		let apis = chain::runtime_apis().registry_api();
		let mut found: Vec<u32> =
			at.runtime_apis().call(apis.nodes_with_free_resources(query.min_free.into())).await?;
		if let Some(farm_id) = query.farm_id {
			let in_farm: Vec<u32> = at.runtime_apis().call(apis.nodes_by_farm(farm_id)).await?;
			found.retain(|n| in_farm.contains(n));
		}
		if let Some(country) = &query.country {
			let in_country: Vec<u32> =
				at.runtime_apis().call(apis.nodes_by_country(country.as_bytes().to_vec())).await?;
			found.retain(|n| in_country.contains(n));
		}
		if query.min_free_ips > 0 {
			let farms: Vec<u32> =
				at.runtime_apis().call(apis.farms_with_free_ips(query.min_free_ips)).await?;
			let mut keep = Vec::with_capacity(found.len());
			for node_id in found {
				if farms.contains(&self.node(node_id).await?.farm_id) {
					keep.push(node_id);
				}
			}
			found = keep;
		}
		found.sort_unstable();
		Ok(found)
	}

	/// What a node has free: its capacity less what its live node contracts declare (SPEC §4.5),
	/// the rule `create_node_contract` applies.
	pub async fn free_resources(&self, node_id: u32) -> Result<Resources> {
		let at = self.at().await?;
		let free: Option<rt::gridchain_primitives::resources::Resources> = at
			.runtime_apis()
			.call(chain::runtime_apis().registry_api().free_resources(node_id))
			.await?;
		free.map(Into::into).ok_or(Error::NotFound { what: "node", id: node_id.to_string() })
	}
}

/// What `find_nodes` looks for.
#[derive(Debug, Clone, Default)]
pub struct NodeQuery {
	pub farm_id: Option<u32>,
	/// ISO country code as registered, e.g. `BE`.
	pub country: Option<String>,
	/// At least this much free.
	pub min_free: Resources,
	/// At least this many free public IPs in the node's farm.
	pub min_free_ips: u32,
}

impl Client {
	/// A dispatch error reported inside an event (by `Sudo` or `Multisig`), in words.
	pub(crate) async fn describe_dispatch_error(&self, e: rt::sp_runtime::DispatchError) -> Error {
		match e {
			rt::sp_runtime::DispatchError::Module(m) => {
				self.describe_module_error(m.index, m.error).await
			}
			other => Error::Dispatch(format!("{other:?}")),
		}
	}
}

/// A pricing policy: unit prices in uUSD per hour (NU per GB) and where the money goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PricingPolicy {
	pub name: String,
	pub su: u64,
	pub cu: u64,
	pub nu: u64,
	pub ipu: u64,
	pub unique_name: u64,
	/// Percent off for nodes rented whole.
	pub discount_for_dedicated_nodes: u8,
	pub foundation_account: AccountId32,
	pub sales_account: AccountId32,
}

/// A `Registry` pricing policy call with the fields of `$policy`, plus the variables `$extra`.
macro_rules! policy_call {
	($call:ident { $($extra:ident),* }, $policy:expr) => {{
		let p = $policy.clone();
		chain::Call::Registry(rt::pallet_registry::pallet::Call::$call {
			$($extra,)*
			name: p.name.into_bytes(),
			su: p.su,
			cu: p.cu,
			nu: p.nu,
			ipu: p.ipu,
			unique_name: p.unique_name,
			discount_for_dedicated_nodes: rt::sp_arithmetic::per_things::Percent(p.discount_for_dedicated_nodes),
			foundation_account: p.foundation_account,
			sales_account: p.sales_account,
		})
	}};
}

impl Client {
	/// Create a pricing policy (restricted origin, through `Sudo`).
	pub async fn create_pricing_policy(
		&self,
		sudo_key: &Keypair,
		policy: &PricingPolicy,
	) -> Result<()> {
		self.sudo(sudo_key, policy_call!(create_pricing_policy {}, policy)).await
	}

	/// Replace pricing policy `policy_id` (restricted origin, through `Sudo`).
	pub async fn update_pricing_policy(
		&self,
		sudo_key: &Keypair,
		policy_id: u32,
		policy: &PricingPolicy,
	) -> Result<()> {
		self.sudo(sudo_key, policy_call!(update_pricing_policy { policy_id }, policy)).await
	}

	/// How many pricing policies exist (their ids are 1..=count).
	pub async fn pricing_policy_count(&self) -> Result<u32> {
		let at = self.at().await?;
		Ok(at
			.storage()
			.fetch(chain::storage().registry().pricing_policy_count(), ())
			.await?
			.decode()?)
	}
}
