//! Where `grid` keeps your key: `$XDG_CONFIG_HOME/grid/key` (else `~/.config/grid/key`), mode 0600,
//! holding one secret URI. `--key`, `--key-file` and `GRID_MNEMONIC` take precedence.

use crate::{
	fail::{input, Failure},
	private_file::write_private,
};
use gridchain_sdk::Identity;
use std::{
	os::unix::fs::PermissionsExt,
	path::{Path, PathBuf},
};

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

/// The secret URI to act with: `--key`, else `--key-file`, else `GRID_MNEMONIC`, else the key
/// file.
pub fn secret_uri(flag: Option<&str>, file: Option<&Path>) -> Result<String, Failure> {
	if let Some(uri) = flag {
		return Ok(uri.to_string());
	}
	if let Some(path) = file {
		return read_key_file(path);
	}
	if let Ok(uri) = std::env::var("GRID_MNEMONIC") {
		if !uri.trim().is_empty() {
			return Ok(uri);
		}
	}
	let path = key_path()?;
	if !path.exists() {
		return Err(input(
			"key",
			format!("no key: run `grid key new` or `grid key import`, or pass --key-file, or set GRID_MNEMONIC ({} not found)", path.display()),
		));
	}
	read_key_file(&path)
}

/// The secret URI in a key file; a warning if others may read it.
fn read_key_file(path: &Path) -> Result<String, Failure> {
	let name = path.display().to_string();
	let uri =
		std::fs::read_to_string(path).map_err(|e| input(&name, format!("cannot read: {e}")))?;
	let uri = uri.trim();
	// An empty secret URI is the public dev phrase: never act with it by accident.
	if uri.is_empty() {
		return Err(input(&name, "is empty: it should hold a secret phrase or URI"));
	}
	if let Ok(meta) = std::fs::metadata(path) {
		let mode = meta.permissions().mode() & 0o777;
		if meta.is_file() && mode & 0o077 != 0 {
			crate::output::warn(&format!(
				"{name} holds your key and other users may read it (mode {mode:04o}): run `chmod 600 {name}`"
			));
		}
	}
	Ok(uri.to_string())
}

/// Whether a secret URI holds no secret: a path from the dev phrase everyone knows (`//Alice`,
/// `//Bob//stash`, `/soft`), without a `///password`.
pub fn is_public_dev_uri(uri: &str) -> bool {
	let uri = uri.trim();
	uri.starts_with('/') && !uri.contains("///")
}

/// A warning when `--key` puts a secret on the command line, where other users see it in `ps`
/// and the shell history keeps it. Dev accounts (`//Alice`) hold no secret and pass silently.
pub fn warn_if_key_on_command_line(flag: Option<&str>) {
	if flag.is_some_and(|uri| !is_public_dev_uri(uri)) {
		crate::output::warn(
			"--key puts your secret on the command line, where other users see it in `ps` and your shell history keeps it; use the saved key (`grid key import` reads it from standard input), --key-file FILE or GRID_MNEMONIC instead",
		);
	}
}

/// The identity to act with.
pub fn identity(flag: Option<&str>, file: Option<&Path>) -> Result<Identity, Failure> {
	Identity::from_uri(&secret_uri(flag, file)?).map_err(Failure::from)
}

/// Save `uri` as the key, readable by its owner only (also when it replaces a looser file);
/// refuses to replace one unless `force`.
pub fn save(uri: &str, force: bool) -> Result<PathBuf, Failure> {
	let path = key_path()?;
	if path.exists() && !force {
		return Err(input("key", format!("{} exists: pass --force to replace it", path.display())));
	}
	let dir = path.parent().ok_or_else(|| input("key", "the key path has no folder"))?;
	std::fs::create_dir_all(dir)
		.map_err(|e| input("key", format!("cannot create {}: {e}", dir.display())))?;
	write_private(&path, format!("{uri}\n").as_bytes())?;
	Ok(path)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn dev_paths_hold_no_secret_and_phrases_seeds_and_passwords_do() {
		assert!(is_public_dev_uri("//Alice"));
		assert!(is_public_dev_uri("//Bob//stash"));
		assert!(is_public_dev_uri("/soft"));
		assert!(!is_public_dev_uri("//Alice///password"));
		assert!(!is_public_dev_uri(
			"bottom drive obey lake curtain smoke basket hold race lonely fit walk"
		));
		assert!(!is_public_dev_uri("reward lunar number mango//0"));
		assert!(!is_public_dev_uri(
			"0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a"
		));
	}
}
