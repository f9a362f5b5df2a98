//! The node's services: Aura + GRANDPA, or manual/instant sealing on a development chain.

use crate::cli::Sealing;
use futures::{channel::mpsc, StreamExt};
use gridchain_runtime::{apis::RuntimeApi, opaque::Block, SLOT_DURATION};
use sc_client_api::BlockBackend;
use sc_consensus_aura::{ImportQueueParams, SlotProportion, StartAuraParams};
use sc_consensus_grandpa::SharedVoterState;
use sc_consensus_manual_seal::{consensus::aura::AuraConsensusDataProvider, EngineCommand};
use sc_service::{error::Error as ServiceError, Configuration, TaskManager, WarpSyncConfig};
use sc_telemetry::{Telemetry, TelemetryWorker};
use sc_transaction_pool_api::OffchainTransactionPoolFactory;
use sp_consensus_aura::sr25519::{AuthorityPair as AuraPair, AuthoritySignature};
use sp_runtime::traits::Block as BlockT;
use std::{path::Path, sync::Arc, time::Duration};

pub(crate) type FullClient =
	sc_service::TFullClient<Block, RuntimeApi, crate::wasmtime_cache::WasmExecutor>;
type FullBackend = sc_service::TFullBackend<Block>;
type FullSelectChain = sc_consensus::LongestChain<FullBackend, Block>;

/// Blocks between GRANDPA justifications.
const GRANDPA_JUSTIFICATION_PERIOD: u32 = 512;

/// The parts of a node that every command needs.
pub type Service = sc_service::PartialComponents<
	FullClient,
	FullBackend,
	FullSelectChain,
	sc_consensus::DefaultImportQueue<Block>,
	sc_transaction_pool::TransactionPoolHandle<Block, FullClient>,
	(
		sc_consensus_grandpa::GrandpaBlockImport<FullBackend, Block, FullClient, FullSelectChain>,
		sc_consensus_grandpa::LinkHalf<Block, FullClient, FullSelectChain>,
		Option<Telemetry>,
	),
>;

/// The timestamp of the block after `parent`: one slot after the parent's slot, or the current
/// slot's start for the first block. This is what makes every manually sealed block advance
/// chain time by exactly one slot, across restarts too.
fn next_sealed_timestamp(
	client: &FullClient,
	parent: <Block as BlockT>::Hash,
) -> Result<sp_timestamp::Timestamp, Box<dyn std::error::Error + Send + Sync>> {
	let header = client.header(parent)?.ok_or("parent header not found")?;
	let millis = if header.number == 0 {
		let now = sp_timestamp::Timestamp::current().as_millis();
		now - now % SLOT_DURATION
	} else {
		let slot = sc_consensus_aura::find_pre_digest::<Block, AuthoritySignature>(&header)?;
		(*slot + 1) * SLOT_DURATION
	};
	Ok(sp_timestamp::Timestamp::new(millis))
}

/// How often instant sealing looks at the pool besides its import notifications.
const INSTANT_SEAL_POLL: Duration = Duration::from_millis(250);

/// Commands of `--sealing instant`: seal and finalize a block whenever the pool holds ready
/// transactions, woken by each import into the pool and, so that a transaction the previous
/// block missed is never left waiting for the next import, by a short poll.
fn instant_seal_commands(
	pool: Arc<sc_transaction_pool::TransactionPoolHandle<Block, FullClient>>,
) -> futures::stream::BoxStream<'static, EngineCommand<<Block as BlockT>::Hash>> {
	use sc_transaction_pool_api::TransactionPool;
	let imports = pool.import_notification_stream().map(|_| ());
	let polls = futures::stream::unfold((), |()| async {
		futures_timer::Delay::new(INSTANT_SEAL_POLL).await;
		Some(((), ()))
	});
	futures::stream::select(imports, polls)
		.filter(move |()| futures::future::ready(pool.status().ready > 0))
		.map(|()| EngineCommand::SealNewBlock {
			create_empty: false,
			finalize: true,
			parent_hash: None,
			sender: None,
		})
		.boxed()
}

/// Build the client, backend, pool and import queue; `wasmtime_cache` as `--wasmtime-cache`.
pub fn new_partial(
	config: &Configuration,
	sealing: Option<Sealing>,
	wasmtime_cache: Option<&Path>,
) -> Result<Service, ServiceError> {
	let telemetry = config
		.telemetry_endpoints
		.clone()
		.filter(|x| !x.is_empty())
		.map(|endpoints| -> Result<_, sc_telemetry::Error> {
			let worker = TelemetryWorker::new(16)?;
			let telemetry = worker.handle().new_telemetry(endpoints);
			Ok((worker, telemetry))
		})
		.transpose()?;

	let executor = crate::wasmtime_cache::executor(&config.executor, wasmtime_cache);
	let (client, backend, keystore_container, task_manager) =
		sc_service::new_full_parts::<Block, RuntimeApi, _>(
			config,
			telemetry.as_ref().map(|(_, telemetry)| telemetry.handle()),
			executor,
			vec![],
		)?;
	let client = Arc::new(client);

	let telemetry = telemetry.map(|(worker, telemetry)| {
		task_manager.spawn_handle().spawn("telemetry", None, worker.run());
		telemetry
	});

	let select_chain = sc_consensus::LongestChain::new(backend.clone());

	let transaction_pool = Arc::from(
		sc_transaction_pool::Builder::new(
			task_manager.spawn_essential_handle(),
			client.clone(),
			config.role.is_authority().into(),
		)
		.with_options(config.transaction_pool.clone())
		.with_prometheus(config.prometheus_registry())
		.build(),
	);

	let (grandpa_block_import, grandpa_link) = sc_consensus_grandpa::block_import(
		client.clone(),
		GRANDPA_JUSTIFICATION_PERIOD,
		&client,
		select_chain.clone(),
		telemetry.as_ref().map(|x| x.handle()),
	)?;

	let import_queue = if sealing.is_some() {
		sc_consensus_manual_seal::import_queue(
			Box::new(client.clone()),
			&task_manager.spawn_essential_handle(),
			config.prometheus_registry(),
		)
	} else {
		let cidp_client = client.clone();
		sc_consensus_aura::import_queue::<AuraPair, _, _, _, _, _>(ImportQueueParams {
			block_import: grandpa_block_import.clone(),
			justification_import: Some(Box::new(grandpa_block_import.clone())),
			client: client.clone(),
			create_inherent_data_providers: move |parent_hash, _| {
				let cidp_client = cidp_client.clone();
				async move {
					let slot_duration = sc_consensus_aura::standalone::slot_duration_at(
						&*cidp_client,
						parent_hash,
					)?;
					let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
					let slot =
						sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
					Ok((slot, timestamp))
				}
			},
			spawner: &task_manager.spawn_essential_handle(),
			registry: config.prometheus_registry(),
			check_for_equivocation: Default::default(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			compatibility_mode: Default::default(),
		})?
	};

	Ok(sc_service::PartialComponents {
		client,
		backend,
		task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (grandpa_block_import, grandpa_link, telemetry),
	})
}

/// Which block the GRANDPA voter votes for. A live or local chain keeps Substrate's default rules:
/// two blocks behind the best, and at most three quarters of the unfinalized chain, so a fork a
/// validator has not seen yet is not finalized. A development chain has one validator, which
/// authors every block: there is no fork to wait for, and voting for the best block finalizes a
/// transaction about one block after it lands instead of three (about 5 s instead of 20 s on 6 s
/// blocks).
fn voting_rule(
	chain_type: sc_service::ChainType,
) -> impl sc_consensus_grandpa::VotingRule<Block, FullClient> + Clone {
	use sc_consensus_grandpa::{
		BeforeBestBlockBy, ThreeQuartersOfTheUnfinalizedChain, VotingRulesBuilder,
	};
	let rules = VotingRulesBuilder::new();
	if chain_type == sc_service::ChainType::Development {
		return rules.build();
	}
	// Substrate's `VotingRulesBuilder::default()`, spelled out so both arms are one type.
	rules.add(BeforeBestBlockBy(2)).add(ThreeQuartersOfTheUnfinalizedChain).build()
}

/// Build and start a full node.
pub fn new_full<N: sc_network::NetworkBackend<Block, <Block as BlockT>::Hash>>(
	config: Configuration,
	sealing: Option<Sealing>,
	wasmtime_cache: Option<&Path>,
) -> Result<TaskManager, ServiceError> {
	let sc_service::PartialComponents {
		client,
		backend,
		mut task_manager,
		import_queue,
		keystore_container,
		select_chain,
		transaction_pool,
		other: (block_import, grandpa_link, mut telemetry),
	} = new_partial(&config, sealing, wasmtime_cache)?;

	let mut net_config = sc_network::config::FullNetworkConfiguration::<
		Block,
		<Block as BlockT>::Hash,
		N,
	>::new(&config.network, config.prometheus_registry().cloned());
	let metrics = N::register_notification_metrics(config.prometheus_registry());

	let peer_store_handle = net_config.peer_store_handle();
	let genesis_hash = client
		.block_hash(0)
		.ok()
		.flatten()
		.ok_or_else(|| ServiceError::Other("genesis block hash not found".into()))?;
	let grandpa_protocol_name =
		sc_consensus_grandpa::protocol_standard_name(&genesis_hash, &config.chain_spec);
	let (grandpa_protocol_config, grandpa_notification_service) =
		sc_consensus_grandpa::grandpa_peers_set_config::<_, N>(
			grandpa_protocol_name.clone(),
			metrics.clone(),
			peer_store_handle,
		);
	net_config.add_notification_protocol(grandpa_protocol_config);

	let warp_sync = Arc::new(sc_consensus_grandpa::warp_proof::NetworkProvider::new(
		backend.clone(),
		grandpa_link.shared_authority_set().clone(),
		Vec::default(),
	));

	let (network, system_rpc_tx, tx_handler_controller, sync_service, _bitswap) =
		sc_service::build_network(sc_service::BuildNetworkParams {
			config: &config,
			net_config,
			client: client.clone(),
			transaction_pool: transaction_pool.clone(),
			spawn_handle: task_manager.spawn_handle(),
			spawn_essential_handle: task_manager.spawn_essential_handle(),
			import_queue,
			block_announce_validator_builder: None,
			warp_sync_config: Some(WarpSyncConfig::WithProvider(warp_sync)),
			block_relay: None,
			metrics,
			gap_sync_body_policy: None,
		})?;

	let role = config.role;
	let force_authoring = config.force_authoring;
	let name = config.network.node_name.clone();
	let enable_grandpa = !config.disable_grandpa && sealing.is_none();
	let chain_type = config.chain_spec.chain_type();
	let prometheus_registry = config.prometheus_registry().cloned();

	let (seal_commands, seal_stream) = match sealing {
		Some(Sealing::Manual) => {
			let (sender, receiver) = mpsc::channel(1024);
			(Some(sender), Some(receiver))
		}
		_ => (None, None),
	};

	let rpc_extensions_builder = {
		let client = client.clone();
		let pool = transaction_pool.clone();
		Box::new(move |_| {
			let deps = crate::rpc::FullDeps {
				client: client.clone(),
				pool: pool.clone(),
				manual_seal: seal_commands.clone(),
			};
			crate::rpc::create_full(deps).map_err(Into::into)
		})
	};

	let rpc_handlers = sc_service::spawn_tasks(sc_service::SpawnTasksParams {
		network: network.clone(),
		client: client.clone(),
		keystore: keystore_container.keystore(),
		task_manager: &mut task_manager,
		transaction_pool: transaction_pool.clone(),
		rpc_builder: rpc_extensions_builder,
		backend,
		system_rpc_tx,
		tx_handler_controller,
		sync_service: sync_service.clone(),
		config,
		telemetry: telemetry.as_mut(),
		tracing_execute_block: None,
	})?;
	#[cfg(target_os = "linux")]
	crate::rpc_nodelay::set_on_rpc_sockets(rpc_handlers.listen_addresses());
	#[cfg(not(target_os = "linux"))]
	let _ = rpc_handlers;

	if let Some(sealing) = sealing {
		let proposer = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);
		let cidp_client = client.clone();
		// Only the timestamp: the Aura slot goes into the pre-digest (from the timestamp), and an
		// Aura slot inherent would make manual-seal count two inherents for one inherent
		// extrinsic, so a block with one transaction would be taken for an empty one and
		// dropped (issue 13).
		let create_inherent_data_providers = move |parent: <Block as BlockT>::Hash, ()| {
			let client = cidp_client.clone();
			async move {
				let timestamp = next_sealed_timestamp(&client, parent)?;
				Ok(sp_timestamp::InherentDataProvider::new(timestamp))
			}
		};
		let consensus_data_provider = Box::new(AuraConsensusDataProvider::new(client.clone()));
		let commands_stream = match (sealing, seal_stream) {
			(Sealing::Manual, Some(commands_stream)) => commands_stream.boxed(),
			_ => instant_seal_commands(transaction_pool.clone()),
		};
		let task =
			sc_consensus_manual_seal::run_manual_seal(sc_consensus_manual_seal::ManualSealParams {
				block_import: client.clone(),
				env: proposer,
				client: client.clone(),
				pool: transaction_pool.clone(),
				commands_stream,
				select_chain,
				consensus_data_provider: Some(consensus_data_provider),
				create_inherent_data_providers,
			});
		task_manager.spawn_essential_handle().spawn_blocking("manual-seal", None, task);
		return Ok(task_manager);
	}

	if role.is_authority() {
		let proposer_factory = sc_basic_authorship::ProposerFactory::new(
			task_manager.spawn_handle(),
			client.clone(),
			transaction_pool.clone(),
			prometheus_registry.as_ref(),
			telemetry.as_ref().map(|x| x.handle()),
		);

		let slot_duration = sc_consensus_aura::slot_duration(&*client)?;

		let aura = sc_consensus_aura::start_aura::<AuraPair, _, _, _, _, _, _, _, _, _, _>(
			StartAuraParams {
				slot_duration,
				client,
				select_chain,
				block_import,
				proposer_factory,
				create_inherent_data_providers: move |_, ()| async move {
					let timestamp = sp_timestamp::InherentDataProvider::from_system_time();
					let slot =
						sp_consensus_aura::inherents::InherentDataProvider::from_timestamp_and_slot_duration(
							*timestamp,
							slot_duration,
						);
					Ok((slot, timestamp))
				},
				force_authoring,
				backoff_authoring_blocks: Option::<()>::None,
				keystore: keystore_container.keystore(),
				sync_oracle: sync_service.clone(),
				justification_sync_link: sync_service.clone(),
				block_proposal_slot_portion: SlotProportion::new(2f32 / 3f32),
				max_block_proposal_slot_portion: None,
				telemetry: telemetry.as_ref().map(|x| x.handle()),
				compatibility_mode: Default::default(),
			},
		)?;

		// Block authoring is essential: if it fails, the node stops.
		task_manager.spawn_essential_handle().spawn_blocking("aura", Some("block-authoring"), aura);
	}

	if enable_grandpa {
		let keystore = if role.is_authority() { Some(keystore_container.keystore()) } else { None };
		let grandpa_config = sc_consensus_grandpa::Config {
			gossip_duration: Duration::from_millis(333),
			justification_generation_period: GRANDPA_JUSTIFICATION_PERIOD,
			name: Some(name),
			observer_enabled: false,
			keystore,
			local_role: role,
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			protocol_name: grandpa_protocol_name,
		};
		let grandpa_params = sc_consensus_grandpa::GrandpaParams {
			config: grandpa_config,
			link: grandpa_link,
			network,
			sync: Arc::new(sync_service),
			notification_service: grandpa_notification_service,
			voting_rule: voting_rule(chain_type),
			prometheus_registry,
			shared_voter_state: SharedVoterState::empty(),
			telemetry: telemetry.as_ref().map(|x| x.handle()),
			offchain_tx_pool_factory: OffchainTransactionPoolFactory::new(transaction_pool),
		};
		task_manager.spawn_essential_handle().spawn_blocking(
			"grandpa-voter",
			None,
			sc_consensus_grandpa::run_grandpa_voter(grandpa_params)?,
		);
	}

	Ok(task_manager)
}
