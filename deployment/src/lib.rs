#![doc = include_str!("../README.md")]

mod age_identity;
mod capacity;
mod document;
mod encryption;
mod hash;
mod hex_bytes;
mod rule;
mod signature;
mod validation;

pub use age_identity::{recipient_from_pk, AgeIdentity, IdentityError, DEV_PHRASE, X25519_DOMAIN};
pub use capacity::Capacity;
pub use document::{
	Deployment, DiskData, DiskKind, DocumentError, KeyType, Mount, PublicIpData, Signature,
	SignatureRequest, SignatureRequirement, VmData, Workload, WorkloadData, WorkloadType,
	MAX_SAFE_INTEGER,
};
pub use encryption::{
	decrypt, decrypt_with, decrypt_with_secret_key, encrypt, DecryptError, EncryptError,
	MAX_DEPLOYMENT_DATA,
};
pub use hash::{DeploymentHash, HashError, HashParseError};
pub use rule::Rule;
pub use signature::{
	verify_raw, verify_signatures, verify_update, wrapped, Approval, SignatureError,
	SR25519_SIGNING_CONTEXT, WRAP_PREFIX, WRAP_SUFFIX,
};
pub use validation::{
	is_workload_name, RequirementError, UpdateError, ValidationError, MAX_CPU, MAX_REQUESTS,
	MAX_SIGNATURES, MAX_WORKLOADS, MIN_DISK_SIZE, MIN_MEMORY, MIN_ROOTFS_SIZE,
};

/// The crates whose key types appear in this API, re-exported so callers use the same versions.
pub use age;
pub use ed25519_dalek;
pub use schnorrkel;
