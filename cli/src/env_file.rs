//! A VM's environment from `--env-file FILE` and `--env NAME=VALUE`.
//!
//! An env file holds one `NAME=VALUE` a line; blank lines and lines starting with `#` are skipped.
//! The value is everything after the first `=`, as is (quotes included). Later lines, later files
//! and then `--env` win over earlier ones.

use crate::fail::{input, CmdResult};
use std::{collections::BTreeMap, path::PathBuf};

/// The environment from `files` (in order), then `pairs` from the command line.
///
/// Values on the command line are visible to other users in `ps` and stay in the shell history:
/// a warning names `--env-file` instead.
pub fn environment(files: &[PathBuf], pairs: &[String]) -> CmdResult<BTreeMap<String, String>> {
	let mut env = BTreeMap::new();
	for file in files {
		let name = file.display().to_string();
		let text =
			std::fs::read_to_string(file).map_err(|e| input(&name, format!("cannot read: {e}")))?;
		for (i, line) in text.lines().enumerate() {
			let line = line.strip_suffix('\r').unwrap_or(line);
			if line.trim().is_empty() || line.trim_start().starts_with('#') {
				continue;
			}
			let (k, v) =
				parse_pair(line).map_err(|why| input(&format!("{name}: line {}", i + 1), why))?;
			env.insert(k, v);
		}
	}
	for pair in pairs {
		// The pair is not echoed: its value may be a secret.
		let (k, v) = parse_pair(pair).map_err(|why| input("--env", why))?;
		env.insert(k, v);
	}
	if !pairs.is_empty() {
		let names: Vec<&str> =
			pairs.iter().filter_map(|p| p.split_once('=')).map(|(k, _)| k).collect();
		crate::output::warn(&format!(
			"--env {}: values on the command line are visible to other users in `ps` and stay in your shell history; put secrets in a file (NAME=VALUE lines, mode 0600) and pass --env-file FILE",
			names.join(", ")
		));
	}
	Ok(env)
}

/// `NAME=VALUE`, or why not (without the text: it may hold a secret).
fn parse_pair(text: &str) -> Result<(String, String), &'static str> {
	let (name, value) = text.split_once('=').ok_or("not NAME=VALUE (no `=`)")?;
	if name.is_empty() {
		return Err("not NAME=VALUE (no name before `=`)");
	}
	if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
		return Err("the name before `=` has a space or a control character");
	}
	Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
	use super::*;

	fn file_with(text: &str) -> (tempfile::TempDir, PathBuf) {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("vm.env");
		std::fs::write(&path, text).expect("write");
		(dir, path)
	}

	#[test]
	fn an_env_file_skips_comments_and_blank_lines_and_keeps_values_as_they_are() {
		let (_dir, path) =
			file_with("# the database\nDB_URL=postgres://u:p=w@db/x\n\n  \n  # indented\nQUOTED=\"a b\"\r\nEMPTY=\n");
		let env = environment(&[path], &[]).expect("parsed");
		assert_eq!(
			env.into_iter().collect::<Vec<_>>(),
			vec![
				("DB_URL".to_string(), "postgres://u:p=w@db/x".to_string()),
				("EMPTY".to_string(), String::new()),
				("QUOTED".to_string(), "\"a b\"".to_string()),
			]
		);
	}

	#[test]
	fn the_command_line_wins_over_the_file() {
		let (_dir, path) = file_with("TZ=UTC\nLANG=C\n");
		let env = environment(&[path], &["TZ=Europe/Brussels".to_string()]).expect("parsed");
		assert_eq!(env["TZ"], "Europe/Brussels");
		assert_eq!(env["LANG"], "C");
	}

	#[test]
	fn a_malformed_line_names_the_file_and_line_and_not_its_text() {
		let (_dir, path) = file_with("A=1\n# fine\nhunter2\n");
		let message = environment(std::slice::from_ref(&path), &[]).expect_err("refused").message();
		assert!(message.contains(&format!("{}: line 3", path.display())), "{message}");
		assert!(message.contains("no `=`"), "{message}");
		assert!(!message.contains("hunter2"), "the line may be a secret: {message}");
	}

	#[test]
	fn names_must_be_non_empty_and_without_spaces() {
		assert!(parse_pair("=x").is_err());
		assert!(parse_pair("MY VAR=x").is_err());
		assert!(parse_pair(" A=x").is_err());
		assert_eq!(parse_pair("A=b=c"), Ok(("A".to_string(), "b=c".to_string())));
	}

	#[test]
	fn a_missing_file_is_named() {
		let message = environment(&[PathBuf::from("/nonexistent/vm.env")], &[])
			.expect_err("refused")
			.message();
		assert!(message.starts_with("/nonexistent/vm.env: cannot read"), "{message}");
	}
}
