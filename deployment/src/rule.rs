//! The name of the rule an error breaks: what the agent answers as a refusal's `code`, what `grid`
//! prints before the sentence, and what the dashboard's mirror calls `DeploymentError.rule`.

use crate::{
	age_identity::IdentityError,
	document::DocumentError,
	encryption::{DecryptError, EncryptError},
	hash::{HashError, HashParseError},
	signature::SignatureError,
	validation::{RequirementError, UpdateError, ValidationError},
};

/// An error that names the rule it breaks.
pub trait Rule: std::fmt::Display {
	/// The rule, as its variant is named; a wrapper such as `Requirement(NoRequests)` names the
	/// rule it wraps, `NoRequests`.
	fn rule(&self) -> &'static str;

	/// `Rule: sentence`, as `grid` and the agent say it.
	fn named(&self) -> String {
		format!("{}: {self}", self.rule())
	}
}

impl Rule for ValidationError {
	fn rule(&self) -> &'static str {
		use ValidationError::*;
		match self {
			NoWorkloads => "NoWorkloads",
			TooManyWorkloads { .. } => "TooManyWorkloads",
			BadWorkloadName { .. } => "BadWorkloadName",
			DuplicateWorkloadName { .. } => "DuplicateWorkloadName",
			WorkloadVersionAboveDocument { .. } => "WorkloadVersionAboveDocument",
			CpuOutOfRange { .. } => "CpuOutOfRange",
			MemoryTooSmall { .. } => "MemoryTooSmall",
			RootfsTooSmall { .. } => "RootfsTooSmall",
			DiskTooSmall { .. } => "DiskTooSmall",
			PublicIpMissing { .. } => "PublicIpMissing",
			PublicIpNotPublicIp { .. } => "PublicIpNotPublicIp",
			PublicIpUsedTwice { .. } => "PublicIpUsedTwice",
			MountDiskMissing { .. } => "MountDiskMissing",
			MountNotDisk { .. } => "MountNotDisk",
			DiskMountedTwice { .. } => "DiskMountedTwice",
			IntegerTooLarge { .. } => "IntegerTooLarge",
			Requirement(inner) => inner.rule(),
		}
	}
}

impl Rule for RequirementError {
	fn rule(&self) -> &'static str {
		use RequirementError::*;
		match self {
			NoRequests => "NoRequests",
			TooManyRequests { .. } => "TooManyRequests",
			TooManySignatures { .. } => "TooManySignatures",
			TwinRequestedTwice { .. } => "TwinRequestedTwice",
			WeightRequiredZero => "WeightRequiredZero",
			WeightRequiredAboveTotal { .. } => "WeightRequiredAboveTotal",
		}
	}
}

impl Rule for UpdateError {
	fn rule(&self) -> &'static str {
		use UpdateError::*;
		match self {
			VersionNotNext { .. } => "VersionNotNext",
			TwinChanged { .. } => "TwinChanged",
			ContractChanged { .. } => "ContractChanged",
			ChangedWorkloadVersion { .. } => "ChangedWorkloadVersion",
			UnchangedWorkloadVersion { .. } => "UnchangedWorkloadVersion",
		}
	}
}

impl Rule for SignatureError {
	fn rule(&self) -> &'static str {
		use SignatureError::*;
		match self {
			Hash(inner) => inner.rule(),
			Requirement(inner) => inner.rule(),
			UnknownSigner { .. } => "UnknownSigner",
			DuplicateSignature { .. } => "DuplicateSignature",
			TwinNotOnChain { .. } => "TwinNotOnChain",
			BadSignature { .. } => "BadSignature",
			RequiredSignerMissing { .. } => "RequiredSignerMissing",
			WeightBelowThreshold { .. } => "WeightBelowThreshold",
			PreviousRequiredSignerMissing { .. } => "PreviousRequiredSignerMissing",
			PreviousWeightBelowThreshold { .. } => "PreviousWeightBelowThreshold",
		}
	}
}

impl Rule for HashError {
	fn rule(&self) -> &'static str {
		match self {
			HashError::IntegerTooLarge { .. } => "IntegerTooLarge",
			HashError::Canonicalize(_) => "Canonicalize",
		}
	}
}

impl Rule for HashParseError {
	fn rule(&self) -> &'static str {
		"HashParseError"
	}
}

impl Rule for DocumentError {
	fn rule(&self) -> &'static str {
		"DocumentError"
	}
}

impl Rule for EncryptError {
	fn rule(&self) -> &'static str {
		match self {
			EncryptError::Document(inner) => inner.rule(),
			EncryptError::TooLarge { .. } => "TooLarge",
			EncryptError::BadRecipient { .. } => "BadRecipient",
			EncryptError::Age(_) => "Age",
		}
	}
}

impl Rule for DecryptError {
	fn rule(&self) -> &'static str {
		match self {
			DecryptError::NotARecipient => "NotARecipient",
			DecryptError::Malformed(_) => "Malformed",
			DecryptError::Identity(inner) => inner.rule(),
			DecryptError::Document(inner) => inner.rule(),
		}
	}
}

impl Rule for IdentityError {
	fn rule(&self) -> &'static str {
		use IdentityError::*;
		match self {
			PasswordNotSupported => "PasswordNotSupported",
			BadDerivationPath { .. } => "BadDerivationPath",
			BadPhrase { .. } => "BadPhrase",
			BadSeed => "BadSeed",
			BadAgeSecretKey { .. } => "BadAgeSecretKey",
			Refused(_) => "Refused",
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{document::WorkloadType, KeyType};

	/// The name the variant's `Debug` text starts with, innermost through wrappers: how codes
	/// were derived before `Rule`, kept here to show that no code changed.
	fn debug_name(e: &impl std::fmt::Debug) -> String {
		let debug = format!("{e:?}");
		let mut rest = debug.as_str();
		let mut name = "";
		loop {
			let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
			let (ident, after) = rest.split_at(end);
			if !ident.starts_with(|c: char| c.is_ascii_uppercase()) {
				break;
			}
			name = ident;
			match after.strip_prefix('(') {
				Some(inner) => rest = inner,
				None => break,
			}
		}
		name.to_string()
	}

	fn same<E: Rule + std::fmt::Debug>(errors: &[E]) {
		for e in errors {
			assert_eq!(e.rule(), debug_name(e), "{e:?}");
			assert_eq!(e.named(), format!("{}: {e}", debug_name(e)));
		}
	}

	#[test]
	fn every_rule_is_the_name_its_variant_has_always_had() {
		let s = || String::from("x");
		use RequirementError as R;
		let requirements = [
			R::NoRequests,
			R::TooManyRequests { count: 1, max: 1 },
			R::TooManySignatures { count: 1, max: 1 },
			R::TwinRequestedTwice { twin_id: 1 },
			R::WeightRequiredZero,
			R::WeightRequiredAboveTotal { weight_required: 1, total: 1 },
		];
		same(&requirements);
		use ValidationError as V;
		same(&[
			V::NoWorkloads,
			V::TooManyWorkloads { count: 1, max: 1 },
			V::BadWorkloadName { name: s() },
			V::DuplicateWorkloadName { name: s() },
			V::WorkloadVersionAboveDocument { name: s(), version: 1, document_version: 0 },
			V::CpuOutOfRange { name: s(), cpu: 0 },
			V::MemoryTooSmall { name: s(), memory: 0 },
			V::RootfsTooSmall { name: s(), rootfs_size: 0 },
			V::DiskTooSmall { name: s(), size: 0 },
			V::PublicIpMissing { name: s(), public_ip: s() },
			V::PublicIpNotPublicIp { name: s(), public_ip: s(), kind: WorkloadType::Disk },
			V::PublicIpUsedTwice { name: s(), public_ip: s(), other: s() },
			V::MountDiskMissing { name: s(), disk: s() },
			V::MountNotDisk { name: s(), disk: s(), kind: WorkloadType::Vm },
			V::DiskMountedTwice { name: s(), disk: s(), other: s() },
			V::IntegerTooLarge { field: s(), value: 1 },
			V::Requirement(R::NoRequests),
		]);
		use UpdateError as U;
		same(&[
			U::VersionNotNext { old: 0, new: 2 },
			U::TwinChanged { old: 1, new: 2 },
			U::ContractChanged { old: 1, new: 2 },
			U::ChangedWorkloadVersion { name: s(), version: 0, expected: 1 },
			U::UnchangedWorkloadVersion { name: s(), version: 1, expected: 0 },
		]);
		use SignatureError as S;
		let hash = crate::DeploymentHash([0; 32]);
		same(&[
			S::Hash(HashError::Canonicalize(s())),
			S::Requirement(R::WeightRequiredZero),
			S::UnknownSigner { twin_id: 1 },
			S::DuplicateSignature { twin_id: 1 },
			S::TwinNotOnChain { twin_id: 1 },
			S::BadSignature { twin_id: 1, key_type: KeyType::Sr25519, hash },
			S::RequiredSignerMissing { twin_id: 1 },
			S::WeightBelowThreshold { weight: 0, weight_required: 1 },
			S::PreviousRequiredSignerMissing { twin_id: 1 },
			S::PreviousWeightBelowThreshold { weight: 0, weight_required: 1 },
		]);
		same(&[HashError::IntegerTooLarge { field: s(), value: 1 }, HashError::Canonicalize(s())]);
		same(&[
			EncryptError::Document(HashError::Canonicalize(s())),
			EncryptError::TooLarge { size: 1, max: 0 },
			EncryptError::BadRecipient { recipient: s(), reason: s() },
			EncryptError::Age(s()),
		]);
		use IdentityError as I;
		let identities = [
			I::PasswordNotSupported,
			I::BadDerivationPath { path: s() },
			I::BadPhrase { reason: s() },
			I::BadSeed,
			I::BadAgeSecretKey { reason: s() },
			I::Refused("x"),
		];
		same(&identities);
		same(&[
			DecryptError::NotARecipient,
			DecryptError::Malformed(s()),
			DecryptError::Identity(I::BadSeed),
			DecryptError::Document(DocumentError { path: s(), message: s() }),
		]);
		same(&[DocumentError { path: s(), message: s() }]);
		let parse = "nope".parse::<crate::DeploymentHash>().expect_err("not a hash");
		same(&[parse]);
	}
}
