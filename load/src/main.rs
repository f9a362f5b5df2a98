#![doc = include_str!("../README.md")]

mod ceiling;
mod phase;

use anyhow::{bail, Context, Result};
use clap::Parser;
use futures::StreamExt;
use gridchain_sdk::{chain, AccountId32, Client, Identity, Location, Resources, Wait};
use phase::{Phase, PhaseReport};
use serde::Serialize;

/// Push transfers, node-contract creations, their confirmations and consumption-report batches
/// at one node, each kind in its own phase, and measure from the chain's blocks what was included
/// per block and per second, next to the ceiling the runtime's weights allow.
#[derive(Parser)]
#[command(name = "grid-load", version)]
struct Args {
	/// The node to load.
	#[arg(long, env = "GRID_URL", default_value = "ws://127.0.0.1:9944")]
	url: String,
	/// Who funds the load accounts (derived from it as `FUNDER//load//N`): a dev key.
	#[arg(long, default_value = "//Alice")]
	funder: String,
	/// Accounts sending transfers and creating contracts, in parallel.
	#[arg(long, default_value_t = 32)]
	senders: u32,
	/// Transfers to send (spread over the senders).
	#[arg(long, default_value_t = 2_000)]
	transfers: u32,
	/// Node contracts to create (spread over the senders), all on one node: at most 500.
	#[arg(long, default_value_t = 500)]
	contracts: u32,
	/// Bytes of `deployment_data` in each contract (an encrypted VM is about 1 KiB).
	#[arg(long, default_value_t = 1_024)]
	data_bytes: usize,
	/// Consumption-report calls to send, each with up to 256 reports (one per contract).
	#[arg(long, default_value_t = 64)]
	report_calls: u32,
	/// Give up on a phase when nothing of it was included for this many seconds.
	#[arg(long, default_value_t = 120)]
	stall_secs: u64,
	/// Print the report as JSON.
	#[arg(long)]
	json: bool,
}

/// What each load account is topped up to: transfers of 1 TFT and contract deposits of about
/// 2 TFT, with room to spare.
const FUNDING: u128 = 2_000 * gridchain_sdk::UNITS_PER_TFT;

/// The most live node contracts a node holds (the runtime's `MaxContractsPerNode`).
const MAX_CONTRACTS_PER_NODE: u32 = 500;

/// The whole run's report.
#[derive(Serialize)]
struct Report {
	url: String,
	block_time_ms: u64,
	phases: Vec<PhaseReport>,
}

#[tokio::main]
async fn main() {
	let args = Args::parse();
	if let Err(e) = check(&args) {
		eprintln!("grid-load: {e:#}");
		std::process::exit(2);
	}
	match run(&args).await {
		Ok(report) => print(&args, &report),
		Err(e) => {
			eprintln!("grid-load: {e:#}");
			std::process::exit(1);
		}
	}
}

/// Refuse arguments that cannot make a run, naming the argument.
fn check(args: &Args) -> Result<()> {
	if args.senders == 0 {
		bail!("--senders: at least one sender is needed");
	}
	if args.contracts > MAX_CONTRACTS_PER_NODE {
		bail!(
			"--contracts: {}, at most {MAX_CONTRACTS_PER_NODE} (a node holds at most {MAX_CONTRACTS_PER_NODE} live node contracts)",
			args.contracts
		);
	}
	if args.contracts == 0 && args.report_calls > 0 {
		bail!("--report-calls: reports need contracts; give --contracts");
	}
	if args.data_bytes > 8 * 1024 {
		bail!("--data-bytes: {} bytes, at most 8192 (the chain's limit)", args.data_bytes);
	}
	Ok(())
}

async fn run(args: &Args) -> Result<Report> {
	// Setup waits for finality, so that what the phases read at the finalized block is there.
	let client = Client::connect(&args.url).await?.with_wait(Wait::Finalized);
	let funder = Identity::from_uri(&args.funder)?;
	let senders: Vec<Identity> = (0..args.senders)
		.map(|i| Identity::from_uri(&format!("{}//load//{i}", args.funder)))
		.collect::<Result<_, _>>()?;
	// A node of its own for each run: the contracts of earlier runs still fill theirs.
	let run_block = client.finalized_number().await?;
	let operator = Identity::from_uri(&format!("{}//load//node//{run_block}", args.funder))?;
	eprintln!("setting up {} senders and a node…", senders.len());
	let node_id = setup(&client, &funder, &senders, &operator).await?;
	let block_time_ms = client
		.at()
		.await?
		.constants()
		.entry(chain::constants().aura().slot_duration())
		.unwrap_or(6_000);

	let mut phases = Vec::new();
	let transfers = Phase::transfers(&client, &senders, args.transfers).await?;
	phases.push(transfers.run(&client, args.stall_secs).await?);
	let created =
		Phase::contracts(&client, &senders, node_id, args.contracts, args.data_bytes).await?;
	let (report, contract_ids) = created.run_collecting_contracts(&client, args.stall_secs).await?;
	phases.push(report);
	let confirmed = Phase::confirmations(&client, &operator, node_id, &contract_ids).await?;
	phases.push(confirmed.run(&client, args.stall_secs).await?);
	if args.report_calls > 0 {
		let reports = Phase::reports(&client, &operator, &contract_ids, args.report_calls).await?;
		phases.push(reports.run(&client, args.stall_secs).await?);
	}
	phase::add_ratios(&mut phases);
	Ok(Report { url: args.url.clone(), block_time_ms, phases })
}

/// Fund the senders and the node operator from the funder in one batch, give each a twin, and
/// register the operator's node. Returns the node id.
async fn setup(
	client: &Client,
	funder: &Identity,
	senders: &[Identity],
	operator: &Identity,
) -> Result<u32> {
	use chain::runtime_types as rt;
	let accounts: Vec<AccountId32> =
		senders.iter().chain([operator]).map(Identity::account_id).collect();
	// Top up whoever has less than half of what a run may spend.
	let mut transfers = Vec::new();
	for who in &accounts {
		let free = client.balance(who).await?.free;
		if free < FUNDING / 2 {
			transfers.push(chain::Call::Balances(
				rt::pallet_balances::pallet::Call::transfer_keep_alive {
					dest: subxt::utils::MultiAddress::Id(*who),
					value: FUNDING - free,
				},
			));
		}
	}
	if !transfers.is_empty() {
		client
			.submit(&chain::tx().utility().batch_all(transfers), funder.keypair())
			.await
			.context("funding the load accounts")?;
	}

	// A few at a time; a connection hiccup (not a refusal) is retried once.
	let twin_of = |who: &Identity| {
		let who = who.clone();
		async move {
			let mut retried = false;
			loop {
				let attempt = match client.twin_id_of(&who.account_id()).await {
					Ok(Some(id)) => Ok(id),
					Ok(None) => client.create_twin(who.keypair(), None, None).await,
					Err(e) => Err(e),
				};
				match attempt {
					Err(e) if !retried && !e.is_refusal() => {
						retried = true;
						tokio::time::sleep(std::time::Duration::from_secs(2)).await;
					}
					done => break done,
				}
			}
		}
	};
	let twin_ids: Vec<u32> = futures::stream::iter(senders.iter().chain([operator]))
		.map(twin_of)
		.buffered(8)
		.collect::<Vec<_>>()
		.await
		.into_iter()
		.collect::<Result<_, _>>()
		.context("creating the twins")?;
	let operator_twin = *twin_ids.last().context("no operator twin")?;
	if let Some(node_id) = client.node_id_of_twin(operator_twin).await? {
		return Ok(node_id);
	}
	let farm = format!("load-{operator_twin}");
	let farm_id = client.create_farm(operator.keypair(), &farm).await?;
	let gib = 1u64 << 30;
	let resources = Resources { cru: 1024, mru: 4096 * gib, sru: 65536 * gib, hru: 0 };
	let location = Location {
		country: "BE".into(),
		city: "Ghent".into(),
		latitude: "51.05".into(),
		longitude: "3.72".into(),
	};
	Ok(client.create_node(operator.keypair(), farm_id, resources, &location).await?)
}

fn print(args: &Args, report: &Report) {
	if args.json {
		match serde_json::to_string_pretty(report) {
			Ok(text) => println!("{text}"),
			Err(e) => eprintln!("grid-load: {e}"),
		}
		return;
	}
	println!("{} ({} ms blocks)", report.url, report.block_time_ms);
	println!(
		"{:<22} {:>7} {:>9} {:>7} {:>11} {:>9} {:>9} {:>13} {:>15} {:>11}",
		"kind",
		"sent",
		"included",
		"blocks",
		"per block",
		"max/block",
		"per s",
		"ceiling/block",
		"charged ceiling",
		"vs transfer"
	);
	for p in &report.phases {
		println!(
			"{:<22} {:>7} {:>9} {:>7} {:>11.1} {:>9} {:>9.1} {:>13} {:>15} {:>11}",
			p.kind,
			p.sent,
			p.included,
			p.blocks,
			p.per_block,
			p.max_per_block,
			p.per_second,
			p.ceiling.per_block,
			p.ceiling.per_block_charged.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
			p.ratio_to_transfers.map(|r| format!("{r:.2}")).unwrap_or_else(|| "-".into()),
		);
	}
}
