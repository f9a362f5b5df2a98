//! The X25519 identity deployments are encrypted to, derived from the user's secret URI the
//! same way in every client (SPEC §9.5).

use std::fmt;

use bech32::{primitives::decode::CheckedHrpstring, Bech32, ByteIterExt, Fe32IterExt, Hrp};
use blake2::{digest::consts::U32, Blake2b, Digest};
use rand_core::{OsRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// The phrase of substrate's dev accounts, used by URIs that start with `/` (`//Alice`).
pub const DEV_PHRASE: &str =
	"bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// The domain separator of the derivation:
/// `x25519_secret = BLAKE2b-256(X25519_DOMAIN ‖ mini_secret ‖ path)`.
pub const X25519_DOMAIN: &[u8] = b"gridchain:x25519:v1";

const SECRET_KEY_HRP: Hrp = Hrp::parse_unchecked("age-secret-key-");
const RECIPIENT_HRP: Hrp = Hrp::parse_unchecked("age");

/// A user's X25519 secret: their age identity. The public half is their twin's `pk` on chain.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AgeIdentity {
	secret: [u8; 32],
}

/// No age identity can be made from the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
	/// The URI carries a `///password`.
	#[error(
		"the secret URI has a ///password, which the X25519 derivation does not use: remove it"
	)]
	PasswordNotSupported,
	/// The path part of the URI is not a list of junctions.
	#[error("`{path}` is not a derivation path of //hard and /soft junctions")]
	BadDerivationPath { path: String },
	/// The phrase part is not a BIP39 mnemonic.
	#[error("the secret phrase is not a valid English BIP39 mnemonic: {reason}")]
	BadPhrase { reason: String },
	/// The phrase part starts with `0x` but is not a 32-byte seed.
	#[error("the secret seed is not 0x followed by 64 hex digits")]
	BadSeed,
	/// The text is not an `AGE-SECRET-KEY-1…` string.
	#[error("the text is not an age identity (AGE-SECRET-KEY-1…): {reason}")]
	BadAgeSecretKey { reason: String },
	/// The age library refused the key.
	#[error("the age library refused the identity: {0}")]
	Refused(&'static str),
}

impl AgeIdentity {
	/// Derives the identity of a secret URI: `PHRASE`, `PHRASE//hard/soft`, `//Alice` (the
	/// dev phrase), or `0x<32-byte seed>` optionally followed by a path, where the seed stands
	/// for the mini secret as in substrate. A `///password` is refused.
	pub fn from_uri(uri: &str) -> Result<AgeIdentity, IdentityError> {
		if uri.contains("///") {
			return Err(IdentityError::PasswordNotSupported);
		}
		let (phrase, path) = uri.split_at(uri.find('/').unwrap_or(uri.len()));
		check_path(path)?;
		let phrase = phrase.trim();
		let mini_secret = if phrase.is_empty() {
			mini_secret_of_phrase(DEV_PHRASE)?
		} else if let Some(digits) = phrase.strip_prefix("0x") {
			let mut seed = Zeroizing::new([0u8; 32]);
			hex::decode_to_slice(digits, seed.as_mut()).map_err(|_| IdentityError::BadSeed)?;
			seed
		} else {
			mini_secret_of_phrase(phrase)?
		};
		Ok(AgeIdentity::from_mini_secret(&mini_secret, path))
	}

	/// Derives the identity of a BIP39 mini secret and a derivation path (`""` for none).
	pub fn from_mini_secret(mini_secret: &[u8; 32], path: &str) -> AgeIdentity {
		let mut hasher = Blake2b::<U32>::new();
		hasher.update(X25519_DOMAIN);
		hasher.update(mini_secret);
		hasher.update(path.as_bytes());
		AgeIdentity { secret: hasher.finalize().into() }
	}

	/// The identity of a raw X25519 secret.
	pub fn from_x25519_secret(secret: [u8; 32]) -> AgeIdentity {
		AgeIdentity { secret }
	}

	/// A random identity, for a wallet user without a phrase; show it once for safe keeping.
	pub fn generate() -> AgeIdentity {
		let mut secret = [0u8; 32];
		OsRng.fill_bytes(&mut secret);
		AgeIdentity { secret }
	}

	/// Parses an `AGE-SECRET-KEY-1…` string as `age-keygen` writes it.
	pub fn from_age_secret_string(text: &str) -> Result<AgeIdentity, IdentityError> {
		let bad = |reason: String| IdentityError::BadAgeSecretKey { reason };
		let checked =
			CheckedHrpstring::new::<Bech32>(text.trim()).map_err(|e| bad(e.to_string()))?;
		if checked.hrp() != SECRET_KEY_HRP {
			return Err(bad(format!("it starts with `{}`, not AGE-SECRET-KEY-", checked.hrp())));
		}
		let bytes = Zeroizing::new(checked.byte_iter().collect::<Vec<u8>>());
		let secret = <[u8; 32]>::try_from(bytes.as_slice())
			.map_err(|_| bad(format!("it holds {} bytes, not 32", bytes.len())))?;
		Ok(AgeIdentity { secret })
	}

	/// The 32-byte X25519 secret (unclamped, as age stores it).
	pub fn x25519_secret(&self) -> &[u8; 32] {
		&self.secret
	}

	/// The X25519 public key: the twin's `pk` on chain.
	pub fn x25519_public(&self) -> [u8; 32] {
		let secret = x25519_dalek::StaticSecret::from(self.secret);
		x25519_dalek::PublicKey::from(&secret).to_bytes()
	}

	/// The identity as `age-keygen` writes it: `AGE-SECRET-KEY-1…`.
	pub fn to_age_secret_string(&self) -> String {
		bech32_string(&SECRET_KEY_HRP, &self.secret).to_ascii_uppercase()
	}

	/// The age recipient of the public key: `age1…`.
	pub fn recipient_string(&self) -> String {
		recipient_from_pk(&self.x25519_public())
	}

	/// The identity as the age library uses it.
	pub fn to_age(&self) -> Result<age::x25519::Identity, IdentityError> {
		let text = Zeroizing::new(self.to_age_secret_string());
		text.parse().map_err(IdentityError::Refused)
	}
}

impl fmt::Debug for AgeIdentity {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.debug_struct("AgeIdentity").field("recipient", &self.recipient_string()).finish()
	}
}

/// The age recipient (`age1…`) of an X25519 public key such as a twin's `pk`.
pub fn recipient_from_pk(pk: &[u8; 32]) -> String {
	bech32_string(&RECIPIENT_HRP, pk)
}

fn bech32_string(hrp: &Hrp, bytes: &[u8]) -> String {
	bytes.iter().copied().bytes_to_fes().with_checksum::<Bech32>(hrp).chars().collect()
}

fn mini_secret_of_phrase(phrase: &str) -> Result<Zeroizing<[u8; 32]>, IdentityError> {
	let bad = |reason: String| IdentityError::BadPhrase { reason };
	let mnemonic = bip39::Mnemonic::parse_in(bip39::Language::English, phrase)
		.map_err(|e| bad(e.to_string()))?;
	let (entropy, length) = mnemonic.to_entropy_array();
	let entropy = Zeroizing::new(entropy);
	let mini_secret = substrate_bip39::mini_secret_from_entropy(&entropy[..length], "")
		.map_err(|e| bad(format!("{e:?}")))?;
	Ok(Zeroizing::new(mini_secret.to_bytes()))
}

/// A path is a sequence of `//hard` and `/soft` junctions, each non-empty.
fn check_path(path: &str) -> Result<(), IdentityError> {
	let bad = || IdentityError::BadDerivationPath { path: path.into() };
	let mut rest = path;
	while !rest.is_empty() {
		let junction =
			rest.strip_prefix("//").or_else(|| rest.strip_prefix('/')).ok_or_else(bad)?;
		let end = junction.find('/').unwrap_or(junction.len());
		if end == 0 {
			return Err(bad());
		}
		rest = &junction[end..];
	}
	Ok(())
}
