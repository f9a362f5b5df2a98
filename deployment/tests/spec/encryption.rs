//! §9.5: encryption of `deployment_data`.

use std::{io::Write, process::Command};

use gridchain_deployment::{
	age, decrypt, decrypt_with, decrypt_with_secret_key, encrypt, AgeIdentity, DecryptError,
	EncryptError, MAX_DEPLOYMENT_DATA,
};

use crate::common::example;

/// age's own test key pair (str4d/rage, `age/src/ssh/identity.rs`), unencrypted.
const SSH_ED25519_PUBLIC: &str =
	"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN alice@rust";
const SSH_ED25519_SECRET: &str = "-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACB7Ci6nqZYaVvrjm8+XbzII89TsXzP111AflR7WeorBjQAAAJCfEwtqnxML
agAAAAtzc2gtZWQyNTUxOQAAACB7Ci6nqZYaVvrjm8+XbzII89TsXzP111AflR7WeorBjQ
AAAEADBJvjZT8X6JRJI8xVq/1aU8nMVgOtVnmdwqWwrSlXG3sKLqeplhpW+uObz5dvMgjz
1OxfM/XXUB+VHtZ6isGNAAAADHN0cjRkQGNhcmJvbgE=
-----END OPENSSH PRIVATE KEY-----
";

fn alice() -> AgeIdentity {
	AgeIdentity::from_uri("//Alice").unwrap()
}

#[test]
fn the_owner_decrypts_what_was_encrypted_to_their_pk() {
	let mut document = example();
	document.contract_id = 5;
	let data = encrypt(&document, alice().x25519_public(), &[]).unwrap();
	assert!(data.starts_with(b"age-encryption.org/v1\n-> X25519 "), "binary age v1");
	assert!(data.len() <= MAX_DEPLOYMENT_DATA);
	assert_eq!(decrypt(&data, &alice()).unwrap(), document);
	let secret = alice().to_age_secret_string();
	assert_eq!(decrypt_with_secret_key(&data, &secret).unwrap(), document);
}

#[test]
fn a_stranger_cannot_decrypt() {
	let data = encrypt(&example(), alice().x25519_public(), &[]).unwrap();
	let stranger = AgeIdentity::from_uri("//Eve").unwrap();
	assert_eq!(decrypt(&data, &stranger).unwrap_err(), DecryptError::NotARecipient);
}

#[test]
fn an_extra_age_recipient_decrypts_too() {
	let bob = AgeIdentity::from_uri("//Bob").unwrap();
	let data = encrypt(&example(), alice().x25519_public(), &[bob.recipient_string()]).unwrap();
	assert_eq!(decrypt(&data, &bob).unwrap(), example());
	assert_eq!(decrypt(&data, &alice()).unwrap(), example());
}

#[test]
fn an_extra_ssh_ed25519_recipient_decrypts_too() {
	let data =
		encrypt(&example(), alice().x25519_public(), &[SSH_ED25519_PUBLIC.to_string()]).unwrap();
	let identity = age::ssh::Identity::from_buffer(SSH_ED25519_SECRET.as_bytes(), None).unwrap();
	assert_eq!(decrypt_with(&data, &identity).unwrap(), example());
}

#[test]
fn a_bad_recipient_is_named() {
	let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDE7nIXTGNuaRBN9toI alice@rust";
	for bad in ["age1notarecipient", rsa, "npub1xyz", ""] {
		let error = encrypt(&example(), alice().x25519_public(), &[bad.to_string()]).unwrap_err();
		assert!(
			matches!(&error, EncryptError::BadRecipient { recipient, .. } if recipient == bad.trim()),
			"{bad}: {error}"
		);
	}
}

#[test]
fn a_document_over_8_kib_is_refused_before_anything() {
	let mut document = example();
	document.description = "x".repeat(MAX_DEPLOYMENT_DATA);
	// Refused on size even though the recipient is bad: nothing else was looked at.
	let error = encrypt(&document, alice().x25519_public(), &["bad".to_string()]).unwrap_err();
	let EncryptError::TooLarge { size, max } = error else { panic!("{error}") };
	assert_eq!(max, 8192);
	assert_eq!(size, document.canonical_json().unwrap().len());
	// Just under the limit in plaintext, over it once encrypted: refused as well.
	let overhead = encrypt(&example(), alice().x25519_public(), &[]).unwrap().len()
		- example().canonical_json().unwrap().len();
	let base = example().canonical_json().unwrap().len();
	document.description = "x".repeat(MAX_DEPLOYMENT_DATA - base - overhead / 2);
	let error = encrypt(&document, alice().x25519_public(), &[]).unwrap_err();
	assert!(matches!(error, EncryptError::TooLarge { max: 8192, .. }), "{error}");
}

#[test]
fn tampered_data_is_refused() {
	let mut data = encrypt(&example(), alice().x25519_public(), &[]).unwrap();
	let last = data.len() - 1;
	data[last] ^= 1;
	assert!(matches!(decrypt(&data, &alice()), Err(DecryptError::Malformed(_))));
	assert!(matches!(decrypt(b"not age", &alice()), Err(DecryptError::Malformed(_))));
}

/// The reference `age` tool decrypts what this crate encrypts, with the identity it prints.
/// Skipped when `age` is not installed (`apt-get install age`).
#[test]
fn the_reference_age_tool_decrypts_with_the_printed_identity() {
	if Command::new("age").arg("--version").output().is_err() {
		eprintln!("skipped: the age tool is not installed");
		return;
	}
	let dir = std::env::temp_dir().join(format!("gridchain-deployment-age-{}", std::process::id()));
	std::fs::create_dir_all(&dir).unwrap();
	let key_file = dir.join("alice.key");
	let mut key = std::fs::File::create(&key_file).unwrap();
	writeln!(key, "{}", alice().to_age_secret_string()).unwrap();
	let data_file = dir.join("deployment.age");
	std::fs::write(&data_file, encrypt(&example(), alice().x25519_public(), &[]).unwrap()).unwrap();
	let output =
		Command::new("age").arg("-d").arg("-i").arg(&key_file).arg(&data_file).output().unwrap();
	let public = Command::new("age-keygen").arg("-y").arg(&key_file).output().unwrap();
	std::fs::remove_dir_all(&dir).unwrap();
	assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
	assert_eq!(output.stdout, example().canonical_json().unwrap());
	assert_eq!(String::from_utf8(public.stdout).unwrap().trim(), alice().recipient_string());
}
