//! §9.3: challenge and hash.

use std::str::FromStr;

use gridchain_deployment::{DeploymentHash, HashError, Signature};
use serde_json::json;

use crate::common::{edited, example, parse};

const EXAMPLE_HASH: &str = "0x7082394bfe07f0245af427e5a859ba995422a48f98d50a4cb919e9cc174696fc";

#[test]
fn the_example_challenge_is_805_bytes_of_canonical_json() {
	let challenge = example().challenge().unwrap();
	assert_eq!(challenge.len(), 805);
	assert!(challenge.starts_with(
		br#"{"description":"a web server with a data disk and a public IPv4","metadata":"project: web","#
	));
	let text = String::from_utf8(challenge).unwrap();
	assert!(!text.contains("contract_id"));
	assert!(!text.contains("signatures"));
	assert!(text.contains(r#""signature_requirement":{"requests":[{"required":true,"twin_id":3,"weight":1}],"weight_required":1}"#));
}

#[test]
fn the_example_hash_is_the_specs() {
	let hash = example().hash().unwrap();
	assert_eq!(hash.to_string(), EXAMPLE_HASH);
	assert_eq!(DeploymentHash::from_str(EXAMPLE_HASH).unwrap(), hash);
}

#[test]
fn contract_id_and_signatures_do_not_change_the_hash() {
	let mut document = example();
	document.contract_id = 42;
	document.add_signature(Signature::ed25519(3, [7; 64]));
	assert_eq!(document.hash().unwrap().to_string(), EXAMPLE_HASH);
}

#[test]
fn the_canonical_json_holds_the_whole_document() {
	let mut document = example();
	document.contract_id = 42;
	document.add_signature(Signature::sr25519(3, [0xab; 64]));
	let canonical = String::from_utf8(document.canonical_json().unwrap()).unwrap();
	assert!(canonical.starts_with(r#"{"contract_id":42,"description":"#), "{canonical}");
	assert!(canonical.contains(&format!(
		r#""signatures":[{{"key_type":"sr25519","signature":"0x{}","twin_id":3}}]"#,
		"ab".repeat(64)
	)));
	assert_eq!(parse(&canonical), document);
}

#[test]
fn canonical_json_sorts_keys_by_utf16_and_escapes_like_javascript() {
	let document = edited(&example(), |v| {
		v["workloads"][0]["data"]["env"] = json!({"\u{ff61}": "halfwidth", "\u{1f980}": "crab", "\u{e9}": "e", "B": "b", "a": "a"});
		v["description"] =
			json!("tab\there \"quoted\" back\\slash \u{1}\u{1f}\u{7f} / \u{2028} é 🦀");
	});
	let challenge = String::from_utf8(document.challenge().unwrap()).unwrap();
	// UTF-16 order puts the crab (a surrogate pair, 0xD83E…) before U+FF61.
	assert!(
		challenge.contains(r#""env":{"B":"b","a":"a","é":"e","🦀":"crab","｡":"halfwidth"}"#),
		"{challenge}"
	);
	assert!(challenge.contains("\"description\":\"tab\\there \\\"quoted\\\" back\\\\slash \\u0001\\u001f\u{7f} / \u{2028} é 🦀\""), "{challenge}");
}

#[test]
fn hashing_refuses_integers_above_2_pow_53_minus_1() {
	let mut document = example();
	document.contract_id = u64::MAX;
	let expected = HashError::IntegerTooLarge { field: "contract_id".into(), value: u64::MAX };
	assert_eq!(document.hash().unwrap_err(), expected);
	assert_eq!(document.canonical_json().unwrap_err(), expected);
}

#[test]
fn a_hash_is_written_and_read_as_0x_and_64_hex_digits() {
	let hash = DeploymentHash([0xab; 32]);
	let text = format!("0x{}", "ab".repeat(32));
	assert_eq!(hash.to_string(), text);
	assert_eq!(format!("{hash:?}"), text);
	assert_eq!(text.to_uppercase().replace("0X", "0x").parse::<DeploymentHash>().unwrap(), hash);
	assert_eq!(serde_json::to_string(&hash).unwrap(), format!("\"{text}\""));
	assert_eq!(serde_json::from_str::<DeploymentHash>(&format!("\"{text}\"")).unwrap(), hash);
	for bad in ["ab".repeat(32), format!("0x{}", "ab".repeat(31)), format!("0x{}", "zz".repeat(32))]
	{
		assert!(bad.parse::<DeploymentHash>().is_err(), "{bad}");
	}
}
