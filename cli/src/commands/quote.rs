//! A node contract's price before it is sent: `grid contract quote`, and the line `grid contract
//! create` and `deploy` print first.

use crate::{
	ctx::Ctx,
	output::{waiting, warn},
};
use gridchain_sdk::{deployment::Deployment, format_tft, Client, DiscountLevel, Quote};

/// mUSD as USD: `0.05`.
fn usd(musd: u32) -> String {
	let text = format!("{}.{:03}", musd / 1000, musd % 1000);
	text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn discount(q: &Quote) -> String {
	match q.discount_level {
		DiscountLevel::None => "no discount".to_string(),
		level => format!("{level:?} discount"),
	}
}

/// `grid contract quote`, in sentences.
pub fn text(q: &Quote) -> String {
	let ips = if q.public_ips == 1 { "" } else { "s" };
	let certified = if q.certified { ", certified: its capacity costs 25 % more" } else { "" };
	[
		format!("Node:      {} (pricing policy {}{certified})", q.node_id, q.pricing_policy_id),
		format!("Capacity:  {}, {} public IP{ips}", q.capacity, q.public_ips),
		format!("TFT price: {} USD", usd(q.price_musd)),
		format!(
			"Discount:  {:?} (pays {} %), for the owner's {} TFT free",
			q.discount_level,
			q.pays_percent,
			format_tft(q.free_balance)
		),
		format!(
			"Per hour:  {} TFT ({} TFT undiscounted)",
			format_tft(q.hourly_units),
			format_tft(q.hourly_units_undiscounted)
		),
		format!(
			"Per month: {} TFT ({} TFT undiscounted), 720 hours",
			format_tft(q.monthly_units),
			format_tft(q.monthly_units_undiscounted)
		),
		"Traffic is billed on top, as the node reports it.".to_string(),
	]
	.join("\n")
}

/// The quote in one line.
fn line(q: &Quote) -> String {
	format!(
		"Price: {} TFT an hour, {} TFT a month (720 hours) at {} USD/TFT, {} ({} TFT an hour undiscounted); traffic on top.",
		format_tft(q.hourly_units),
		format_tft(q.monthly_units),
		usd(q.price_musd),
		discount(q),
		format_tft(q.hourly_units_undiscounted)
	)
}

/// The quote `create` and `deploy` give before they send: on stderr, and for their `--json`
/// output. One that cannot be made is a warning: the chain's answer to the call says why.
pub async fn before_sending(
	ctx: &Ctx,
	client: &Client,
	node: u32,
	doc: &Deployment,
) -> Option<Quote> {
	match waiting("pricing", client.quote(node, doc)).await {
		Ok(quote) => {
			if !ctx.out.json {
				eprintln!("{}", line(&quote));
			}
			Some(quote)
		}
		Err(e) => {
			warn(&format!("no price before sending: {e}"));
			None
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn prices_in_musd_read_as_usd() {
		assert_eq!(usd(50), "0.05");
		assert_eq!(usd(777), "0.777");
		assert_eq!(usd(1000), "1");
		assert_eq!(usd(1500), "1.5");
	}
}
