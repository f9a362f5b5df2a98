//! What one GraphQL request may cost: its size, its shape, the rows it can ask for, and its time.
//! Anyone may query the API (it is public, read-only data), so these bound what one query can make
//! the database do; a query over a limit is refused before any SQL runs, with a [`Refused`] that
//! names the limit and its value.

use async_graphql::{
	async_trait::async_trait,
	extensions::{
		Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
	},
	parser::types::{ExecutableDocument, Selection, SelectionSet},
	Request, ServerError, ServerResult, ValidationResult,
};
use std::{collections::HashMap, sync::Arc, time::Duration};

/// The largest request body, in bytes. The dashboard's largest query is under 1 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Fields in a query, counting a fragment's fields each time it is spread: a few fragments that
/// spread each other twice would otherwise make millions of fields out of a few lines (and
/// validation, which expands them, would take as long).
pub const MAX_SELECTIONS: usize = 1_000;
/// Fields at the root of a query: each is its own SQL (a count and a page).
pub const MAX_ROOT_FIELDS: usize = 20;
/// Aliased fields in a query: aliases are how one query asks for the same list many times.
pub const MAX_ALIASES: usize = 30;
/// Nesting depth of fields.
pub const MAX_DEPTH: usize = 8;
/// Nesting of fields, fragment spreads and inline fragments together, as async-graphql counts it
/// (its own limit, 32); checked here first, so that a chain of fragments is refused before anything
/// recurses along it.
pub const MAX_NESTING: usize = 32;
/// Complexity: a field costs 1 plus its selection; a list costs its selection times the rows it
/// can return ([`page_cost`], [`nested_list_cost`]). The heaviest query of the dashboard and the
/// SDK, a page of 1,000 farms with their IPs, costs 37,000.
pub const MAX_COMPLEXITY: usize = 50_000;
/// The rows assumed for a list that has no `first` (a farm's IPs, a contract's events, bills per
/// day): their length is set by the chain's data, which a query's author does not choose.
pub const NESTED_LIST_ROWS: usize = 10;
/// How long a request may take, by default; PostgreSQL's `statement_timeout` on the API's
/// connections is the same.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest page (`first`).
pub const MAX_PAGE: i64 = 1000;

/// Why a request was refused; its [`code`](Refused::code), limit and value travel in the GraphQL
/// error's `extensions` so that a client can tell them apart without reading the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
	#[error("body: must be at most {limit} bytes")]
	BodyTooLarge { limit: usize },
	#[error(
		"selections: must be at most {limit} fields per query (a fragment counts each time it is spread), got {got}"
	)]
	TooManySelections { limit: usize, got: usize },
	#[error("root fields: must be at most {limit} per query, got {got}")]
	TooManyRootFields { limit: usize, got: usize },
	#[error("aliases: must be at most {limit} per query, got {got}")]
	TooManyAliases { limit: usize, got: usize },
	#[error("depth: must be at most {limit}, got {got}")]
	TooDeep { limit: usize, got: usize },
	#[error("nesting: fields and fragments must be nested at most {limit} levels deep")]
	TooNested { limit: usize },
	#[error(
		"complexity: must be at most {limit} (a list costs its fields times `first`), got {got}: ask for fewer rows or fields"
	)]
	TooComplex { limit: usize, got: usize },
	#[error(
		"request timeout: not answered within {limit_ms} ms; ask for fewer rows (`first`) or a narrower filter"
	)]
	RequestTimeout { limit_ms: u64 },
	#[error(
		"statement timeout: a database statement ran longer than the API allows; ask for fewer rows (`first`) or a narrower filter"
	)]
	StatementTimeout,
	#[error("busy: every database connection of the API is in use; try again shortly")]
	Busy,
}

impl Refused {
	/// The machine-readable name of the limit.
	pub fn code(&self) -> &'static str {
		match self {
			Refused::BodyTooLarge { .. } => "BODY_TOO_LARGE",
			Refused::TooManySelections { .. } => "TOO_MANY_SELECTIONS",
			Refused::TooManyRootFields { .. } => "TOO_MANY_ROOT_FIELDS",
			Refused::TooManyAliases { .. } => "TOO_MANY_ALIASES",
			Refused::TooDeep { .. } => "TOO_DEEP",
			Refused::TooNested { .. } => "TOO_NESTED",
			Refused::TooComplex { .. } => "TOO_COMPLEX",
			Refused::RequestTimeout { .. } => "REQUEST_TIMEOUT",
			Refused::StatementTimeout => "STATEMENT_TIMEOUT",
			Refused::Busy => "BUSY",
		}
	}

	/// The limit and the value that went over it, where there are such numbers.
	fn numbers(&self) -> Option<(u64, Option<u64>)> {
		let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
		match *self {
			Refused::BodyTooLarge { limit } | Refused::TooNested { limit } => {
				Some((n(limit), None))
			}
			Refused::TooManySelections { limit, got }
			| Refused::TooManyRootFields { limit, got }
			| Refused::TooManyAliases { limit, got }
			| Refused::TooDeep { limit, got }
			| Refused::TooComplex { limit, got } => Some((n(limit), Some(n(got)))),
			Refused::RequestTimeout { limit_ms } => Some((limit_ms, None)),
			Refused::StatementTimeout | Refused::Busy => None,
		}
	}

	/// As a GraphQL error: the message, and `code`, `limit` and `value` in its extensions.
	pub fn server_error(&self) -> ServerError {
		let mut error = ServerError::new(self.to_string(), None);
		let mut extensions = async_graphql::ErrorExtensionValues::default();
		extensions.set("code", self.code());
		if let Some((limit, got)) = self.numbers() {
			extensions.set("limit", limit);
			if let Some(got) = got {
				extensions.set("value", got);
			}
		}
		error.extensions = Some(extensions);
		error
	}

	/// As a resolver's error, with the same extensions.
	pub fn resolver_error(&self) -> async_graphql::Error {
		let mut error = async_graphql::Error::new(self.to_string());
		error.extensions = self.server_error().extensions;
		error
	}
}

/// A database error as the API answers it: a statement timeout and a full pool by name, anything
/// else as `database: …`.
pub fn sql_error(e: sqlx::Error) -> async_graphql::Error {
	match &e {
		sqlx::Error::PoolTimedOut => Refused::Busy.resolver_error(),
		// 57014: PostgreSQL's query_canceled, which statement_timeout raises.
		sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => {
			Refused::StatementTimeout.resolver_error()
		}
		// 5 and 6: SQLite's SQLITE_BUSY and SQLITE_LOCKED, once busy_timeout has passed.
		sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("5" | "6")) => {
			Refused::Busy.resolver_error()
		}
		_ => async_graphql::Error::new(format!("database: {e}")),
	}
}

/// The complexity of a page of at most `first` rows whose selection costs `child_complexity`: the
/// selection once per row it can return. `first` outside `0..=MAX_PAGE` is refused by the
/// resolver with its own error, so it counts as its nearest bound here.
pub fn page_cost(first: i64, child_complexity: usize) -> usize {
	let rows = usize::try_from(first.clamp(1, MAX_PAGE)).unwrap_or(1);
	rows.saturating_mul(child_complexity)
}

/// The complexity of a list without `first` ([`NESTED_LIST_ROWS`] rows assumed).
pub fn nested_list_cost(child_complexity: usize) -> usize {
	NESTED_LIST_ROWS.saturating_mul(child_complexity)
}

/// What a query's text asks for, fragments expanded: the largest over its operations.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
	/// Fields, counting a fragment's each time it is spread.
	pub selections: usize,
	/// Fields at the root of an operation.
	pub root_fields: usize,
	/// Fields with an alias.
	pub aliases: usize,
	/// Levels of selection sets below (fields, fragment spreads, inline fragments).
	pub nesting: usize,
}

impl Shape {
	/// Measure `doc`, each fragment once (memoized), so that the work is the size of the text;
	/// refused as soon as anything is nested deeper than [`MAX_NESTING`].
	pub fn of(doc: &ExecutableDocument) -> Result<Shape, Refused> {
		let mut memo = HashMap::new();
		let mut shape = Shape::default();
		for (_, operation) in doc.operations.iter() {
			let s = measure(&operation.node.selection_set.node, 0, doc, &mut memo)?;
			shape.selections = shape.selections.max(s.selections);
			shape.root_fields = shape.root_fields.max(s.root_fields);
			shape.aliases = shape.aliases.max(s.aliases);
			shape.nesting = shape.nesting.max(s.nesting);
		}
		Ok(shape)
	}

	/// The first limit this shape is over.
	pub fn check(&self) -> Result<(), Refused> {
		if self.root_fields > MAX_ROOT_FIELDS {
			return Err(Refused::TooManyRootFields {
				limit: MAX_ROOT_FIELDS,
				got: self.root_fields,
			});
		}
		if self.aliases > MAX_ALIASES {
			return Err(Refused::TooManyAliases { limit: MAX_ALIASES, got: self.aliases });
		}
		if self.selections > MAX_SELECTIONS {
			return Err(Refused::TooManySelections { limit: MAX_SELECTIONS, got: self.selections });
		}
		Ok(())
	}

	/// `other`'s fields beside these; its nesting one level below.
	fn add(&mut self, other: Shape, below: bool) {
		self.selections = self.selections.saturating_add(other.selections);
		self.root_fields = self.root_fields.saturating_add(other.root_fields);
		self.aliases = self.aliases.saturating_add(other.aliases);
		self.nesting = self.nesting.max(other.nesting + usize::from(below));
	}
}

/// The shape of `set`, found `depth` levels down. `root_fields` counts the fields of this set
/// itself (fragments spread into it included); `selections` and `aliases` count every level below
/// too. A fragment being measured counts as empty where it spreads itself: validation refuses such
/// cycles afterwards.
fn measure<'a>(
	set: &'a SelectionSet,
	depth: usize,
	doc: &'a ExecutableDocument,
	memo: &mut HashMap<&'a str, Option<Shape>>,
) -> Result<Shape, Refused> {
	let too_nested = Refused::TooNested { limit: MAX_NESTING };
	if depth > MAX_NESTING {
		return Err(too_nested);
	}
	let mut shape = Shape::default();
	for item in &set.items {
		match &item.node {
			Selection::Field(field) => {
				let children = &field.node.selection_set.node;
				let below = if children.items.is_empty() {
					Shape::default()
				} else {
					measure(children, depth + 1, doc, memo)?
				};
				let field_shape = Shape {
					selections: below.selections.saturating_add(1),
					root_fields: 1,
					aliases: below.aliases.saturating_add(usize::from(field.node.alias.is_some())),
					nesting: below.nesting,
				};
				shape.add(field_shape, !children.items.is_empty());
			}
			Selection::InlineFragment(fragment) => {
				let below = measure(&fragment.node.selection_set.node, depth + 1, doc, memo)?;
				shape.add(below, true);
			}
			Selection::FragmentSpread(spread) => {
				let name = spread.node.fragment_name.node.as_str();
				let below = match memo.get(name) {
					Some(Some(known)) if depth + 1 + known.nesting > MAX_NESTING => {
						return Err(too_nested)
					}
					Some(known) => known.unwrap_or_default(),
					None => match doc.fragments.get(name) {
						Some(fragment) => {
							memo.insert(name, None);
							let s =
								measure(&fragment.node.selection_set.node, depth + 1, doc, memo)?;
							memo.insert(name, Some(s));
							s
						}
						None => Shape::default(),
					},
				};
				shape.add(below, true);
			}
		}
	}
	Ok(shape)
}

/// The schema extension that applies [`Shape::check`] before async-graphql parses the query (its
/// recursion check after parsing, and validation, walk every fragment each time it is spread, so
/// their work grows with the expanded query), then the depth and complexity limits once
/// validation has measured them.
pub struct QueryLimits;

impl ExtensionFactory for QueryLimits {
	fn create(&self) -> Arc<dyn Extension> {
		Arc::new(QueryLimitsExtension)
	}
}

struct QueryLimitsExtension;

#[async_trait]
impl Extension for QueryLimitsExtension {
	async fn prepare_request(
		&self,
		ctx: &ExtensionContext<'_>,
		request: Request,
		next: NextPrepareRequest<'_>,
	) -> ServerResult<Request> {
		// A query that does not parse is left to async-graphql, which says why.
		if let Ok(doc) = async_graphql::parser::parse_query(&request.query) {
			Shape::of(&doc)
				.and_then(|shape| shape.check())
				.map_err(|refused| refused.server_error())?;
		}
		next.run(ctx, request).await
	}

	async fn validation(
		&self,
		ctx: &ExtensionContext<'_>,
		next: NextValidation<'_>,
	) -> Result<ValidationResult, Vec<ServerError>> {
		let result = next.run(ctx).await?;
		if result.depth > MAX_DEPTH {
			return Err(vec![
				Refused::TooDeep { limit: MAX_DEPTH, got: result.depth }.server_error()
			]);
		}
		if result.complexity > MAX_COMPLEXITY {
			let refused = Refused::TooComplex { limit: MAX_COMPLEXITY, got: result.complexity };
			return Err(vec![refused.server_error()]);
		}
		Ok(result)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn shape(query: &str) -> Result<Shape, Refused> {
		Shape::of(&async_graphql::parser::parse_query(query).expect("parses"))
	}

	#[test]
	fn a_fragment_counts_each_time_it_is_spread() {
		let s = shape(
			"{ ...A ...A } fragment A on Query { a: nodes { totalCount } b: farms { totalCount } }",
		);
		assert_eq!(s, Ok(Shape { selections: 8, root_fields: 4, aliases: 4, nesting: 2 }));
	}

	#[test]
	fn a_fragment_bomb_is_measured_without_expanding_it() {
		// 24 fragments, each spreading the next twice: 2^25 fields below one root field.
		let mut query = String::from("{ status { ...F0 } }");
		for i in 0..24 {
			let next = i + 1;
			query.push_str(&format!(" fragment F{i} on IndexerStatus {{ ...F{next} ...F{next} }}"));
		}
		query.push_str(" fragment F24 on IndexerStatus { lag indexedHeight }");
		let s = shape(&query).expect("nested 26 levels");
		assert_eq!(s, Shape { selections: (1 << 25) + 1, root_fields: 1, aliases: 0, nesting: 26 });
		assert_eq!(
			s.check(),
			Err(Refused::TooManySelections { limit: MAX_SELECTIONS, got: (1 << 25) + 1 })
		);
	}

	#[test]
	fn a_fragment_that_spreads_itself_ends() {
		let s = shape("{ ...A } fragment A on Query { status { lag } ...A }");
		assert_eq!(s.map(|s| s.selections), Ok(2));
	}

	#[test]
	fn a_chain_of_fragments_is_refused_before_it_is_followed() {
		let mut query = String::from("{ ...F0 }");
		for i in 0..5000 {
			query.push_str(&format!(" fragment F{i} on Query {{ ...F{} }}", i + 1));
		}
		query.push_str(" fragment F5000 on Query { status { lag } }");
		assert_eq!(shape(&query), Err(Refused::TooNested { limit: MAX_NESTING }));
		let within = "{ ...A } fragment A on Query { ...B } fragment B on Query { status { lag } }";
		assert_eq!(shape(within).map(|s| s.nesting), Ok(3));
	}

	#[test]
	fn deeply_nested_text_is_a_parse_error_not_a_crash() {
		let depth = MAX_BODY_BYTES / 4;
		let query = format!("{}{}", "{ a ".repeat(depth), "}".repeat(depth));
		assert!(async_graphql::parser::parse_query(&query).is_err());
	}

	#[test]
	fn a_page_costs_its_selection_per_row() {
		assert_eq!(page_cost(1000, 3), 3000);
		assert_eq!(page_cost(0, 3), 3, "an empty page still counts and reads");
		assert_eq!(page_cost(5_000_000, 3), 3000, "over the page limit: refused by `first:`");
		assert_eq!(page_cost(-1, 3), 3);
	}
}
