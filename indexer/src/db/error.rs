//! What can go wrong with the database, and the one conversion every write makes: a chain
//! integer into a BIGINT column.

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
	#[error("database: {0}")]
	Sql(#[from] sqlx::Error),
	#[error("database migration: {0}")]
	Migrate(#[from] sqlx::migrate::MigrateError),
	#[error("{what} {value} does not fit the database's 64-bit integers")]
	TooLarge { what: &'static str, value: u128 },
	#[error("--database {0}: expected postgres://…, sqlite://PATH or a file path")]
	Url(String),
	#[error("the database writer stopped: {0}")]
	Writer(String),
	#[error("block {got} does not follow the last indexed block {last}")]
	Gap { last: i64, got: u64 },
}

pub type Result<T> = std::result::Result<T, DbError>;

/// A chain integer as a database BIGINT, or a named error when it does not fit.
pub fn int<T: Into<u128>>(value: T, what: &'static str) -> Result<i64> {
	let value = value.into();
	i64::try_from(value).map_err(|_| DbError::TooLarge { what, value })
}
