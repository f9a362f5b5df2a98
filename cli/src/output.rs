//! Printing: JSON with `--json`, otherwise sentences and tables; a spinner on a terminal.

use serde::Serialize;
use std::io::{IsTerminal, Write};

/// Print a line on stdout; a closed pipe (`grid … | head`) is not an error.
pub fn println_quiet(text: &str) {
	let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// How results are printed.
#[derive(Debug, Clone, Copy)]
pub struct Output {
	pub json: bool,
}

impl Output {
	/// Print `value` as JSON, or `human` otherwise.
	pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
		if self.json {
			match serde_json::to_string_pretty(value) {
				Ok(text) => println_quiet(&text),
				Err(e) => eprintln!("error: cannot print JSON: {e}"),
			}
		} else {
			let text = human();
			if !text.is_empty() {
				println_quiet(text.trim_end());
			}
		}
	}
}

/// A table with a header row, columns aligned.
pub fn table(header: &[&str], rows: Vec<Vec<String>>) -> String {
	let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
	for row in &rows {
		for (i, cell) in row.iter().enumerate() {
			if let Some(w) = widths.get_mut(i) {
				*w = (*w).max(cell.chars().count());
			}
		}
	}
	let line = |cells: Vec<String>| {
		cells
			.iter()
			.enumerate()
			.map(|(i, c)| format!("{c:<w$}", w = widths.get(i).copied().unwrap_or(0)))
			.collect::<Vec<_>>()
			.join("  ")
			.trim_end()
			.to_string()
	};
	let mut out = vec![line(header.iter().map(|h| h.to_string()).collect())];
	out.extend(rows.into_iter().map(line));
	out.join("\n")
}

/// A spinner on stderr while `future` runs, when stderr is a terminal.
pub async fn waiting<F: std::future::Future>(message: &str, future: F) -> F::Output {
	if !std::io::stderr().is_terminal() {
		return future.await;
	}
	let spinner = indicatif::ProgressBar::new_spinner();
	spinner.set_message(message.to_string());
	spinner.enable_steady_tick(std::time::Duration::from_millis(100));
	let out = future.await;
	spinner.finish_and_clear();
	out
}

/// A warning on stderr, under `--json` too: `grid: warning: …`.
pub fn warn(text: &str) {
	eprintln!("grid: warning: {text}");
}
