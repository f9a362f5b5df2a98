//! Where `grid` keeps your key: `$XDG_CONFIG_HOME/grid/key` (else `~/.config/grid/key`), mode 0600,
//! holding one secret URI. `--key` and `GRID_MNEMONIC` take precedence.

use crate::fail::{input, Failure};
use gridchain_sdk::Identity;
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::PathBuf};

/// The key file's path.
pub fn key_path() -> Result<PathBuf, Failure> {
	Ok(config_dir()?.join("key"))
}

/// `$XDG_CONFIG_HOME/grid`, else `~/.config/grid`.
pub fn config_dir() -> Result<PathBuf, Failure> {
	let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
		Some(dir) => PathBuf::from(dir),
		None => {
			let home = std::env::var_os("HOME")
				.ok_or_else(|| input("HOME", "is not set, and neither is XDG_CONFIG_HOME"))?;
			PathBuf::from(home).join(".config")
		}
	};
	Ok(base.join("grid"))
}

/// The indexer named by `config.toml` in the config dir (`indexer = "http://…"`), if any.
pub fn configured_indexer() -> Result<Option<String>, Failure> {
	let path = config_dir()?.join("config.toml");
	let text = match std::fs::read_to_string(&path) {
		Ok(text) => text,
		Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
		Err(e) => return Err(input(&path.display().to_string(), e.to_string())),
	};
	let config: toml::Table =
		text.parse().map_err(|e| input(&path.display().to_string(), format!("not TOML: {e}")))?;
	match config.get("indexer") {
		None => Ok(None),
		Some(toml::Value::String(url)) => Ok(Some(url.clone())),
		Some(_) => Err(input(&format!("{}: indexer", path.display()), "must be a URL string")),
	}
}

/// The secret URI to act with: `--key`, else `GRID_MNEMONIC`, else the key file.
pub fn secret_uri(flag: Option<&str>) -> Result<String, Failure> {
	if let Some(uri) = flag {
		return Ok(uri.to_string());
	}
	if let Ok(uri) = std::env::var("GRID_MNEMONIC") {
		if !uri.trim().is_empty() {
			return Ok(uri);
		}
	}
	let path = key_path()?;
	match std::fs::read_to_string(&path) {
		Ok(uri) => Ok(uri.trim().to_string()),
		Err(_) => Err(input(
			"key",
			format!("no key: run `grid key new` or `grid key import`, or pass --key, or set GRID_MNEMONIC ({} not found)", path.display()),
		)),
	}
}

/// The identity to act with.
pub fn identity(flag: Option<&str>) -> Result<Identity, Failure> {
	Identity::from_uri(&secret_uri(flag)?).map_err(Failure::from)
}

/// Save `uri` as the key, readable by its owner only; refuses to replace one unless `force`.
pub fn save(uri: &str, force: bool) -> Result<PathBuf, Failure> {
	let path = key_path()?;
	if path.exists() && !force {
		return Err(input("key", format!("{} exists: pass --force to replace it", path.display())));
	}
	let dir = path.parent().ok_or_else(|| input("key", "the key path has no folder"))?;
	std::fs::create_dir_all(dir)
		.map_err(|e| input("key", format!("cannot create {}: {e}", dir.display())))?;
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create(true)
		.truncate(true)
		.mode(0o600)
		.open(&path)
		.map_err(|e| input("key", format!("cannot write {}: {e}", path.display())))?;
	writeln!(file, "{uri}")
		.map_err(|e| input("key", format!("cannot write {}: {e}", path.display())))?;
	Ok(path)
}
