//! The committed GraphQL schema (`indexer/schema.graphql`) is the one the indexer serves: this
//! fails when they drift. `GRIDCHAIN_WRITE_SCHEMA=1` rewrites the file.

#[test]
fn the_committed_schema_is_the_served_one() {
	// From the package's directory, where the tests run (test-support/README.md, "Test data").
	let path = std::path::Path::new("schema.graphql");
	let served = grid_indexer::api::sdl();
	if std::env::var_os("GRIDCHAIN_WRITE_SCHEMA").is_some() {
		std::fs::write(&path, &served).expect("schema written");
	}
	let committed = std::fs::read_to_string(&path).expect("indexer/schema.graphql");
	assert!(
		committed == served,
		"indexer/schema.graphql differs from the served schema: rerun with GRIDCHAIN_WRITE_SCHEMA=1 and commit it"
	);
	for query in [
		"nodes(",
		"farms(",
		"twins(",
		"contracts(",
		"bills(",
		"billsPerDay(",
		"consumptionReports(",
		"prices(",
	] {
		assert!(served.contains(query), "the schema offers {query}");
	}
}
