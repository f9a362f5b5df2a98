#![doc = include_str!("../README.md")]

pub mod api;
pub mod codes;
pub mod db;
pub mod fetch;
pub mod limits;
pub mod nested;
pub mod server;
pub mod status;
pub mod sync;
