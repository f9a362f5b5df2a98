//! What the tests share: the SPEC example and fixed keys.

use gridchain_deployment::{
	ed25519_dalek::SigningKey,
	schnorrkel::{ExpansionMode, Keypair, MiniSecretKey},
	Deployment,
};

/// The document of SPEC §9.1, byte for byte.
pub const EXAMPLE: &str = r#"{
  "version": 0,
  "twin_id": 3,
  "contract_id": 0,
  "metadata": "project: web",
  "description": "a web server with a data disk and a public IPv4",
  "signature_requirement": {
    "requests": [{"twin_id": 3, "weight": 1, "required": true}],
    "weight_required": 1,
    "signatures": []
  },
  "workloads": [
    {"version": 0, "name": "web", "type": "vm", "description": "", "data": {
      "image": "docker.io/library/nginx:1.27", "cpu": 2, "memory": 4294967296, "rootfs_size": 10737418240,
      "entrypoint": "/docker-entrypoint.sh nginx -g 'daemon off;'", "env": {"TZ": "UTC"},
      "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGridchainExampleKeyOnlyForTheSpec user@example"],
      "public_ip": "ip4", "mounts": [{"disk": "data", "mount_point": "/data"}]}},
    {"version": 0, "name": "data", "type": "disk", "description": "", "data": {"size": 53687091200, "kind": "ssd"}},
    {"version": 0, "name": "ip4", "type": "public_ip", "description": "", "data": {}}
  ]
}
"#;

/// The SPEC §9.1 document, parsed.
pub fn example() -> Deployment {
	Deployment::from_json(EXAMPLE.as_bytes()).unwrap()
}

/// The document parsed from JSON text, panicking with the reason if it is not one.
pub fn parse(json: &str) -> Deployment {
	Deployment::from_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{json}"))
}

/// A fixed ed25519 key for a twin: the seed is the twin id repeated 32 times.
pub fn ed25519_key(twin_id: u32) -> SigningKey {
	SigningKey::from_bytes(&ed25519_seed(twin_id))
}

pub fn ed25519_seed(twin_id: u32) -> [u8; 32] {
	[twin_id as u8; 32]
}

/// A fixed sr25519 key pair for a twin, expanded from a mini secret the way substrate does
/// (`sp_core::sr25519::Pair::from_seed`, polkadot.js `sr25519PairFromSeed`).
pub fn sr25519_key(twin_id: u32) -> Keypair {
	MiniSecretKey::from_bytes(&sr25519_seed(twin_id))
		.unwrap()
		.expand_to_keypair(ExpansionMode::Ed25519)
}

pub fn sr25519_seed(twin_id: u32) -> [u8; 32] {
	[0x80 | twin_id as u8; 32]
}

/// A chain lookup from a list of (twin id, account id).
pub fn accounts(list: &[(u32, [u8; 32])]) -> impl Fn(u32) -> Option<[u8; 32]> + '_ {
	move |twin_id| list.iter().find(|(t, _)| *t == twin_id).map(|(_, account)| *account)
}

pub fn ed25519_account(twin_id: u32) -> [u8; 32] {
	ed25519_key(twin_id).verifying_key().to_bytes()
}

pub fn sr25519_account(twin_id: u32) -> [u8; 32] {
	sr25519_key(twin_id).public.to_bytes()
}

/// Edits the document's JSON and parses the result.
pub fn edited(document: &Deployment, edit: impl FnOnce(&mut serde_json::Value)) -> Deployment {
	let mut value = serde_json::to_value(document).unwrap();
	edit(&mut value);
	parse(&value.to_string())
}

/// The example with the requirement given as JSON.
pub fn with_requirement(requirement: serde_json::Value) -> Deployment {
	edited(&example(), |v| v["signature_requirement"] = requirement)
}
