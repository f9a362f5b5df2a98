//! `0x`-prefixed hex text for fixed-size byte arrays, the way polkadot.js writes them.

use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

/// `0x` followed by the lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Parses `0x` followed by exactly `2 * N` hex digits (either case).
pub(crate) fn from_hex<const N: usize>(text: &str) -> Result<[u8; N], String> {
	let digits =
		text.strip_prefix("0x").ok_or_else(|| format!("`{text}` does not start with 0x"))?;
	let mut bytes = [0u8; N];
	hex::decode_to_slice(digits, &mut bytes)
		.map_err(|e| format!("`{text}` is not the hex of {N} bytes: {e}"))?;
	Ok(bytes)
}

pub(crate) fn serialize<S: Serializer, const N: usize>(
	bytes: &[u8; N],
	serializer: S,
) -> Result<S::Ok, S::Error> {
	serializer.serialize_str(&to_hex(bytes))
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
	deserializer: D,
) -> Result<[u8; N], D::Error> {
	let text = String::deserialize(deserializer)?;
	from_hex(&text).map_err(D::Error::custom)
}
