//! The golden vectors in `testdata/` (format: `testdata/README.md`). They are rewritten by
//! `GRIDCHAIN_WRITE_VECTORS=1 cargo test -p gridchain-deployment golden_vectors`; otherwise this
//! test asserts the files still match what the crate computes. The randomised parts (sr25519
//! signatures, the age ciphertext) cannot be recomputed: they are checked to still verify and
//! decrypt instead.

use std::path::PathBuf;

use gridchain_deployment::{
	decrypt, encrypt, schnorrkel, verify_signatures, verify_update, wrapped, AgeIdentity, Approval,
	Deployment, Signature, SignatureError, ValidationError, DEV_PHRASE,
};
use serde_json::{json, Value};

use crate::common::{
	ed25519_account, ed25519_key, ed25519_seed, example, parse, sr25519_account, sr25519_key,
	sr25519_seed, EXAMPLE,
};

const UNICODE: &str = r#"{
  "version": 0,
  "twin_id": 4,
  "contract_id": 0,
  "metadata": "tab\there, newline\nthere, quote \" backslash \\ slash \/ nul \u0000 unit separator \u001f delete \u007f",
  "description": "caf\u00e9 – 日本語 – \ud83e\udd80 – line separator \u2028 – bom \ufeff – \u00C9",
  "signature_requirement": {
    "requests": [{"twin_id": 4, "weight": 1, "required": true}],
    "weight_required": 1,
    "signatures": []
  },
  "workloads": [
    {"version": 0, "name": "vm_1", "type": "vm", "description": "Größe ≥ 1 GiB", "data": {
      "image": "registry.example/ünï:1", "cpu": 1, "memory": 268435456, "rootfs_size": 1073741824,
      "entrypoint": "echo \"héllo\"", "ssh_keys": [], "public_ip": "", "mounts": [],
      "env": {"\uff61": "U+FF61 sorts after the crab in UTF-16", "\ud83e\udd80": "crab, a surrogate pair", "\u00e9": "e acute", "Z": "ascii upper", "a": "ascii lower", "": "empty key"}}}
  ]
}
"#;

const MULTI: &str = r#"{"workloads": [
    {"data": {"kind": "hdd", "size": 107374182400}, "type": "disk", "name": "backup", "version": 2, "description": "nightly"},
    {"name": "db", "version": 1, "type": "vm", "description": "postgres", "data": {"mounts": [{"mount_point": "/var/lib/postgresql", "disk": "pgdata"}],
      "public_ip": "", "ssh_keys": [], "env": {"POSTGRES_USER": "app", "PGDATA": "/var/lib/postgresql/data", "LANG": "C.UTF-8", "A_FIRST": "1"},
      "entrypoint": "", "rootfs_size": 2147483648, "memory": 2147483648, "cpu": 4, "image": "docker.io/library/postgres:16"}},
    {"description": "", "data": {"size": 21474836480, "kind": "ssd"}, "version": 0, "name": "pgdata", "type": "disk"},
    {"version": 2, "name": "app", "type": "vm", "description": "", "data": {"image": "ghcr.io/example/app:2", "cpu": 1, "memory": 536870912,
      "rootfs_size": 1073741824, "entrypoint": "/app serve --port 8080", "env": {"Z": "last", "DATABASE_URL": "postgres://db/app", "a": "lower", "B": "upper"},
      "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN ops@example", "sk-ssh-ed25519@openssh.com AAAA second"],
      "public_ip": "ip", "mounts": [{"disk": "backup", "mount_point": "/backup"}]}},
    {"type": "public_ip", "data": {}, "name": "ip", "description": "the app's IPv4", "version": 0}
  ],
  "version": 2,
  "signature_requirement": {"weight_required": 1, "signatures": [], "requests": [{"weight": 1, "twin_id": 12, "required": true}]},
  "description": "app, database and backups", "metadata": "{\"project\":\"shop\",\"env\":\"prod\"}", "contract_id": 77, "twin_id": 12}
"#;

const TWO_OF_THREE: &str = r#"{
  "version": 0,
  "twin_id": 7,
  "contract_id": 0,
  "metadata": "",
  "description": "a disk that twin 7 and one of 8 or 9 must approve",
  "signature_requirement": {
    "requests": [
      {"twin_id": 7, "weight": 1, "required": true},
      {"twin_id": 8, "weight": 1, "required": false},
      {"twin_id": 9, "weight": 1, "required": false}
    ],
    "weight_required": 2,
    "signatures": []
  },
  "workloads": [
    {"version": 0, "name": "shared", "type": "disk", "description": "", "data": {"size": 1073741824, "kind": "ssd"}}
  ]
}
"#;

/// A phrase of the BIP39 test vectors, for the derivation of a bare phrase and of a path.
const OTHER_PHRASE: &str =
	"legal winner thank year wave sausage worth useful legal winner thank yellow";

/// A case name, the signers (twin, whether it signs this document's hash), the twins on chain.
type SignatureCase<'a> = (&'a str, &'a [(u32, bool)], &'a [u32]);

/// A case name, the rule it breaks, and the edit of the example that breaks it.
type ValidationCase = (&'static str, &'static str, Box<dyn Fn(&mut Value)>);

fn testdata() -> PathBuf {
	// From the package's directory, where the tests run (test-support/README.md, "Test data").
	PathBuf::from("testdata")
}

fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn text(bytes: Vec<u8>) -> String {
	String::from_utf8(bytes).unwrap()
}

fn document_vector(name: &str, input: &str) -> Value {
	let document = parse(input);
	document.validate().unwrap();
	let hash = document.hash().unwrap();
	let signer = document.twin_id;
	let ed25519 = Signature::sign_ed25519(signer, &hash, &ed25519_key(signer));
	let sr25519 = Signature::sign_sr25519(signer, &hash, &sr25519_key(signer));
	json!({
		"name": name,
		"input": input,
		"challenge": text(document.challenge().unwrap()),
		"challenge_length": document.challenge().unwrap().len(),
		"hash": hash.to_string(),
		"canonical": text(document.canonical_json().unwrap()),
		"capacity": document.capacity(),
		"ed25519": {
			"twin_id": signer,
			"seed": hex0x(&ed25519_seed(signer)),
			"public_key": hex0x(&ed25519_account(signer)),
			"signature": hex0x(&ed25519.signature),
		},
		"sr25519": {
			"twin_id": signer,
			"seed": hex0x(&sr25519_seed(signer)),
			"public_key": hex0x(&sr25519_account(signer)),
			"signature": hex0x(&sr25519.signature),
		},
	})
}

fn outcome(result: Result<Approval, SignatureError>) -> Value {
	let (rule, details) = match result {
		Ok(approval) => {
			return json!({"ok": {"signers": approval.signers, "weight": approval.weight}})
		}
		Err(SignatureError::UnknownSigner { twin_id }) => {
			("UnknownSigner", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::DuplicateSignature { twin_id }) => {
			("DuplicateSignature", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::TwinNotOnChain { twin_id }) => {
			("TwinNotOnChain", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::BadSignature { twin_id, .. }) => {
			("BadSignature", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::RequiredSignerMissing { twin_id }) => {
			("RequiredSignerMissing", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::WeightBelowThreshold { weight, weight_required }) => {
			("WeightBelowThreshold", json!({"weight": weight, "weight_required": weight_required}))
		}
		Err(SignatureError::PreviousRequiredSignerMissing { twin_id }) => {
			("PreviousRequiredSignerMissing", json!({"twin_id": twin_id}))
		}
		Err(SignatureError::PreviousWeightBelowThreshold { weight, weight_required }) => (
			"PreviousWeightBelowThreshold",
			json!({"weight": weight, "weight_required": weight_required}),
		),
		Err(other) => panic!("no vector for {other}"),
	};
	json!({"error": {"rule": rule, "details": details}})
}

/// The 2-of-3 document signed by `signers` with their ed25519 keys (`(twin, signs_this_hash)`).
fn signed(input: &str, signers: &[(u32, bool)]) -> Deployment {
	let mut document = parse(input);
	let hash = document.hash().unwrap();
	let other_hash = example().hash().unwrap();
	for &(twin_id, right_hash) in signers {
		let signed_hash = if right_hash { hash } else { other_hash };
		let signature = Signature::sign_ed25519(twin_id, &signed_hash, &ed25519_key(twin_id));
		document.signature_requirement.signatures.push(signature);
	}
	document
}

fn signature_checks() -> Value {
	let chain: Vec<u32> = vec![7, 8, 9, 10];
	let cases: &[SignatureCase] = &[
		("7 and 8 sign", &[(7, true), (8, true)], &chain),
		("7 and 9 sign, 8 is an absent optional vote", &[(9, true), (7, true)], &chain),
		("all three sign", &[(7, true), (8, true), (9, true)], &chain),
		("8 and 9 sign without the required 7", &[(8, true), (9, true)], &chain),
		("7 alone weighs 1 of 2", &[(7, true)], &chain),
		("7 signs twice", &[(7, true), (7, true), (8, true)], &chain),
		("10 is not requested", &[(7, true), (8, true), (10, true)], &chain),
		("8 signed another hash", &[(7, true), (8, false)], &chain),
		("8 is not on chain", &[(7, true), (8, true)], &[7, 9]),
	];
	let checks: Vec<Value> = cases
		.iter()
		.map(|(name, signers, on_chain)| {
			let document = signed(TWO_OF_THREE, signers);
			let accounts: serde_json::Map<String, Value> = on_chain
				.iter()
				.map(|&twin| (twin.to_string(), json!(hex0x(&ed25519_account(twin)))))
				.collect();
			let lookup = |twin: u32| on_chain.contains(&twin).then(|| ed25519_account(twin));
			json!({
				"name": name,
				"input": text(document.canonical_json().unwrap()),
				"accounts": accounts,
				"expect": outcome(verify_signatures(&document, lookup)),
			})
		})
		.collect();
	let mut checks = checks;
	checks.push(wallet_check());
	json!(checks)
}

/// The name of the signature check whose sr25519 signature a wallet made.
const WALLET_CHECK: &str = "7 signs; 8 signs through a wallet: sr25519 over <Bytes> hash </Bytes>";

/// 7 signs the 2-of-3 document plainly (ed25519), 8 through a browser-extension wallet: sr25519
/// over the wrapped hash. Randomised, so stored once and checked to verify.
fn wallet_check() -> Value {
	let mut document = signed(TWO_OF_THREE, &[(7, true)]);
	let hash = document.hash().unwrap();
	let context = schnorrkel::signing_context(b"substrate");
	let signature = sr25519_key(8).sign(context.bytes(&wrapped(hash.as_bytes())));
	document.signature_requirement.signatures.push(Signature::sr25519(8, signature.to_bytes()));
	let accounts = [(7, ed25519_account(7)), (8, sr25519_account(8)), (9, ed25519_account(9))];
	let lookup = |twin: u32| accounts.iter().find(|(t, _)| *t == twin).map(|(_, a)| *a);
	json!({
		"name": WALLET_CHECK,
		"input": text(document.canonical_json().unwrap()),
		"accounts": accounts.iter().map(|(t, a)| (t.to_string(), json!(hex0x(a)))).collect::<serde_json::Map<_, _>>(),
		"expect": outcome(verify_signatures(&document, lookup)),
	})
}

fn update_checks() -> Value {
	let old = signed(TWO_OF_THREE, &[(7, true), (8, true)]);
	let new_input = |requests: Value, weight_required: u32| {
		let mut value = serde_json::to_value(parse(TWO_OF_THREE)).unwrap();
		value["version"] = json!(1);
		value["description"] = json!("updated");
		value["signature_requirement"]["requests"] = requests;
		value["signature_requirement"]["weight_required"] = json!(weight_required);
		value.to_string()
	};
	let alone = new_input(json!([{"twin_id": 7, "weight": 1, "required": true}]), 1);
	let same = new_input(
		json!([{"twin_id": 7, "weight": 1, "required": true}, {"twin_id": 8, "weight": 1, "required": false}, {"twin_id": 9, "weight": 1, "required": false}]),
		2,
	);
	let cases = [
		("7 drops the co-signers and signs alone", signed(&alone, &[(7, true)])),
		("7 and 9 sign the update", signed(&same, &[(7, true), (9, true)])),
		// SPEC §9.4: the old quorum may drop a member; 8 is named by the old requirement only.
		("7 and 8, the old quorum, drop the co-signers", signed(&alone, &[(7, true), (8, true)])),
		(
			"10, named by neither requirement, signs the update",
			signed(&alone, &[(7, true), (10, true)]),
		),
		(
			"7 and 9 drop the co-signers, but 9 signed another hash",
			signed(&alone, &[(7, true), (9, false)]),
		),
	];
	let accounts: serde_json::Map<String, Value> = [7, 8, 9]
		.iter()
		.map(|&t: &u32| (t.to_string(), json!(hex0x(&ed25519_account(t)))))
		.collect();
	let lookup = |twin: u32| [7, 8, 9].contains(&twin).then(|| ed25519_account(twin));
	let checks: Vec<Value> = cases
		.into_iter()
		.map(|(name, new)| {
			json!({
				"name": name,
				"old": text(old.canonical_json().unwrap()),
				"new": text(new.canonical_json().unwrap()),
				"accounts": accounts,
				"expect": outcome(verify_update(&old, &new, lookup)),
			})
		})
		.collect();
	json!(checks)
}

fn rule_name(error: &ValidationError) -> String {
	let debug = match error {
		ValidationError::Requirement(inner) => format!("{inner:?}"),
		other => format!("{other:?}"),
	};
	debug.split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default().to_string()
}

fn invalid_documents() -> Value {
	type Edit = fn(&mut Value);
	let vm = |name: &str, public_ip: &str, disk: &str| {
		let mounts =
			if disk.is_empty() { json!([]) } else { json!([{"disk": disk, "mount_point": "/m"}]) };
		json!({"version": 0, "name": name, "type": "vm", "description": "", "data": {
			"image": "i", "cpu": 1, "memory": 268435456u64, "rootfs_size": 1073741824u64,
			"entrypoint": "", "env": {}, "ssh_keys": [], "public_ip": public_ip, "mounts": mounts}})
	};
	let parse_cases: &[(&str, Edit)] = &[
		("a workload without description", |v| {
			v["workloads"][0].as_object_mut().unwrap().remove("description");
		}),
		("an unknown member in vm data", |v| v["workloads"][0]["data"]["gpu"] = json!(1)),
		("a disk member in vm data", |v| v["workloads"][0]["data"]["size"] = json!(1073741824u64)),
		("public_ip data that is not {}", |v| v["workloads"][2]["data"] = json!({"version": 4})),
		("contract_id above 2^53 - 1", |v| v["contract_id"] = json!(9_007_199_254_740_992u64)),
		("a fractional cpu", |v| v["workloads"][0]["data"]["cpu"] = json!(2.5)),
		("an unknown workload type", |v| v["workloads"][2]["type"] = json!("gpu")),
		(
			"a signature of 63 bytes",
			|v| v["signature_requirement"]["signatures"] = json!([{"twin_id": 3, "key_type": "ed25519", "signature": format!("0x{}", "00".repeat(63))}]),
		),
	];
	let validation_cases: Vec<ValidationCase> = vec![
		("no workloads", "NoWorkloads", Box::new(|v| v["workloads"] = json!([]))),
		(
			"an upper-case workload name",
			"BadWorkloadName",
			Box::new(|v| v["workloads"][1]["name"] = json!("Data")),
		),
		(
			"a 37-character name",
			"BadWorkloadName",
			Box::new(|v| v["workloads"][1]["name"] = json!("d".repeat(37))),
		),
		(
			"two workloads named data",
			"DuplicateWorkloadName",
			Box::new(|v| v["workloads"][2]["name"] = json!("data")),
		),
		(
			"a workload newer than the document",
			"WorkloadVersionAboveDocument",
			Box::new(|v| v["workloads"][0]["version"] = json!(1)),
		),
		("cpu 0", "CpuOutOfRange", Box::new(|v| v["workloads"][0]["data"]["cpu"] = json!(0))),
		("cpu 65", "CpuOutOfRange", Box::new(|v| v["workloads"][0]["data"]["cpu"] = json!(65))),
		(
			"memory 256 MiB - 1",
			"MemoryTooSmall",
			Box::new(|v| v["workloads"][0]["data"]["memory"] = json!(268435455)),
		),
		(
			"rootfs 1 GiB - 1",
			"RootfsTooSmall",
			Box::new(|v| v["workloads"][0]["data"]["rootfs_size"] = json!(1073741823)),
		),
		(
			"disk 1 GiB - 1",
			"DiskTooSmall",
			Box::new(|v| v["workloads"][1]["data"]["size"] = json!(1073741823)),
		),
		(
			"public_ip naming nothing",
			"PublicIpMissing",
			Box::new(|v| v["workloads"][0]["data"]["public_ip"] = json!("ip6")),
		),
		(
			"public_ip naming a disk",
			"PublicIpNotPublicIp",
			Box::new(|v| v["workloads"][0]["data"]["public_ip"] = json!("data")),
		),
		(
			"a public_ip used by two VMs",
			"PublicIpUsedTwice",
			Box::new(move |v| v["workloads"].as_array_mut().unwrap().push(vm("web2", "ip4", ""))),
		),
		(
			"a mount naming nothing",
			"MountDiskMissing",
			Box::new(|v| v["workloads"][0]["data"]["mounts"][0]["disk"] = json!("logs")),
		),
		(
			"a mount naming a public_ip",
			"MountNotDisk",
			Box::new(|v| v["workloads"][0]["data"]["mounts"][0]["disk"] = json!("ip4")),
		),
		(
			"a disk mounted by two VMs",
			"DiskMountedTwice",
			Box::new(move |v| v["workloads"].as_array_mut().unwrap().push(vm("web2", "", "data"))),
		),
		(
			"no signature requests",
			"NoRequests",
			Box::new(|v| v["signature_requirement"]["requests"] = json!([])),
		),
		(
			"a twin requested twice",
			"TwinRequestedTwice",
			Box::new(|v| {
				v["signature_requirement"]["requests"]
					.as_array_mut()
					.unwrap()
					.push(json!({"twin_id": 3, "weight": 1, "required": false}))
			}),
		),
		(
			"weight_required 0",
			"WeightRequiredZero",
			Box::new(|v| v["signature_requirement"]["weight_required"] = json!(0)),
		),
		(
			"weight_required above the total",
			"WeightRequiredAboveTotal",
			Box::new(|v| v["signature_requirement"]["weight_required"] = json!(2)),
		),
		(
			"65 workloads",
			"TooManyWorkloads",
			Box::new(|v| {
				let disks = v["workloads"].as_array_mut().unwrap();
				for i in 0..62 {
					disks.push(json!({"name": format!("d{i}"), "type": "disk", "version": 0,
						"description": "", "data": {"size": 1073741824u64, "kind": "hdd"}}));
				}
			}),
		),
		(
			"33 signature requests",
			"TooManyRequests",
			Box::new(|v| {
				let requests = v["signature_requirement"]["requests"].as_array_mut().unwrap();
				for twin_id in 100..132 {
					requests.push(json!({"twin_id": twin_id, "weight": 1, "required": false}));
				}
			}),
		),
		(
			"65 signatures",
			"TooManySignatures",
			Box::new(|v| {
				let signature = json!({"twin_id": 3, "key_type": "ed25519",
					"signature": format!("0x{}", "00".repeat(64))});
				v["signature_requirement"]["signatures"] = json!(vec![signature; 65]);
			}),
		),
	];
	let base: Value = serde_json::from_str(EXAMPLE).unwrap();
	let mut cases = Vec::new();
	for (name, edit) in parse_cases {
		let mut value = base.clone();
		edit(&mut value);
		let input = value.to_string();
		let error = Deployment::from_json(input.as_bytes()).unwrap_err();
		cases.push(json!({"name": name, "input": input, "stage": "parse", "path": error.path}));
	}
	for (name, rule, edit) in validation_cases {
		let mut value = base.clone();
		edit(&mut value);
		let input = value.to_string();
		let error = parse(&input).validate().unwrap_err();
		assert_eq!(rule_name(&error), rule, "{name}: {error}");
		cases.push(json!({"name": name, "input": input, "stage": "validate", "rule": rule}));
	}
	json!(cases)
}

fn identities() -> Value {
	let seed_uri = format!("0x{}//Alice", hex::encode([0x42u8; 32]));
	let uris = [
		"//Alice".to_string(),
		"//Bob".to_string(),
		DEV_PHRASE.to_string(),
		OTHER_PHRASE.to_string(),
		format!("{OTHER_PHRASE}//hard/soft"),
		seed_uri,
	];
	let list: Vec<Value> = uris
		.iter()
		.map(|uri| {
			let identity = AgeIdentity::from_uri(uri).unwrap();
			let (phrase, path) = uri.split_at(uri.find('/').unwrap_or(uri.len()));
			json!({
				"uri": uri,
				"phrase": if phrase.is_empty() { DEV_PHRASE } else { phrase },
				"path": path,
				"x25519_secret": hex0x(identity.x25519_secret()),
				"x25519_public": hex0x(&identity.x25519_public()),
				"age_identity": identity.to_age_secret_string(),
				"age_recipient": identity.recipient_string(),
			})
		})
		.collect();
	json!(list)
}

fn age_vector() -> Value {
	let alice = AgeIdentity::from_uri("//Alice").unwrap();
	let ciphertext = encrypt(&example(), alice.x25519_public(), &[]).unwrap();
	json!({
		"identity_uri": "//Alice",
		"age_identity": alice.to_age_secret_string(),
		"plaintext": text(example().canonical_json().unwrap()),
		"ciphertext_hex": hex::encode(ciphertext),
	})
}

fn vectors() -> Value {
	json!({
		"format": "gridchain-deployment-vectors/1",
		"documents": [
			document_vector("example", EXAMPLE),
			document_vector("unicode", UNICODE),
			document_vector("multi", MULTI),
			document_vector("two_of_three", TWO_OF_THREE),
		],
		"signature_checks": signature_checks(),
		"update_checks": update_checks(),
		"invalid_documents": invalid_documents(),
		"identities": identities(),
		"age": age_vector(),
	})
}

/// Checks the stored randomised values and adopts them into `fresh`.
fn adopt_randomised_parts(fresh: &mut Value, stored: &Value) {
	let documents = fresh["documents"].as_array_mut().unwrap();
	for (i, document) in documents.iter_mut().enumerate() {
		let stored_sr25519 = &stored["documents"][i]["sr25519"];
		let signature: [u8; 64] =
			hex::decode(stored_sr25519["signature"].as_str().unwrap().trim_start_matches("0x"))
				.unwrap()
				.try_into()
				.unwrap();
		let hash = document["hash"].as_str().unwrap().parse().unwrap();
		let account = sr25519_account(document["sr25519"]["twin_id"].as_u64().unwrap() as u32);
		let name = &document["name"];
		assert!(
			Signature::sr25519(0, signature).verify(&hash, &account),
			"the stored sr25519 signature of {name} does not verify: rerun with GRIDCHAIN_WRITE_VECTORS=1"
		);
		document["sr25519"]["signature"] = stored_sr25519["signature"].clone();
	}
	let position = |vectors: &Value| {
		vectors["signature_checks"]
			.as_array()
			.unwrap()
			.iter()
			.position(|c| c["name"] == WALLET_CHECK)
			.expect("the wallet signature check")
	};
	let (fresh_at, stored_at) = (position(fresh), position(stored));
	let stored_wallet = &stored["signature_checks"][stored_at];
	let document = parse(stored_wallet["input"].as_str().unwrap());
	let hash = document.hash().unwrap();
	let by_8 = document.signature_requirement.signatures.iter().find(|s| s.twin_id == 8).unwrap();
	let context = schnorrkel::signing_context(b"substrate");
	let signature = schnorrkel::Signature::from_bytes(&by_8.signature).unwrap();
	let public = sr25519_key(8).public;
	assert!(
		public.verify(context.bytes(&wrapped(hash.as_bytes())), &signature).is_ok()
			&& public.verify(context.bytes(hash.as_bytes()), &signature).is_err(),
		"the stored wallet signature is not 8's over the wrapped hash alone: rerun with GRIDCHAIN_WRITE_VECTORS=1"
	);
	fresh["signature_checks"][fresh_at]["input"] = stored_wallet["input"].clone();
	let ciphertext = hex::decode(stored["age"]["ciphertext_hex"].as_str().unwrap()).unwrap();
	let alice = AgeIdentity::from_uri("//Alice").unwrap();
	assert_eq!(decrypt(&ciphertext, &alice).unwrap(), example(), "the stored age ciphertext");
	fresh["age"]["ciphertext_hex"] = stored["age"]["ciphertext_hex"].clone();
}

#[test]
fn golden_vectors() {
	let dir = testdata();
	let mut fresh = vectors();
	let files = [
		("example.json", EXAMPLE.as_bytes().to_vec()),
		("example.challenge.json", example().challenge().unwrap()),
	];
	if std::env::var("GRIDCHAIN_WRITE_VECTORS").is_ok_and(|v| v == "1") {
		for (name, bytes) in files {
			std::fs::write(dir.join(name), bytes).unwrap();
		}
		let text = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
		std::fs::write(dir.join("vectors.json"), text).unwrap();
		return;
	}
	let stale = "is stale: rerun with GRIDCHAIN_WRITE_VECTORS=1 and review the diff";
	for (name, bytes) in files {
		assert!(std::fs::read(dir.join(name)).unwrap() == bytes, "testdata/{name} {stale}");
	}
	let stored: Value =
		serde_json::from_slice(&std::fs::read(dir.join("vectors.json")).unwrap()).unwrap();
	adopt_randomised_parts(&mut fresh, &stored);
	assert!(fresh == stored, "testdata/vectors.json {stale}");
}
