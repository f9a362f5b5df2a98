//! The challenge and the deployment hash (SPEC §9.3), and the canonical JSON that gets
//! encrypted (§9.5).

use std::{fmt, str::FromStr};

use blake2::{digest::consts::U32, Blake2b, Digest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{
	document::{Deployment, SignatureRequest, Workload},
	hex_bytes,
};

/// BLAKE2b-256 of the challenge: the contract's `deployment_hash` on chain. Written as `0x`
/// and 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeploymentHash(pub [u8; 32]);

/// A document cannot be written as canonical JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
	/// An integer is above 2^53 − 1, so JSON readers would disagree on it.
	#[error("{field} is {value}, above 2^53 − 1, so the document has no canonical form")]
	IntegerTooLarge { field: String, value: u64 },
	/// The canonicaliser failed.
	#[error("the document could not be canonicalised: {0}")]
	Canonicalize(String),
}

/// The text is not a deployment hash.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a deployment hash (0x and 64 hex digits): {0}")]
pub struct HashParseError(String);

/// The document as it is hashed: no `contract_id`, no `signature_requirement.signatures`.
#[derive(Serialize)]
struct Challenge<'a> {
	version: u32,
	twin_id: u32,
	metadata: &'a str,
	description: &'a str,
	signature_requirement: ChallengeRequirement<'a>,
	workloads: &'a [Workload],
}

#[derive(Serialize)]
struct ChallengeRequirement<'a> {
	requests: &'a [SignatureRequest],
	weight_required: u32,
}

impl Deployment {
	/// The RFC 8785 canonical JSON of the document without `contract_id` and
	/// `signature_requirement.signatures`: the bytes the hash is taken of.
	pub fn challenge(&self) -> Result<Vec<u8>, HashError> {
		self.refuse_unsafe_integers()?;
		canonical(&Challenge {
			version: self.version,
			twin_id: self.twin_id,
			metadata: &self.metadata,
			description: &self.description,
			signature_requirement: ChallengeRequirement {
				requests: &self.signature_requirement.requests,
				weight_required: self.signature_requirement.weight_required,
			},
			workloads: &self.workloads,
		})
	}

	/// BLAKE2b-256 of [`Deployment::challenge`].
	pub fn hash(&self) -> Result<DeploymentHash, HashError> {
		let challenge = self.challenge()?;
		Ok(DeploymentHash(Blake2b::<U32>::digest(&challenge).into()))
	}

	/// The RFC 8785 canonical JSON of the whole document, `contract_id` and signatures
	/// included: what [`crate::encrypt`] encrypts.
	pub fn canonical_json(&self) -> Result<Vec<u8>, HashError> {
		self.refuse_unsafe_integers()?;
		canonical(self)
	}

	fn refuse_unsafe_integers(&self) -> Result<(), HashError> {
		match self.first_unsafe_integer() {
			Some((field, value)) => Err(HashError::IntegerTooLarge { field, value }),
			None => Ok(()),
		}
	}
}

fn canonical<T: Serialize>(value: &T) -> Result<Vec<u8>, HashError> {
	serde_json_canonicalizer::to_vec(value).map_err(|e| HashError::Canonicalize(e.to_string()))
}

impl DeploymentHash {
	/// The 32 bytes stored on chain.
	pub fn as_bytes(&self) -> &[u8; 32] {
		&self.0
	}
}

impl From<[u8; 32]> for DeploymentHash {
	fn from(bytes: [u8; 32]) -> Self {
		DeploymentHash(bytes)
	}
}

impl From<DeploymentHash> for [u8; 32] {
	fn from(hash: DeploymentHash) -> Self {
		hash.0
	}
}

impl AsRef<[u8]> for DeploymentHash {
	fn as_ref(&self) -> &[u8] {
		&self.0
	}
}

impl fmt::Display for DeploymentHash {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		f.write_str(&hex_bytes::to_hex(&self.0))
	}
}

impl fmt::Debug for DeploymentHash {
	fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
		fmt::Display::fmt(self, f)
	}
}

impl FromStr for DeploymentHash {
	type Err = HashParseError;

	fn from_str(text: &str) -> Result<Self, Self::Err> {
		hex_bytes::from_hex(text).map(DeploymentHash).map_err(HashParseError)
	}
}

impl Serialize for DeploymentHash {
	fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
		hex_bytes::serialize(&self.0, serializer)
	}
}

impl<'de> Deserialize<'de> for DeploymentHash {
	fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
		hex_bytes::deserialize(deserializer).map(DeploymentHash)
	}
}
