//! # Gridchain primitives
//!
//! The pure logic of Gridchain, shared by the runtime, the SDK and the CLI so that they can never
//! disagree on a number:
//!
//! - [`resources`]: node and workload resources and the cloud units derived from them (CU, SU, NU).
//! - [`cost`]: the price list of a pricing policy and the cost of a billing window, in uUSD.
//! - [`tft`]: conversion of a cost into TFT units, discount levels and the split of a payment.
//! - [`ip`]: validation of a farm's public IPv4 addresses and gateways.
//!
//! Everything is integer arithmetic. Costs accrue with sub-uUSD precision ([`cost::ScaledCost`])
//! and are rounded to a TFT unit exactly once, when they are settled.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod cost;
pub mod ip;
pub mod resources;
pub mod tft;

pub use cost::{ScaledCost, UnitPrices, COST_SCALE};
pub use resources::{Resources, GIB};
pub use tft::{Balance, DiscountLevel, UNITS_PER_TFT};

/// Identifier of a twin: the on-grid identity of an account. Counts from 1.
pub type TwinId = u32;
/// Identifier of a farm. Counts from 1.
pub type FarmId = u32;
/// Identifier of a node. Counts from 1.
pub type NodeId = u32;
/// Identifier of a pricing policy. Counts from 1.
pub type PricingPolicyId = u32;
/// Identifier of a contract, one counter for all contract types. Counts from 1.
pub type ContractId = u64;
