//! Properties of the hash over generated documents.

use gridchain_deployment::{
	Deployment, DiskData, DiskKind, KeyType, Mount, PublicIpData, Signature, SignatureRequest,
	SignatureRequirement, VmData, Workload, WorkloadData, MAX_SAFE_INTEGER,
};
use proptest::prelude::*;
use serde_json::Value;

/// Text with ASCII, escapes, control characters and characters outside the BMP.
fn text() -> impl Strategy<Value = String> {
	prop_oneof![
		"[a-z0-9_]{0,8}",
		"[ -~]{0,8}",
		proptest::collection::vec(
			prop_oneof![
				Just('\u{0}'),
				Just('\u{1f}'),
				Just('"'),
				Just('\\'),
				Just('\u{7f}'),
				Just('\u{e9}'),
				Just('\u{2028}'),
				Just('\u{ff61}'),
				Just('\u{1f980}'),
				any::<char>()
			],
			0..6
		)
		.prop_map(|chars| chars.into_iter().collect()),
	]
}

fn safe_integer() -> impl Strategy<Value = u64> {
	prop_oneof![0..=1024u64, 0..=MAX_SAFE_INTEGER]
}

fn workload_data() -> impl Strategy<Value = WorkloadData> {
	let vm = (
		(text(), any::<u32>(), safe_integer(), safe_integer(), text()),
		(
			proptest::collection::btree_map(text(), text(), 0..4),
			proptest::collection::vec(text(), 0..3),
			text(),
			proptest::collection::vec((text(), text()), 0..3),
		),
	)
		.prop_map(
			|(
				(image, cpu, memory, rootfs_size, entrypoint),
				(env, ssh_keys, public_ip, mounts),
			)| {
				WorkloadData::Vm(VmData {
					image,
					cpu,
					memory,
					rootfs_size,
					entrypoint,
					env,
					ssh_keys,
					public_ip,
					mounts: mounts
						.into_iter()
						.map(|(disk, mount_point)| Mount { disk, mount_point })
						.collect(),
				})
			},
		);
	let disk = (safe_integer(), any::<bool>()).prop_map(|(size, ssd)| {
		WorkloadData::Disk(DiskData { size, kind: if ssd { DiskKind::Ssd } else { DiskKind::Hdd } })
	});
	prop_oneof![vm, disk, Just(WorkloadData::PublicIp(PublicIpData {}))]
}

fn workload() -> impl Strategy<Value = Workload> {
	(any::<u32>(), text(), text(), workload_data()).prop_map(
		|(version, name, description, data)| Workload { version, name, description, data },
	)
}

fn signature() -> impl Strategy<Value = Signature> {
	(any::<u32>(), any::<bool>(), proptest::collection::vec(any::<u8>(), 64)).prop_map(
		|(twin_id, sr, bytes)| Signature {
			twin_id,
			key_type: if sr { KeyType::Sr25519 } else { KeyType::Ed25519 },
			signature: bytes.try_into().unwrap(),
		},
	)
}

fn document() -> impl Strategy<Value = Deployment> {
	(
		(any::<u32>(), any::<u32>(), safe_integer(), text(), text()),
		proptest::collection::vec((any::<u32>(), any::<u32>(), any::<bool>()), 0..4),
		any::<u32>(),
		proptest::collection::vec(signature(), 0..3),
		proptest::collection::vec(workload(), 0..4),
	)
		.prop_map(
			|(
				(version, twin_id, contract_id, metadata, description),
				requests,
				weight_required,
				signatures,
				workloads,
			)| {
				Deployment {
					version,
					twin_id,
					contract_id,
					metadata,
					description,
					signature_requirement: SignatureRequirement {
						requests: requests
							.into_iter()
							.map(|(twin_id, weight, required)| SignatureRequest {
								twin_id,
								weight,
								required,
							})
							.collect(),
						weight_required,
						signatures,
					},
					workloads,
				}
			},
		)
}

/// A small deterministic generator for reordering and spacing.
struct Shuffle(u64);

impl Shuffle {
	fn next(&mut self, n: usize) -> usize {
		self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
		((self.0 >> 33) % n as u64) as usize
	}

	fn space(&mut self, out: &mut String) {
		out.push_str([" ", "", "\n", "\t", "\r\n  ", ""][self.next(6)]);
	}

	/// Writes a string, escaping some characters as `\uXXXX` (surrogate pairs beyond the BMP).
	fn string(&mut self, text: &str, out: &mut String) {
		out.push('"');
		for c in text.chars() {
			if c == '"' || c == '\\' || (c as u32) < 0x20 || self.next(3) == 0 {
				let mut units = [0u16; 2];
				for unit in c.encode_utf16(&mut units) {
					out.push_str(&format!("\\u{unit:04X}"));
				}
			} else {
				out.push(c);
			}
		}
		out.push('"');
	}

	/// Writes JSON with object members in a shuffled order and random whitespace.
	fn json(&mut self, value: &Value, out: &mut String) {
		self.space(out);
		match value {
			Value::Object(map) => {
				let mut members: Vec<_> = map.iter().collect();
				for i in (1..members.len()).rev() {
					members.swap(i, self.next(i + 1));
				}
				out.push('{');
				for (i, (key, child)) in members.into_iter().enumerate() {
					if i > 0 {
						out.push(',');
					}
					self.space(out);
					self.string(key, out);
					self.space(out);
					out.push(':');
					self.json(child, out);
				}
				self.space(out);
				out.push('}');
			}
			Value::Array(items) => {
				out.push('[');
				for (i, child) in items.iter().enumerate() {
					if i > 0 {
						out.push(',');
					}
					self.json(child, out);
				}
				out.push(']');
			}
			Value::String(text) => self.string(text, out),
			other => out.push_str(&other.to_string()),
		}
		self.space(out);
	}
}

/// Pointers to every scalar of the document that the hash covers.
fn hashed_leaves(value: &Value, pointer: String, out: &mut Vec<String>) {
	if pointer == "/contract_id" || pointer == "/signature_requirement/signatures" {
		return;
	}
	match value {
		Value::Object(map) => {
			for (key, child) in map {
				hashed_leaves(
					child,
					format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")),
					out,
				);
			}
		}
		Value::Array(items) => {
			for (i, child) in items.iter().enumerate() {
				hashed_leaves(child, format!("{pointer}/{i}"), out);
			}
		}
		_ => out.push(pointer),
	}
}

proptest! {
	#![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

	#[test]
	fn the_hash_ignores_member_order_whitespace_and_escapes(
		document in document(),
		seed in any::<u64>(),
	) {
		let mut text = String::new();
		Shuffle(seed).json(&serde_json::to_value(&document).unwrap(), &mut text);
		let parsed = Deployment::from_json(text.as_bytes()).unwrap();
		prop_assert_eq!(&parsed, &document);
		prop_assert_eq!(parsed.challenge().unwrap(), document.challenge().unwrap());
		prop_assert_eq!(parsed.hash().unwrap(), document.hash().unwrap());
	}

	#[test]
	fn the_canonical_json_reads_back_as_the_same_document(document in document()) {
		let canonical = document.canonical_json().unwrap();
		prop_assert_eq!(Deployment::from_json(&canonical).unwrap(), document.clone());
		let challenge: Value = serde_json::from_slice(&document.challenge().unwrap()).unwrap();
		prop_assert!(challenge.get("contract_id").is_none());
		prop_assert!(challenge["signature_requirement"].get("signatures").is_none());
	}

	#[test]
	fn contract_id_and_signatures_do_not_change_the_hash(
		document in document(),
		contract_id in safe_integer(),
		signatures in proptest::collection::vec(signature(), 0..3),
	) {
		let mut other = document.clone();
		other.contract_id = contract_id;
		other.signature_requirement.signatures = signatures;
		prop_assert_eq!(other.hash().unwrap(), document.hash().unwrap());
	}

	#[test]
	fn changing_any_hashed_member_changes_the_hash(
		document in document(),
		pick in any::<prop::sample::Index>(),
		extra in text(),
	) {
		let value = serde_json::to_value(&document).unwrap();
		let mut leaves = Vec::new();
		hashed_leaves(&value, String::new(), &mut leaves);
		let mut mutated = value.clone();
		let leaf = mutated.pointer_mut(&leaves[pick.index(leaves.len())]).unwrap();
		match leaf {
			Value::Bool(b) => *b = !*b,
			Value::Number(n) => *leaf = Value::from(n.as_u64().unwrap() ^ 1),
			Value::String(s) => s.push_str(if extra.is_empty() { "x" } else { &extra }),
			_ => unreachable!("leaves are scalars"),
		}
		// Some mutations give no document (a type `vmx`); those are not hashed at all.
		if let Ok(changed) = Deployment::from_json(mutated.to_string().as_bytes()) {
			prop_assert_ne!(changed.hash().unwrap(), document.hash().unwrap());
		}
	}

	#[test]
	fn adding_or_removing_a_list_item_or_env_entry_changes_the_hash(
		document in document(),
		key in text(),
		pick in any::<prop::sample::Index>(),
	) {
		let hash = document.hash().unwrap();
		if !document.workloads.is_empty() {
			let mut fewer = document.clone();
			fewer.workloads.remove(pick.index(document.workloads.len()));
			prop_assert_ne!(fewer.hash().unwrap(), hash);
		}
		let mut more = document.clone();
		let request = SignatureRequest { twin_id: 1, weight: 1, required: false };
		more.signature_requirement.requests.push(request);
		prop_assert_ne!(more.hash().unwrap(), hash);
		for (i, workload) in document.workloads.iter().enumerate() {
			if let WorkloadData::Vm(vm) = &workload.data {
				let mut more = document.clone();
				let WorkloadData::Vm(changed) = &mut more.workloads[i].data else { unreachable!() };
				let key = format!("{key}{}", vm.env.len());
				if changed.env.insert(key, String::new()).is_none() {
					prop_assert_ne!(more.hash().unwrap(), hash);
				}
			}
		}
	}
}
