//! The clients (`gridchain-sdk`, `grid`, the agent) are generated from `sdk/metadata/gridchain.scale`
//! rather than from the runtime crate. This test keeps that file honest: it fails when the runtime's
//! metadata changed and the file was not regenerated (`./scripts/metadata.sh`).

use gridchain_runtime::Runtime;

/// The metadata version the clients are generated from.
const VERSION: u32 = 16;

#[test]
fn committed_client_metadata_matches_the_runtime() {
	// From the package's directory, where the tests run (test-support/README.md, "Test data").
	let path = std::path::Path::new("../sdk/metadata/gridchain.scale");
	let metadata = Runtime::metadata_at_version(VERSION).expect("the runtime offers metadata v16");
	let current: &[u8] = &metadata;
	if std::env::var_os("GRIDCHAIN_WRITE_METADATA").is_some() {
		std::fs::write(&path, current).expect("metadata file written");
	}
	let committed = std::fs::read(&path).unwrap_or_default();
	assert!(
		committed == current,
		"{} is out of date with the runtime: run ./scripts/metadata.sh and commit it",
		path.display()
	);
}
