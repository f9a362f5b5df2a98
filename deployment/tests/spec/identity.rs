//! §9.5: the X25519 identity derived from a secret URI.

use std::str::FromStr;

use blake2::{digest::consts::U32, Blake2b, Digest};
use gridchain_deployment::{
	age, recipient_from_pk, schnorrkel, AgeIdentity, IdentityError, DEV_PHRASE, X25519_DOMAIN,
};

/// `subkey inspect` of the dev phrase: its mini secret and sr25519 public key.
const DEV_MINI_SECRET: &str = "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e";
const DEV_SR25519_PUBLIC: &str = "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a";

fn dev_mini_secret() -> [u8; 32] {
	hex::decode(DEV_MINI_SECRET).unwrap().try_into().unwrap()
}

#[test]
fn the_dev_phrase_gives_substrates_mini_secret() {
	// Anchors the mini secret to substrate's own: the sr25519 key of that mini secret is the
	// well-known dev public key.
	let mini = schnorrkel::MiniSecretKey::from_bytes(&dev_mini_secret()).unwrap();
	let public = mini.expand_to_public(schnorrkel::ExpansionMode::Ed25519);
	assert_eq!(hex::encode(public.to_bytes()), DEV_SR25519_PUBLIC);
	let bare = AgeIdentity::from_uri(DEV_PHRASE).unwrap();
	assert_eq!(
		bare.x25519_secret(),
		AgeIdentity::from_mini_secret(&dev_mini_secret(), "").x25519_secret()
	);
}

#[test]
fn the_x25519_secret_is_blake2b_of_domain_mini_secret_and_path() {
	let alice = AgeIdentity::from_uri("//Alice").unwrap();
	let mut hasher = Blake2b::<U32>::new();
	hasher.update(b"gridchain:x25519:v1");
	hasher.update(dev_mini_secret());
	hasher.update(b"//Alice");
	let expected: [u8; 32] = hasher.finalize().into();
	assert_eq!(alice.x25519_secret(), &expected);
	assert_eq!(X25519_DOMAIN, b"gridchain:x25519:v1");
}

#[test]
fn a_uri_starting_with_a_slash_uses_the_dev_phrase() {
	let short = AgeIdentity::from_uri("//Alice").unwrap();
	let long = AgeIdentity::from_uri(&format!("{DEV_PHRASE}//Alice")).unwrap();
	assert_eq!(short.x25519_secret(), long.x25519_secret());
	let bob = AgeIdentity::from_uri("//Bob").unwrap();
	assert_ne!(short.x25519_secret(), bob.x25519_secret());
	let soft = AgeIdentity::from_uri("//Alice/1").unwrap();
	assert_ne!(short.x25519_secret(), soft.x25519_secret());
}

#[test]
fn a_hex_seed_stands_for_the_mini_secret() {
	let seeded = AgeIdentity::from_uri(&format!("0x{DEV_MINI_SECRET}//Alice")).unwrap();
	let alice = AgeIdentity::from_uri("//Alice").unwrap();
	assert_eq!(seeded.x25519_secret(), alice.x25519_secret());
	assert_eq!(AgeIdentity::from_uri("0x1234").unwrap_err(), IdentityError::BadSeed);
}

#[test]
fn bad_uris_are_refused_with_the_reason() {
	assert_eq!(
		AgeIdentity::from_uri("//Alice///password").unwrap_err(),
		IdentityError::PasswordNotSupported
	);
	for path in ["/", "//", "//Alice/", "//a//"] {
		assert_eq!(
			AgeIdentity::from_uri(path).unwrap_err(),
			IdentityError::BadDerivationPath { path: path.into() }
		);
	}
	let wrong_word = DEV_PHRASE.replace("walk", "walks");
	assert!(matches!(AgeIdentity::from_uri(&wrong_word), Err(IdentityError::BadPhrase { .. })));
	let wrong_checksum = DEV_PHRASE.replace("walk", "wall");
	assert!(matches!(AgeIdentity::from_uri(&wrong_checksum), Err(IdentityError::BadPhrase { .. })));
}

#[test]
fn the_age_strings_are_what_age_keygen_writes() {
	let alice = AgeIdentity::from_uri("//Alice").unwrap();
	let secret = alice.to_age_secret_string();
	assert!(secret.starts_with("AGE-SECRET-KEY-1"), "{secret}");
	assert_eq!(secret, secret.to_uppercase());
	let parsed = age::x25519::Identity::from_str(&secret).unwrap();
	assert_eq!(parsed.to_public().to_string(), alice.recipient_string());
	assert!(alice.recipient_string().starts_with("age1"));
	assert_eq!(recipient_from_pk(&alice.x25519_public()), alice.recipient_string());
	let back = AgeIdentity::from_age_secret_string(&secret).unwrap();
	assert_eq!(back.x25519_secret(), alice.x25519_secret());
	let lower = AgeIdentity::from_age_secret_string(&secret.to_lowercase()).unwrap();
	assert_eq!(lower.x25519_secret(), alice.x25519_secret());
}

#[test]
fn a_bad_age_secret_string_is_refused() {
	let recipient = AgeIdentity::from_uri("//Alice").unwrap().recipient_string();
	for bad in ["", "AGE-SECRET-KEY-1", recipient.as_str(), "AGE-SECRET-KEY-1QQQQ"] {
		assert!(matches!(
			AgeIdentity::from_age_secret_string(bad),
			Err(IdentityError::BadAgeSecretKey { .. })
		));
	}
}

#[test]
fn a_generated_identity_is_random_and_usable() {
	let one = AgeIdentity::generate();
	let two = AgeIdentity::generate();
	assert_ne!(one.x25519_secret(), two.x25519_secret());
	one.to_age().unwrap();
	assert!(!format!("{one:?}").contains(&hex::encode(one.x25519_secret())));
}
