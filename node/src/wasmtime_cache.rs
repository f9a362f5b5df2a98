//! `--wasmtime-cache DIR`: the native code wasmtime compiles from a runtime, kept in DIR and run
//! from there by the next node that runs the same runtime.
//!
//! A node compiles the runtime three times as it starts on a preset chain (`--dev`, `local`):
//! twice to build the genesis state, through sc-chain-spec's own executors, and once for its
//! client. In a debug build that is about 11 s of CPU each start, nearly all of it in cranelift.
//! With a cache the client's executor reads the compiled runtime back, and [`genesis_storage`]
//! builds the genesis state through an executor with the same cache, so a start that finds the
//! runtime in DIR compiles nothing.
//!
//! DIR holds code the node runs as its own: [`open`] refuses a DIR that anyone but the node's
//! user could write to.

use codec::{Decode, Encode};
use sc_executor::{HeapAllocStrategy, DEFAULT_HEAP_ALLOC_STRATEGY};
use sc_service::config::ExecutorConfiguration;
use sp_core::{
	storage::{well_known_keys, Storage},
	traits::{CallContext, CodeExecutor, RuntimeCode, WrappedRuntimeCode},
};
use std::{
	borrow::Cow,
	os::unix::fs::{DirBuilderExt, MetadataExt},
	path::Path,
};

/// The executor the node runs its runtime with.
pub type WasmExecutor = sc_executor::WasmExecutor<sp_io::SubstrateHostFunctions>;

/// Make sure `dir` can hold compiled code: create it (mode 0700) if it does not exist; refuse it
/// if it is not a directory, is not owned by the node's user, or group or others may write to it.
pub fn open(dir: &Path) -> Result<(), String> {
	let name = dir.display();
	if !dir.exists() {
		std::fs::DirBuilder::new()
			.recursive(true)
			.mode(0o700)
			.create(dir)
			.map_err(|e| format!("--wasmtime-cache {name}: cannot create it: {e}"))?;
	}
	let meta = std::fs::metadata(dir).map_err(|e| format!("--wasmtime-cache {name}: {e}"))?;
	if !meta.is_dir() {
		return Err(format!("--wasmtime-cache {name}: not a directory"));
	}
	// /proc/self belongs to the process's effective user.
	let user = std::fs::metadata("/proc/self")
		.map_err(|e| format!("--wasmtime-cache {name}: the node's user: {e}"))?
		.uid();
	if meta.uid() != user {
		return Err(format!(
			"--wasmtime-cache {name}: owned by user {}, not by the node's user {user}: the node \
			 runs the code kept there",
			meta.uid()
		));
	}
	if meta.mode() & 0o022 != 0 {
		return Err(format!(
			"--wasmtime-cache {name}: group or others may write to it (mode {:o}): the node runs \
			 the code kept there",
			meta.mode() & 0o7777
		));
	}
	Ok(())
}

/// `sc_service::new_wasm_executor`, with wasmtime's compiled runtimes kept in `cache` if given.
pub fn executor(config: &ExecutorConfiguration, cache: Option<&Path>) -> WasmExecutor {
	let heap = config
		.default_heap_pages
		.map_or(DEFAULT_HEAP_ALLOC_STRATEGY, |p| HeapAllocStrategy::Static { extra_pages: p as _ });
	let builder = WasmExecutor::builder()
		.with_execution_method(config.wasm_method)
		.with_onchain_heap_alloc_strategy(heap)
		.with_offchain_heap_alloc_strategy(heap)
		.with_max_runtime_instances(config.max_runtime_instances)
		.with_runtime_cache_size(config.runtime_cache_size);
	match cache {
		Some(dir) => builder.with_cache_path(dir),
		None => builder,
	}
	.build()
}

/// The genesis state of runtime `code`'s preset `preset`, built as sc-chain-spec builds a chain
/// spec's named preset (the preset merged over the runtime's default config, then
/// `GenesisBuilder_build_state`, then `:code`), by an executor that keeps the compiled runtime in
/// `cache`.
pub fn genesis_storage(code: &[u8], preset: &str, cache: &Path) -> Result<Storage, String> {
	let executor = WasmExecutor::builder()
		.with_allow_missing_host_functions(true)
		.with_cache_path(cache)
		.build();
	let fetcher = WrappedRuntimeCode(Cow::Borrowed(code));
	let runtime = RuntimeCode {
		code_fetcher: &fetcher,
		heap_pages: None,
		hash: sp_io::hashing::blake2_256(code).to_vec(),
	};
	let call = |ext: &mut sp_state_machine::BasicExternalities, method: &str, data: &[u8]| {
		executor
			.call(ext, &runtime, method, data, CallContext::Offchain)
			.0
			.map_err(|e| format!("the runtime's {method}: {e}"))
	};
	let preset_json = |id: Option<String>| -> Result<serde_json::Value, String> {
		let mut ext = sp_state_machine::BasicExternalities::new_empty();
		let reply = call(&mut ext, "GenesisBuilder_get_preset", &id.encode())?;
		let json = Option::<Vec<u8>>::decode(&mut &reply[..])
			.map_err(|e| format!("the runtime's GenesisBuilder_get_preset reply: {e}"))?
			.ok_or_else(|| format!("the runtime has no genesis preset {id:?}"))?;
		serde_json::from_slice(&json).map_err(|e| format!("the runtime's preset {id:?}: {e}"))
	};
	let mut config = preset_json(None)?;
	sc_chain_spec::json_merge(&mut config, preset_json(Some(preset.to_string()))?);
	let config = serde_json::to_string(&config).map_err(|e| format!("genesis config: {e}"))?;
	let mut ext = sp_state_machine::BasicExternalities::new_empty();
	let reply = call(&mut ext, "GenesisBuilder_build_state", &config.encode())?;
	Result::<(), String>::decode(&mut &reply[..])
		.map_err(|e| format!("the runtime's GenesisBuilder_build_state reply: {e}"))?
		.map_err(|e| format!("the runtime refused preset {preset}'s genesis config: {e}"))?;
	let mut storage = ext.into_storages();
	storage.top.insert(well_known_keys::CODE.to_vec(), code.to_vec());
	Ok(storage)
}

#[cfg(test)]
mod tests {
	use super::*;
	use std::os::unix::fs::PermissionsExt;

	fn scratch(name: &str) -> std::path::PathBuf {
		let dir =
			std::env::temp_dir().join(format!("gridchain-wasmtime-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		dir
	}

	#[test]
	fn a_cache_dir_is_created_private_and_one_others_may_write_to_is_refused() {
		let dir = scratch("open");
		let cache = dir.join("a/b");
		assert_eq!(open(&cache), Ok(()));
		let mode = std::fs::metadata(&cache).map(|m| m.mode() & 0o777);
		assert_eq!(mode.ok(), Some(0o700));
		// Already there and private: taken as it is.
		assert_eq!(open(&cache), Ok(()));

		for (mode, shown) in [(0o777, "777"), (0o720, "720"), (0o702, "702")] {
			let set = std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(mode));
			assert!(set.is_ok(), "chmod {shown}");
			let refused = open(&cache).err().unwrap_or_default();
			assert!(
				refused.contains("group or others may write to it")
					&& refused.contains(&format!("mode {shown}")),
				"{refused}"
			);
		}
		// Readable by others is not a way in.
		let set = std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o755));
		assert!(set.is_ok());
		assert_eq!(open(&cache), Ok(()));

		let file = dir.join("file");
		assert!(std::fs::write(&file, b"x").is_ok());
		assert!(open(&file).err().unwrap_or_default().ends_with("not a directory"));
		let _ = std::fs::remove_dir_all(&dir);
	}

	#[test]
	fn a_cache_dir_of_another_user_is_refused() {
		let user = std::fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0);
		let dir = scratch("owner");
		assert_eq!(open(&dir), Ok(()));
		// Root gives its directory away; any other user finds one of root's.
		let (dir, owner) = if user == 0 {
			let chown = std::process::Command::new("chown").arg("65534").arg(&dir).status();
			assert!(chown.is_ok_and(|s| s.success()), "chown 65534");
			(dir, 65534)
		} else {
			(std::path::PathBuf::from("/"), 0)
		};
		let refused = open(&dir).err().unwrap_or_default();
		assert!(
			refused.contains(&format!("owned by user {owner}, not by the node's user {user}")),
			"{refused}"
		);
		if user == 0 {
			let _ = std::fs::remove_dir_all(&dir);
		}
	}
}
