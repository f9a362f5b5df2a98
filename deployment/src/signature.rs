//! Workload signatures and the multisignature rules of SPEC §9.4.

use crate::{
	document::{Deployment, KeyType, Signature, SignatureRequirement},
	hash::{DeploymentHash, HashError},
	validation::RequirementError,
};

/// The schnorrkel signing context of substrate's sr25519 (`sp_core`, polkadot.js, subxt-signer).
pub const SR25519_SIGNING_CONTEXT: &[u8] = b"substrate";

/// The signatures of a document satisfy its requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
	/// The twins whose signatures verified, in document order.
	pub signers: Vec<u32>,
	/// Their total weight.
	pub weight: u64,
	/// The weight the requirement asks for.
	pub weight_required: u32,
}

/// The signatures of a document do not satisfy its requirement (SPEC §9.4).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
	/// The document cannot be hashed.
	#[error(transparent)]
	Hash(#[from] HashError),
	/// The requirement itself is invalid.
	#[error("the signature requirement is invalid: {0}")]
	Requirement(#[from] RequirementError),
	/// A twin signed that `requests` does not name (on an update: neither the new nor the old
	/// requirement's).
	#[error("twin {twin_id} signed, but signature_requirement.requests does not name it")]
	UnknownSigner { twin_id: u32 },
	/// A twin signed more than once.
	#[error("twin {twin_id} signed more than once: keep one signature per twin")]
	DuplicateSignature { twin_id: u32 },
	/// A signer's twin has no account on chain to verify with.
	#[error("twin {twin_id} signed, but it is not a twin on chain")]
	TwinNotOnChain { twin_id: u32 },
	/// A signature does not verify with its twin's account key.
	#[error("the {key_type} signature of twin {twin_id} does not verify against its account and the document's hash {hash}")]
	BadSignature { twin_id: u32, key_type: KeyType, hash: DeploymentHash },
	/// A required twin has not signed.
	#[error("twin {twin_id} is required to sign and has not")]
	RequiredSignerMissing { twin_id: u32 },
	/// The signers do not weigh enough.
	#[error("the signers weigh {weight}, less than the {weight_required} required")]
	WeightBelowThreshold { weight: u64, weight_required: u32 },
	/// On update, a twin the previous version requires has not signed.
	#[error("twin {twin_id} is required to sign by the previous version of the deployment and has not signed the update")]
	PreviousRequiredSignerMissing { twin_id: u32 },
	/// On update, the signers do not weigh enough by the previous version's requirement.
	#[error("by the previous version's requirement the signers of the update weigh {weight}, less than the {weight_required} required")]
	PreviousWeightBelowThreshold { weight: u64, weight_required: u32 },
}

impl Signature {
	/// Signs `hash` with an sr25519 key pair. sr25519 signatures are randomised: signing twice
	/// gives two different valid signatures.
	pub fn sign_sr25519(
		twin_id: u32,
		hash: &DeploymentHash,
		keypair: &schnorrkel::Keypair,
	) -> Signature {
		let signature = keypair.sign_simple(SR25519_SIGNING_CONTEXT, hash.as_bytes());
		Signature::sr25519(twin_id, signature.to_bytes())
	}

	/// Signs `hash` with an ed25519 key.
	pub fn sign_ed25519(
		twin_id: u32,
		hash: &DeploymentHash,
		key: &ed25519_dalek::SigningKey,
	) -> Signature {
		use ed25519_dalek::Signer;
		Signature::ed25519(twin_id, key.sign(hash.as_bytes()).to_bytes())
	}

	/// Whether the signature verifies over `hash` (or its wrapped form, as a wallet signs) with
	/// `account_id` as the public key.
	pub fn verify(&self, hash: &DeploymentHash, account_id: &[u8; 32]) -> bool {
		verify_raw(self.key_type, &self.signature, account_id, hash.as_bytes())
	}
}

impl Deployment {
	/// Adds a signature, replacing the earlier one of the same twin.
	pub fn add_signature(&mut self, signature: Signature) {
		let signatures = &mut self.signature_requirement.signatures;
		match signatures.iter_mut().find(|s| s.twin_id == signature.twin_id) {
			Some(earlier) => *earlier = signature,
			None => signatures.push(signature),
		}
	}
}

/// What a browser-extension wallet (polkadot.js extension, Talisman, SubWallet) puts around the
/// bytes it is asked to sign raw: it signs `<Bytes>` ‖ bytes ‖ `</Bytes>`, so that what it signs
/// can never be a transaction.
pub const WRAP_PREFIX: &[u8] = b"<Bytes>";
/// See [`WRAP_PREFIX`].
pub const WRAP_SUFFIX: &[u8] = b"</Bytes>";

/// `message` as a browser-extension wallet signs it: `<Bytes>` ‖ message ‖ `</Bytes>`.
pub fn wrapped(message: &[u8]) -> Vec<u8> {
	[WRAP_PREFIX, message, WRAP_SUFFIX].concat()
}

/// Whether `signature` of `key_type` by `account_id` (the public key) verifies over `message`
/// or over its wrapped form (what a wallet signs, [`wrapped`]); sr25519 in the `substrate`
/// signing context. Request signatures (SPEC §10) use it too.
pub fn verify_raw(
	key_type: KeyType,
	signature: &[u8; 64],
	account_id: &[u8; 32],
	message: &[u8],
) -> bool {
	verify_exact(key_type, signature, account_id, message)
		|| verify_exact(key_type, signature, account_id, &wrapped(message))
}

/// Whether `signature` verifies over exactly `message`.
fn verify_exact(
	key_type: KeyType,
	signature: &[u8; 64],
	account_id: &[u8; 32],
	message: &[u8],
) -> bool {
	match key_type {
		KeyType::Sr25519 => {
			let (Ok(public), Ok(signature)) = (
				schnorrkel::PublicKey::from_bytes(account_id),
				schnorrkel::Signature::from_bytes(signature),
			) else {
				return false;
			};
			public.verify_simple(SR25519_SIGNING_CONTEXT, message, &signature).is_ok()
		}
		KeyType::Ed25519 => {
			let Ok(public) = ed25519_dalek::VerifyingKey::from_bytes(account_id) else {
				return false;
			};
			public.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok()
		}
	}
}

/// Checks that the document's signatures satisfy its requirement (SPEC §9.4), verifying each
/// with the account id `account_of(twin_id)` returns (`None`: no such twin on chain).
pub fn verify_signatures(
	document: &Deployment,
	account_of: impl Fn(u32) -> Option<[u8; 32]>,
) -> Result<Approval, SignatureError> {
	let requirement = &document.signature_requirement;
	requirement.check()?;
	let signers = verified_signers(document, &[requirement], account_of)?;
	let weight = signed_weight(requirement, &signers)
		.map_err(|twin_id| SignatureError::RequiredSignerMissing { twin_id })?;
	if weight < u64::from(requirement.weight_required) {
		return Err(SignatureError::WeightBelowThreshold {
			weight,
			weight_required: requirement.weight_required,
		});
	}
	Ok(Approval { signers, weight, weight_required: requirement.weight_required })
}

/// Checks an update's signatures (SPEC §9.4): each signature's twin is named in the new
/// requirement or the old one and its signature verifies over the new document's hash; the
/// signatures of the twins the new requirement names satisfy it, and those of the twins the old
/// requirement names satisfy that one. So the old co-signers together can change the requirement
/// (drop a member who left, lower the threshold), and no smaller group can.
pub fn verify_update(
	old: &Deployment,
	new: &Deployment,
	account_of: impl Fn(u32) -> Option<[u8; 32]>,
) -> Result<Approval, SignatureError> {
	let (now, before) = (&new.signature_requirement, &old.signature_requirement);
	now.check()?;
	before.check()?;
	let signers = verified_signers(new, &[now, before], account_of)?;
	let weight = signed_weight(now, &signers)
		.map_err(|twin_id| SignatureError::RequiredSignerMissing { twin_id })?;
	if weight < u64::from(now.weight_required) {
		return Err(SignatureError::WeightBelowThreshold {
			weight,
			weight_required: now.weight_required,
		});
	}
	let previous = signed_weight(before, &signers)
		.map_err(|twin_id| SignatureError::PreviousRequiredSignerMissing { twin_id })?;
	if previous < u64::from(before.weight_required) {
		return Err(SignatureError::PreviousWeightBelowThreshold {
			weight: previous,
			weight_required: before.weight_required,
		});
	}
	Ok(Approval { signers, weight, weight_required: now.weight_required })
}

/// The twins whose signatures of `document` verify, in document order: each named by one of
/// `requirements`, signing once, with an account on chain, over the document's hash (plain or
/// wrapped).
fn verified_signers(
	document: &Deployment,
	requirements: &[&SignatureRequirement],
	account_of: impl Fn(u32) -> Option<[u8; 32]>,
) -> Result<Vec<u32>, SignatureError> {
	let signatures = &document.signature_requirement.signatures;
	let mut signers = Vec::with_capacity(signatures.len());
	for signature in signatures {
		let twin_id = signature.twin_id;
		if !requirements.iter().any(|r| r.requests.iter().any(|q| q.twin_id == twin_id)) {
			return Err(SignatureError::UnknownSigner { twin_id });
		}
		if signers.contains(&twin_id) {
			return Err(SignatureError::DuplicateSignature { twin_id });
		}
		signers.push(twin_id);
	}
	let hash = document.hash()?;
	for signature in signatures {
		let twin_id = signature.twin_id;
		let account = account_of(twin_id).ok_or(SignatureError::TwinNotOnChain { twin_id })?;
		if !signature.verify(&hash, &account) {
			return Err(SignatureError::BadSignature {
				twin_id,
				key_type: signature.key_type,
				hash,
			});
		}
	}
	Ok(signers)
}

/// The weight `signers` carry by `requirement`, or the first required twin missing among them.
fn signed_weight(requirement: &SignatureRequirement, signers: &[u32]) -> Result<u64, u32> {
	let mut weight = 0u64;
	for request in &requirement.requests {
		let signed = signers.contains(&request.twin_id);
		if request.required && !signed {
			return Err(request.twin_id);
		}
		if signed {
			weight += u64::from(request.weight);
		}
	}
	Ok(weight)
}
