//! One module per noun.

pub mod account;
pub mod contract;
pub mod deployment;
pub mod key;
pub mod multisig;
pub mod registry;
