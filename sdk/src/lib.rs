#![doc = include_str!("../README.md")]

pub mod agent;
mod balances;
mod client;
mod contracts;
mod deployments;
mod error;
pub mod indexer;
mod keys;
mod multisig;
mod price;
mod quote;
mod registry;
mod signatories;
mod types;

/// The typed chain API, generated from `metadata/gridchain.scale` (kept equal to the runtime's
/// metadata by a test in `gridchain-runtime`; regenerate with `./scripts/metadata.sh`).
#[subxt::subxt(runtime_metadata_path = "metadata/gridchain.scale", derive_for_all_types = "Clone")]
pub mod chain {}

/// The metadata file, included so that the compiler tracks it: the macro above reads it, but
/// cargo would not rebuild this crate when only the file changed.
const _METADATA: &[u8] = include_bytes!("../metadata/gridchain.scale");

pub use balances::{format_tft, parse_tft, UNITS_PER_TFT};
pub use client::{Client, Config, Receipt, TxEvents, Wait};
pub use contracts::{Bills, Consumption, ReportOutcome, MAX_REPORTS_PER_CALL};
pub use deployments::{Restoration, SealedDeployment};
pub use error::{named, Error, Result};
pub use gridchain_deployment as deployment;
pub use indexer::{FoundNode, IndexedBills, IndexerClient};
pub use keys::{parse_account, Identity};
pub use multisig::PendingCall;
pub use price::TftPriceInfo;
pub use quote::{DiscountLevel, Quote, QuoteBasis, UnitPrices};
pub use registry::{NodeQuery, PricingPolicy};
pub use signatories::{call_hash, Multisig};
pub use subxt::utils::AccountId32;
pub use subxt_signer::sr25519::Keypair;
pub use types::*;
