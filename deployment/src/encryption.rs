//! `deployment_data`: the canonical JSON of the whole document in the binary age v1 format
//! (SPEC §9.5).

use std::io::{Read, Write};

use crate::{
	age_identity::{recipient_from_pk, AgeIdentity, IdentityError},
	document::{Deployment, DocumentError},
	hash::HashError,
};

/// The most bytes of `deployment_data` the chain accepts.
pub const MAX_DEPLOYMENT_DATA: usize = 8192;

/// A document cannot be encrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncryptError {
	/// The document has no canonical form.
	#[error(transparent)]
	Document(#[from] HashError),
	/// The document, or its ciphertext, is above the chain's limit.
	#[error("the deployment data would be {size} bytes, more than the {max} the chain accepts: make the document smaller")]
	TooLarge { size: usize, max: usize },
	/// An extra recipient is not an `age1…` or `ssh-ed25519 …` key.
	#[error("`{recipient}` is not an age1… or ssh-ed25519 recipient: {reason}")]
	BadRecipient { recipient: String, reason: String },
	/// The age library failed.
	#[error("age encryption failed: {0}")]
	Age(String),
}

/// `deployment_data` cannot be decrypted into a document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecryptError {
	/// The identity is not one of the recipients.
	#[error("this identity is not a recipient of the deployment data: use the owner's identity or another recipient's")]
	NotARecipient,
	/// The bytes are not a valid age file, or were tampered with.
	#[error("the deployment data is not a valid age file: {0}")]
	Malformed(String),
	/// The identity could not be used.
	#[error(transparent)]
	Identity(#[from] IdentityError),
	/// The plaintext is not a deployment document.
	#[error("the deployment data decrypts, but not to a deployment: {0}")]
	Document(#[from] DocumentError),
}

/// Encrypts the canonical JSON of `document` to the owner's X25519 key (the twin's `pk`) and to
/// `extra_recipients` (`age1…` or `ssh-ed25519 …`). Refuses a result above
/// [`MAX_DEPLOYMENT_DATA`] bytes.
pub fn encrypt(
	document: &Deployment,
	owner_pk: [u8; 32],
	extra_recipients: &[String],
) -> Result<Vec<u8>, EncryptError> {
	let plaintext = document.canonical_json()?;
	refuse_too_large(plaintext.len())?;
	let mut recipients: Vec<Box<dyn age::Recipient>> =
		vec![Box::new(x25519_recipient(&recipient_from_pk(&owner_pk))?)];
	for recipient in extra_recipients {
		recipients.push(parse_recipient(recipient)?);
	}
	let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as _))
		.map_err(|e| EncryptError::Age(e.to_string()))?;
	let mut ciphertext = Vec::with_capacity(plaintext.len() + 256 * recipients.len());
	let age_error = |e: std::io::Error| EncryptError::Age(e.to_string());
	let mut writer = encryptor.wrap_output(&mut ciphertext).map_err(age_error)?;
	writer.write_all(&plaintext).map_err(age_error)?;
	writer.finish().map_err(age_error)?;
	refuse_too_large(ciphertext.len())?;
	Ok(ciphertext)
}

/// Decrypts `deployment_data` with a user's identity.
pub fn decrypt(ciphertext: &[u8], identity: &AgeIdentity) -> Result<Deployment, DecryptError> {
	decrypt_with(ciphertext, &identity.to_age()?)
}

/// Decrypts `deployment_data` with an `AGE-SECRET-KEY-1…` identity.
pub fn decrypt_with_secret_key(
	ciphertext: &[u8],
	age_secret_key: &str,
) -> Result<Deployment, DecryptError> {
	decrypt(ciphertext, &AgeIdentity::from_age_secret_string(age_secret_key)?)
}

/// Decrypts `deployment_data` with any age identity, such as an `age::ssh::Identity`.
pub fn decrypt_with(
	ciphertext: &[u8],
	identity: &dyn age::Identity,
) -> Result<Deployment, DecryptError> {
	let decryptor = age::Decryptor::new_buffered(ciphertext).map_err(decrypt_error)?;
	let mut reader = decryptor.decrypt(std::iter::once(identity)).map_err(decrypt_error)?;
	let mut plaintext = Vec::new();
	reader.read_to_end(&mut plaintext).map_err(|e| DecryptError::Malformed(e.to_string()))?;
	Ok(Deployment::from_json(&plaintext)?)
}

fn refuse_too_large(size: usize) -> Result<(), EncryptError> {
	if size > MAX_DEPLOYMENT_DATA {
		return Err(EncryptError::TooLarge { size, max: MAX_DEPLOYMENT_DATA });
	}
	Ok(())
}

fn x25519_recipient(text: &str) -> Result<age::x25519::Recipient, EncryptError> {
	text.parse().map_err(|reason: &str| EncryptError::BadRecipient {
		recipient: text.into(),
		reason: reason.into(),
	})
}

fn parse_recipient(text: &str) -> Result<Box<dyn age::Recipient>, EncryptError> {
	let text = text.trim();
	if text.starts_with("age1") {
		Ok(Box::new(x25519_recipient(text)?))
	} else if text.starts_with("ssh-ed25519 ") {
		let recipient: age::ssh::Recipient = text.parse().map_err(|e| {
			EncryptError::BadRecipient { recipient: text.into(), reason: format!("{e:?}") }
		})?;
		Ok(Box::new(recipient))
	} else {
		Err(EncryptError::BadRecipient {
			recipient: text.into(),
			reason: "it starts with neither age1 nor ssh-ed25519".into(),
		})
	}
}

fn decrypt_error(error: age::DecryptError) -> DecryptError {
	match error {
		age::DecryptError::NoMatchingKeys => DecryptError::NotARecipient,
		other => DecryptError::Malformed(other.to_string()),
	}
}
