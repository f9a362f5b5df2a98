#![doc = include_str!("../README.md")]

mod args;
mod commands;
mod ctx;
mod env_file;
mod fail;
mod keystore;
mod output;
mod private_file;

use clap::Parser;

#[tokio::main]
async fn main() {
	let cli = args::Cli::parse();
	keystore::warn_if_key_on_command_line(cli.global.key.as_deref());
	let ctx = ctx::Ctx::new(cli.global);
	if let Err(failure) = commands::dispatch(&ctx, cli.command).await {
		eprintln!("error: {}", failure.message());
		std::process::exit(failure.exit_code());
	}
}
