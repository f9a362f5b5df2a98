//! The crate's tests, one module per part of SPEC §9, in a single test binary.

mod capacity;
mod common;
mod document;
mod encryption;
mod hash;
mod identity;
mod properties;
mod signatures;
mod validation;
mod vectors;
