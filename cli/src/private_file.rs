//! Every file `grid` writes holds a secret (a key) or a deployment (whose `env` may hold secrets),
//! so every file is written readable by its owner alone.

use crate::fail::{input, CmdResult};
use std::{
	fs::{self, File, OpenOptions},
	io::{self, Write},
	os::unix::fs::{OpenOptionsExt, PermissionsExt},
	path::{Path, PathBuf},
};

/// The mode of every file `grid` writes.
pub const PRIVATE_MODE: u32 = 0o600;

/// Write `bytes` to `path` with mode 0600, whatever the umask, replacing any file there.
///
/// The bytes go to a new file beside `path`, created 0600, which is then renamed over `path`: an
/// older file's looser mode is never kept, a symlink at `path` is replaced rather than followed,
/// and a failed write leaves the older file whole.
pub fn write_private(path: &Path, bytes: &[u8]) -> CmdResult {
	let failed = |e: io::Error| input(&path.display().to_string(), format!("cannot write: {e}"));
	let file_name =
		path.file_name().ok_or_else(|| input(&path.display().to_string(), "is not a file name"))?;
	let dir = match path.parent() {
		Some(dir) if !dir.as_os_str().is_empty() => dir,
		_ => Path::new("."),
	};
	let (temp, mut file) = create_temp(dir, &file_name.to_string_lossy()).map_err(failed)?;
	let written = file
		// The umask may have taken bits from the mode asked at creation; set it exactly.
		.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))
		.and_then(|()| file.write_all(bytes))
		.and_then(|()| file.sync_all())
		.and_then(|()| fs::rename(&temp, path));
	if let Err(e) = written {
		let _ = fs::remove_file(&temp);
		return Err(failed(e));
	}
	Ok(())
}

/// A new file `.NAME.PID.N.tmp` in `dir`, created 0600; never an existing file or a symlink.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
	let mut last = io::Error::new(io::ErrorKind::AlreadyExists, "no free temporary name");
	for n in 0..100 {
		let temp = dir.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
		match OpenOptions::new().write(true).create_new(true).mode(PRIVATE_MODE).open(&temp) {
			Ok(file) => return Ok((temp, file)),
			Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = e,
			Err(e) => return Err(e),
		}
	}
	Err(last)
}

#[cfg(test)]
mod tests {
	use super::*;

	fn mode(path: &Path) -> u32 {
		fs::symlink_metadata(path).expect("metadata").permissions().mode() & 0o777
	}

	#[test]
	fn a_new_file_is_0600() {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("doc.json");
		write_private(&path, b"{}\n").expect("written");
		assert_eq!(mode(&path), 0o600);
		assert_eq!(fs::read(&path).expect("read"), b"{}\n");
	}

	#[test]
	fn an_older_world_readable_file_ends_0600_with_the_new_content() {
		let dir = tempfile::tempdir().expect("temp dir");
		let path = dir.path().join("key");
		fs::write(&path, "old secret\n").expect("write");
		fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
		write_private(&path, b"new secret\n").expect("written");
		assert_eq!(mode(&path), 0o600);
		assert_eq!(fs::read_to_string(&path).expect("read"), "new secret\n");
	}

	#[test]
	fn a_symlink_at_the_path_is_replaced_not_followed() {
		let dir = tempfile::tempdir().expect("temp dir");
		let elsewhere = dir.path().join("elsewhere");
		fs::write(&elsewhere, "untouched").expect("write");
		fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o644)).expect("chmod");
		let path = dir.path().join("doc.json");
		std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
		write_private(&path, b"secret").expect("written");
		assert_eq!(fs::read_to_string(&elsewhere).expect("read"), "untouched");
		assert_eq!(mode(&path), 0o600, "a regular file now");
		assert_eq!(fs::read_to_string(&path).expect("read"), "secret");
	}

	#[test]
	fn a_failed_write_leaves_no_temporary_file() {
		let dir = tempfile::tempdir().expect("temp dir");
		// Renaming a file over a directory fails after the temporary file is written.
		let path = dir.path().join("a-directory");
		fs::create_dir(&path).expect("mkdir");
		assert!(write_private(&path, b"secret").is_err());
		let left: Vec<_> = fs::read_dir(dir.path()).expect("list").collect();
		assert_eq!(left.len(), 1, "only the directory: {left:?}");
	}
}
