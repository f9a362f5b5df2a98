//! `sqlx::migrate!` embeds `migrations/` when the crate compiles: a migration added or changed must
//! rebuild it, which cargo does not know without being told.

fn main() {
	println!("cargo:rerun-if-changed=migrations");
}
