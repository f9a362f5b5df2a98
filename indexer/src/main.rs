//! `grid-indexer`: follow Gridchain's finalized blocks into a database and serve GraphQL.

use clap::Parser;
use grid_indexer::{
	api,
	db::{self, Db, ReaderLimits},
	limits, server,
	status::Status,
	sync,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};

/// Index Gridchain's history into SQLite (default) or PostgreSQL and answer GraphQL queries.
#[derive(Parser, Debug)]
#[command(name = "grid-indexer", version)]
struct Args {
	/// The chain's WebSocket RPC.
	#[arg(long, env = "GRID_CHAIN", default_value = "ws://127.0.0.1:9944")]
	chain: String,
	/// `postgres://user:pass@host:port/db`, or a SQLite file (`sqlite://PATH` or a path).
	#[arg(long, env = "GRID_INDEXER_DATABASE", default_value = "grid-indexer.db")]
	database: String,
	/// Where GraphQL, GraphiQL, `/health` and `/metrics` listen.
	#[arg(long, env = "GRID_INDEXER_LISTEN", default_value = "127.0.0.1:4350")]
	listen: SocketAddr,
	/// Blocks read from the node at the same time while catching up.
	#[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u16).range(1..=512))]
	concurrency: u16,
	/// Blocks per database transaction, at most.
	#[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
	batch_blocks: u32,
	/// `/health` answers 503 when more than this many blocks behind.
	#[arg(long, default_value_t = 10)]
	max_lag: u32,
	/// Database connections of the GraphQL API, apart from the follower's (default: 4 on SQLite,
	/// 8 on PostgreSQL).
	#[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
	api_connections: Option<u32>,
	/// A GraphQL request not answered within this many milliseconds is answered with a
	/// `REQUEST_TIMEOUT` error; also PostgreSQL's `statement_timeout` for the API.
	#[arg(long, default_value_t = limits::DEFAULT_REQUEST_TIMEOUT.as_millis() as u64,
		value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
	request_timeout_ms: u64,
	/// Print the GraphQL schema (SDL) and exit.
	#[arg(long)]
	print_schema: bool,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| "grid_indexer=info".into()),
		)
		.with_writer(std::io::stderr)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
		.init();
	let args = Args::parse();
	if args.print_schema {
		print!("{}", api::sdl());
		return std::process::ExitCode::SUCCESS;
	}
	match run(args).await {
		Ok(()) => std::process::ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("grid-indexer: {e:#}");
			// Bad arguments exit 2, like clap's own usage errors; everything else 1.
			let usage = matches!(e.downcast_ref::<db::DbError>(), Some(db::DbError::Url(_)))
				|| e.to_string().starts_with("--listen");
			std::process::ExitCode::from(if usage { 2 } else { 1 })
		}
	}
}

async fn run(args: Args) -> anyhow::Result<()> {
	let db = Db::connect(&args.database).await?;
	let request_timeout = Duration::from_millis(args.request_timeout_ms);
	let mut reader_limits = ReaderLimits::default_for(db.backend, request_timeout);
	if let Some(connections) = args.api_connections {
		reader_limits.connections = connections;
	}
	let api_db = Db::connect_reader(&args.database, reader_limits).await?;
	let status = Arc::new(Status::default());
	let (stop, stopped) = tokio::sync::watch::channel(false);
	let options = sync::SyncOptions {
		concurrency: usize::from(args.concurrency),
		batch_blocks: args.batch_blocks as usize,
		poll: Duration::from_millis(500),
	};
	let follower = tokio::spawn(sync::follow(
		args.chain.clone(),
		db.clone(),
		status.clone(),
		options,
		stopped.clone(),
	));
	let state = server::AppState {
		schema: api::schema(api_db.clone(), status.clone()),
		db,
		api_db,
		status,
		max_lag: i64::from(args.max_lag),
		request_timeout,
	};
	let listener = tokio::net::TcpListener::bind(args.listen)
		.await
		.map_err(|e| anyhow::anyhow!("--listen {}: {e}", args.listen))?;
	let listening = listener.local_addr().unwrap_or(args.listen);
	tracing::info!("GraphQL on http://{listening}/graphql, following {}", args.chain);
	let mut server_stopped = stopped.clone();
	let server = tokio::spawn(async move {
		axum::serve(listener, server::router(state))
			.with_graceful_shutdown(async move {
				let _ = server_stopped.wait_for(|s| *s).await;
			})
			.await
	});
	let mut follower = follower;
	tokio::select! {
		_ = shutdown_signal() => {
			tracing::info!("stopping");
			let _ = stop.send(true);
			let _ = (&mut follower).await;
		}
		result = &mut follower => {
			let _ = stop.send(true);
			result??;
		}
	}
	server.await??;
	Ok(())
}

async fn shutdown_signal() {
	let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
		Ok(s) => s,
		Err(_) => return std::future::pending().await,
	};
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {}
		_ = term.recv() => {}
	}
}
