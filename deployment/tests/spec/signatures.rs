//! §9.4: one test per signature rule, including the faults zos has.

use gridchain_deployment::{
	schnorrkel, verify_signatures, verify_update, Deployment, KeyType, RequirementError, Signature,
	SignatureError,
};
use serde_json::json;

use crate::common::{
	accounts, ed25519_account, ed25519_key, edited, example, sr25519_account, sr25519_key,
	with_requirement,
};

/// Twins 3, 7, 8 and 9 have ed25519 accounts; twin 5 an sr25519 one.
fn chain() -> Vec<(u32, [u8; 32])> {
	vec![
		(3, ed25519_account(3)),
		(5, sr25519_account(5)),
		(7, ed25519_account(7)),
		(8, ed25519_account(8)),
		(9, ed25519_account(9)),
	]
}

fn sign(document: &mut Deployment, twin_ids: &[u32]) {
	let hash = document.hash().unwrap();
	for &twin_id in twin_ids {
		let signature = if twin_id == 5 {
			Signature::sign_sr25519(twin_id, &hash, &sr25519_key(twin_id))
		} else {
			Signature::sign_ed25519(twin_id, &hash, &ed25519_key(twin_id))
		};
		document.signature_requirement.signatures.push(signature);
	}
}

fn verify(document: &Deployment) -> Result<gridchain_deployment::Approval, SignatureError> {
	let chain = chain();
	verify_signatures(document, accounts(&chain))
}

/// 7 required, 8 and 9 optional, weight 1 each, 2 of 3 needed.
fn two_of_three() -> Deployment {
	with_requirement(json!({"requests": [
		{"twin_id": 7, "weight": 1, "required": true},
		{"twin_id": 8, "weight": 1, "required": false},
		{"twin_id": 9, "weight": 1, "required": false}], "weight_required": 2, "signatures": []}))
}

#[test]
fn the_owner_alone_satisfies_the_default_requirement() {
	let mut document = example();
	sign(&mut document, &[3]);
	let approval = verify(&document).unwrap();
	assert_eq!((approval.signers, approval.weight, approval.weight_required), (vec![3], 1, 1));
}

#[test]
fn an_sr25519_signature_uses_the_substrate_context() {
	let mut document = with_requirement(
		json!({"requests": [{"twin_id": 5, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	// Signed the way sp_core and subxt-signer do, outside this crate.
	let hash = document.hash().unwrap();
	let context = schnorrkel::signing_context(b"substrate");
	let raw = sr25519_key(5).sign(context.bytes(hash.as_bytes())).to_bytes();
	document.add_signature(Signature::sr25519(5, raw));
	verify(&document).unwrap();
	// And this crate's signer agrees.
	document.add_signature(Signature::sign_sr25519(5, &hash, &sr25519_key(5)));
	verify(&document).unwrap();
	// Another context is refused.
	let other = sr25519_key(5).sign(schnorrkel::signing_context(b"other").bytes(hash.as_bytes()));
	document.add_signature(Signature::sr25519(5, other.to_bytes()));
	assert!(matches!(verify(&document), Err(SignatureError::BadSignature { twin_id: 5, .. })));
}

#[test]
fn a_missing_optional_signer_does_not_refuse() {
	let mut document = two_of_three();
	sign(&mut document, &[7, 9]);
	let approval = verify(&document).unwrap();
	assert_eq!((approval.signers, approval.weight), (vec![7, 9], 2));
}

#[test]
fn a_non_owner_co_signer_can_satisfy_the_requirement() {
	let mut document = with_requirement(
		json!({"requests": [{"twin_id": 8, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	sign(&mut document, &[8]);
	assert_eq!(verify(&document).unwrap().signers, vec![8]);
}

#[test]
fn a_twin_signing_twice_is_refused_not_counted_twice() {
	let mut document = with_requirement(json!({"requests": [
		{"twin_id": 7, "weight": 1, "required": false},
		{"twin_id": 8, "weight": 1, "required": false}], "weight_required": 2, "signatures": []}));
	sign(&mut document, &[7, 7]);
	assert_eq!(verify(&document).unwrap_err(), SignatureError::DuplicateSignature { twin_id: 7 });
}

#[test]
fn a_signer_not_in_the_requests_is_refused() {
	let mut document = example();
	sign(&mut document, &[3, 8]);
	assert_eq!(verify(&document).unwrap_err(), SignatureError::UnknownSigner { twin_id: 8 });
}

#[test]
fn one_bad_signature_refuses_the_document() {
	let mut document = two_of_three();
	sign(&mut document, &[7, 8]);
	let other_hash = example().hash().unwrap();
	document.add_signature(Signature::sign_ed25519(9, &other_hash, &ed25519_key(9)));
	let error = verify(&document).unwrap_err();
	assert!(
		matches!(
			error,
			SignatureError::BadSignature { twin_id: 9, key_type: KeyType::Ed25519, .. }
		),
		"{error}"
	);
	// A signature with the wrong key type does not verify either.
	let mut document = example();
	sign(&mut document, &[3]);
	document.signature_requirement.signatures[0].key_type = KeyType::Sr25519;
	assert!(matches!(verify(&document), Err(SignatureError::BadSignature { twin_id: 3, .. })));
}

#[test]
fn a_signer_unknown_on_chain_is_refused() {
	let mut document = with_requirement(
		json!({"requests": [{"twin_id": 77, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	sign(&mut document, &[77]);
	assert_eq!(verify(&document).unwrap_err(), SignatureError::TwinNotOnChain { twin_id: 77 });
}

#[test]
fn a_required_signer_must_sign() {
	let mut document = two_of_three();
	sign(&mut document, &[8, 9]);
	let error = verify(&document).unwrap_err();
	assert_eq!(error, SignatureError::RequiredSignerMissing { twin_id: 7 });
	assert!(error.to_string().contains("twin 7"), "{error}");
}

#[test]
fn the_signers_must_weigh_enough() {
	let mut document = two_of_three();
	sign(&mut document, &[7]);
	let error = verify(&document).unwrap_err();
	assert_eq!(error, SignatureError::WeightBelowThreshold { weight: 1, weight_required: 2 });
	assert!(error.to_string().contains("weigh 1, less than the 2"), "{error}");
}

#[test]
fn an_invalid_requirement_is_refused() {
	let document =
		with_requirement(json!({"requests": [], "weight_required": 1, "signatures": []}));
	assert_eq!(
		verify(&document).unwrap_err(),
		SignatureError::Requirement(RequirementError::NoRequests)
	);
}

#[test]
fn adding_a_signature_replaces_the_twins_earlier_one() {
	let mut document = example();
	document.add_signature(Signature::ed25519(3, [1; 64]));
	document.add_signature(Signature::ed25519(4, [2; 64]));
	document.add_signature(Signature::ed25519(3, [3; 64]));
	let signatures = &document.signature_requirement.signatures;
	assert_eq!(signatures.len(), 2);
	assert_eq!((signatures[0].twin_id, signatures[0].signature), (3, [3; 64]));
}

#[test]
fn signatures_survive_setting_the_contract_id() {
	let mut document = example();
	sign(&mut document, &[3]);
	document.contract_id = 12;
	verify(&document).unwrap();
}

#[test]
fn a_signature_is_written_as_twin_key_type_and_0x_hex() {
	let signature = Signature::ed25519(3, [0xcd; 64]);
	let text = serde_json::to_string(&signature).unwrap();
	assert_eq!(
		text,
		format!(r#"{{"twin_id":3,"key_type":"ed25519","signature":"0x{}"}}"#, "cd".repeat(64))
	);
	assert_eq!(serde_json::from_str::<Signature>(&text).unwrap(), signature);
	for bad in [
		text.replace("ed25519", "ecdsa"),
		text.replace("0xcd", "0x"),
		text.replace("0xcd", "cdcd"),
		text.replace("\"0x", "\"0xzz"),
	] {
		assert!(serde_json::from_str::<Signature>(&bad).is_err(), "{bad}");
	}
}

/// Version 1 of a document whose version 0 needed both 3 and 8.
fn update_of(old: &Deployment, requirement: serde_json::Value) -> Deployment {
	edited(old, |v| {
		v["version"] = json!(1);
		v["description"] = json!("updated");
		v["signature_requirement"] = requirement;
	})
}

fn owner_and_co_signer() -> Deployment {
	with_requirement(json!({"requests": [
		{"twin_id": 3, "weight": 1, "required": true},
		{"twin_id": 8, "weight": 1, "required": true}], "weight_required": 2, "signatures": []}))
}

#[test]
fn an_update_dropping_a_co_signer_is_refused() {
	let old = owner_and_co_signer();
	let mut new = update_of(
		&old,
		json!({"requests": [{"twin_id": 3, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	sign(&mut new, &[3]);
	verify(&new).unwrap();
	let chain = chain();
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::PreviousRequiredSignerMissing { twin_id: 8 }
	);
}

#[test]
fn an_update_below_the_previous_weight_is_refused() {
	let old = two_of_three();
	let mut new = update_of(
		&old,
		json!({"requests": [{"twin_id": 7, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	sign(&mut new, &[7]);
	let chain = chain();
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::PreviousWeightBelowThreshold { weight: 1, weight_required: 2 }
	);
}

#[test]
fn an_update_signed_by_the_old_and_new_signers_passes() {
	let old = owner_and_co_signer();
	let requirement = json!({"requests": [
		{"twin_id": 3, "weight": 1, "required": true},
		{"twin_id": 9, "weight": 1, "required": true}], "weight_required": 2, "signatures": []});
	let chain = chain();
	// The new requirement swaps 8 for 9: 3 and 9 satisfy it, but the old one still needs 8.
	let mut new = update_of(&old, requirement);
	sign(&mut new, &[3, 9]);
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::PreviousRequiredSignerMissing { twin_id: 8 }
	);
	// With 8 among the new requests too (optional), all three sign and both requirements hold.
	let mut new = update_of(
		&old,
		json!({"requests": [
			{"twin_id": 3, "weight": 1, "required": true},
			{"twin_id": 8, "weight": 1, "required": false},
			{"twin_id": 9, "weight": 1, "required": true}], "weight_required": 2, "signatures": []}),
	);
	sign(&mut new, &[3, 8, 9]);
	let approval = verify_update(&old, &new, accounts(&chain)).unwrap();
	assert_eq!(approval.signers, vec![3, 8, 9]);
}

#[test]
fn an_update_must_satisfy_its_own_requirement_too() {
	let old = example();
	let mut new = update_of(
		&old,
		json!({"requests": [
		{"twin_id": 3, "weight": 1, "required": true},
		{"twin_id": 8, "weight": 1, "required": true}], "weight_required": 2, "signatures": []}),
	);
	sign(&mut new, &[3]);
	let chain = chain();
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::RequiredSignerMissing { twin_id: 8 }
	);
}

#[test]
fn the_old_quorum_may_drop_a_co_signer_and_no_smaller_group_may() {
	// SPEC §9.4: 3 and 8 required (2 of 2) become 3 alone.
	let old = owner_and_co_signer();
	let alone = json!({"requests": [{"twin_id": 3, "weight": 1, "required": true}], "weight_required": 1, "signatures": []});
	let chain = chain();
	let mut new = update_of(&old, alone.clone());
	sign(&mut new, &[3, 8]);
	let approval = verify_update(&old, &new, accounts(&chain)).unwrap();
	assert_eq!((approval.signers, approval.weight), (vec![3, 8], 1));
	let mut new = update_of(&old, alone);
	sign(&mut new, &[3]);
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::PreviousRequiredSignerMissing { twin_id: 8 }
	);
	// A twin neither requirement names may not sign, even beside the quorum.
	let mut new = update_of(
		&old,
		json!({"requests": [{"twin_id": 3, "weight": 1, "required": true}], "weight_required": 1, "signatures": []}),
	);
	sign(&mut new, &[3, 8, 9]);
	assert_eq!(
		verify_update(&old, &new, accounts(&chain)).unwrap_err(),
		SignatureError::UnknownSigner { twin_id: 9 }
	);
}

#[test]
fn a_signature_over_the_wrapped_hash_verifies_as_a_wallet_makes_it() {
	use gridchain_deployment::wrapped;
	let document = example();
	let hash = document.hash().unwrap();
	let context = schnorrkel::signing_context(b"substrate");
	let by_wallet = sr25519_key(3).sign(context.bytes(&wrapped(hash.as_bytes())));
	let signature = Signature::sr25519(3, by_wallet.to_bytes());
	assert!(signature.verify(&hash, &sr25519_account(3)));
	// Wrapped around another hash, or wrapped twice, it does not.
	let other = sr25519_key(3).sign(context.bytes(&wrapped(&wrapped(hash.as_bytes()))));
	assert!(!Signature::sr25519(3, other.to_bytes()).verify(&hash, &sr25519_account(3)));
	let ed = ed25519_key(3);
	let wallet_ed = {
		use gridchain_deployment::ed25519_dalek::Signer;
		ed.sign(&wrapped(hash.as_bytes()))
	};
	assert!(Signature::ed25519(3, wallet_ed.to_bytes()).verify(&hash, &ed25519_account(3)));
}
