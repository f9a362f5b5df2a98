//! `grid` end to end, against a real `gridchain-node --dev --sealing instant`: the user flows of
//! SPEC §9.6, their refusals, and the multisig twin.

use gridchain_test_support::*;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_user_finds_a_node_deploys_reads_back_updates_is_billed_and_cancels() {
	let chain = Chain::grid_with_a_node(2);
	chain.grid("//Charlie", &["twin", "create"]).ok();

	// Find the node by what the deployment needs.
	let found = chain.json(
		"//Charlie",
		&[
			"node",
			"find",
			"--country",
			"BE",
			"--cru",
			"2",
			"--mru",
			"4G",
			"--sru",
			"60G",
			"--ips",
			"1",
		],
	);
	assert_eq!(found[0]["node"]["id"], 1, "{found}");
	let none = chain.json("//Charlie", &["node", "find", "--cru", "9"]);
	assert_eq!(none, Value::Array(vec![]));

	// Write, sign and verify the deployment.
	let file = chain.new_deployment("//Charlie", "web", true);
	let file_text = file.to_string_lossy().to_string();
	let hash = chain.json("", &["deployment", "hash", &file_text])["deployment_hash"]
		.as_str()
		.expect("hash")
		.to_string();
	chain
		.grid("//Charlie", &["deployment", "verify", &file_text])
		.fails(2, "RequiredSignerMissing");
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let verified = chain.json("//Charlie", &["deployment", "verify", &file_text]);
	assert_eq!(verified["signers"], serde_json::json!([3]));
	assert_eq!(verified["deployment_hash"], hash.as_str(), "signing does not change the hash");

	// Create the contract with its public IP.
	let created = chain.json("//Charlie", &["contract", "create", "--node", "1", &file_text]);
	let id = created["contract_id"].as_u64().expect("contract id");
	assert_eq!(created["public_ips"][0]["ip"], "185.206.122.33/24");
	assert_eq!(chain.free_ips(), 1);
	let shown = chain.json("//Charlie", &["contract", "show", &id.to_string()]);
	assert_eq!(shown["deployment_hash"], hash.as_str());
	assert_eq!(shown["state"], "created");
	// The contract declares what the document reserves, and the node has that much less free.
	assert_eq!(
		(shown["capacity"]["cru"].as_u64(), shown["capacity"]["mru"].as_u64()),
		(Some(2), Some(4 << 30))
	);
	assert_eq!(chain.json("//Charlie", &["node", "show", "1"])["free"]["cru"], 6);
	assert_eq!(chain.contract_ids("//Charlie"), vec![id]);

	// The deployment comes back from the chain alone, exactly.
	let decrypted = chain.json("//Charlie", &["contract", "show", &id.to_string(), "--decrypt"]);
	assert_eq!(decrypted["deployment"], read_json(&file));
	// Nobody else can read it.
	chain
		.grid("//Dave", &["contract", "show", &id.to_string(), "--decrypt"])
		.fails(2, "NotARecipient");

	// Billing: the dev chain settles every 10 blocks; each transaction here makes one.
	for _ in 0..11 {
		chain
			.grid(
				"//Ferdie",
				&["transfer", "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty", "1"],
			)
			.ok();
	}
	let bills = chain.json("//Charlie", &["contract", "bills", &id.to_string(), "--blocks", "100"]);
	let bills = bills["bills"].as_array().expect("bills");
	assert!(!bills.is_empty(), "billed at least once");
	assert!(bills.iter().all(|b| b["amount"].as_u64().expect("amount") > 0), "{bills:?}");

	// Update: version 1 of the document, with a bigger VM.
	let mut doc = read_json(&file);
	doc["version"] = 1.into();
	doc["workloads"][0]["version"] = 1.into();
	doc["workloads"][0]["data"]["cpu"] = 4.into();
	doc["signature_requirement"]["signatures"] = Value::Array(vec![]);
	std::fs::write(&file, doc.to_string()).expect("write");
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	let updated = chain.json("//Charlie", &["contract", "update", &id.to_string(), &file_text]);
	assert_eq!(updated["version"], 2);
	let decrypted = chain.json("//Charlie", &["contract", "show", &id.to_string(), "--decrypt"]);
	assert_eq!(decrypted["deployment"]["workloads"][0]["data"]["cpu"], 4);
	assert_eq!(decrypted["contract"]["capacity"]["cru"], 4, "the declared capacity follows");
	// An update that breaks the version rules is refused before the chain is asked.
	chain
		.grid("//Charlie", &["contract", "update", &id.to_string(), &file_text])
		.fails(2, "version");

	// Cancel: the IP is free again and the contract gone.
	chain.grid("//Charlie", &["contract", "cancel", &id.to_string()]).ok();
	assert_eq!(chain.free_ips(), 2);
	assert!(chain.contract_ids("//Charlie").is_empty());
	chain.grid("//Charlie", &["contract", "show", &id.to_string()]).fails(1, "does not exist");
}

#[test]
fn every_refusal_names_the_error_and_changes_nothing() {
	let chain = Chain::grid_with_a_node(1);
	chain.grid("//Charlie", &["twin", "create"]).ok();
	chain.grid("//Dave", &["twin", "create"]).ok();
	let one_ip = chain.new_deployment("//Charlie", "one", true);
	let one_ip = one_ip.to_string_lossy().to_string();

	// Too few IPs: the farm's only IP is taken.
	chain.grid("//Charlie", &["contract", "create", "--node", "1", &one_ip]).ok();
	let two = chain.new_deployment("//Dave", "two", true);
	let two = two.to_string_lossy().to_string();
	let balance_before = chain.json("//Dave", &["balance"]);
	chain
		.grid("//Dave", &["contract", "create", "--node", "1", &two])
		.fails(1, "SmartContract::FarmHasNotEnoughPublicIPsFree: The node's farm has enough public IPs, but too few are free.");
	assert!(chain.contract_ids("//Dave").is_empty());
	assert_eq!(
		chain.json("//Dave", &["balance"])["reserved"],
		balance_before["reserved"],
		"no deposit held"
	);

	// The same deployment twice on one node.
	chain
		.grid("//Charlie", &["contract", "create", "--node", "1", &one_ip])
		.fails(1, "ContractIsNotUnique");
	assert_eq!(chain.contract_ids("//Charlie").len(), 1);

	// 7 vCPUs would fit the empty 8-vCPU node, but Charlie's contract declares 2 of them.
	let wide = chain.new_deployment("//Dave", "wide", false);
	let mut doc = read_json(&wide);
	doc["workloads"][0]["data"]["cpu"] = 7.into();
	std::fs::write(&wide, doc.to_string()).expect("write");
	chain
		.grid("//Dave", &["contract", "create", "--node", "1", &wide.to_string_lossy()])
		.fails(1, "SmartContract::NodeHasNotEnoughCapacity")
		.fails(1, "grid node show 1");
	assert!(chain.contract_ids("//Dave").is_empty());
	assert_eq!(chain.json("//Dave", &["balance"])["reserved"], balance_before["reserved"]);

	// A node rented by someone else.
	chain.grid("//Eve", &["twin", "create"]).ok();
	chain.grid("//Charlie", &["contract", "cancel", "1"]).ok();
	chain.grid("//Eve", &["rent", "1"]).ok();
	let no_ip = chain.new_deployment("//Dave", "noip", false);
	chain
		.grid("//Dave", &["contract", "create", "--node", "1", &no_ip.to_string_lossy()])
		.fails(1, "SmartContract::NodeNotAvailableToDeploy");
	assert!(chain.contract_ids("//Dave").is_empty());

	// Over 8 KiB encrypted: refused before anything is sent.
	let big = chain.path("big.json");
	let mut doc = read_json(&no_ip);
	doc["workloads"][0]["data"]["env"]["PADDING"] = "x".repeat(9000).into();
	std::fs::write(&big, doc.to_string()).expect("write");
	chain
		.grid("//Dave", &["contract", "create", "--node", "1", &big.to_string_lossy()])
		.fails(2, "8192");
	assert!(chain.contract_ids("//Dave").is_empty());

	// A document that breaks a rule names the workload and the field.
	let mut doc = read_json(&no_ip);
	doc["workloads"][0]["data"]["cpu"] = 0.into();
	let bad = chain.path("bad.json");
	std::fs::write(&bad, doc.to_string()).expect("write");
	chain
		.grid("//Dave", &["contract", "create", "--node", "1", &bad.to_string_lossy()])
		.fails(2, "cpu");
	// An unknown member is refused with its path.
	let mut doc = read_json(&no_ip);
	doc["workloads"][0]["data"]["gpu"] = 1.into();
	std::fs::write(&bad, doc.to_string()).expect("write");
	chain.grid("//Dave", &["deployment", "hash", &bad.to_string_lossy()]).fails(2, "gpu");
	assert!(chain.contract_ids("//Dave").is_empty());
}

#[test]
fn bad_usage_exits_2_and_says_which_argument() {
	let chain = Chain::start();
	chain.grid("//Alice", &["node", "find", "--mru", "lots"]).fails(2, "lots");
	chain
		.grid(
			"//Alice",
			&["transfer", "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty", "1.123456789"],
		)
		.fails(2, "amount");
	chain.grid("//Alice", &["transfer", "not-an-address", "1"]).fails(2, "account");
	chain.grid("", &["balance"]).fails(2, "grid key new");
	chain.grid("//Alice", &["contract", "show", "99"]).fails(1, "contract 99 does not exist");
	chain.grid("not a phrase", &["balance"]).fails(2, "key");
}

#[test]
fn keys_are_saved_owner_only_and_their_age_identity_decrypts_with_the_age_tool() {
	let chain = Chain::grid_with_a_node(1);
	// A key made with `grid key new` is saved with mode 0600 and used when no --key is given.
	let made = chain.json("", &["key", "new"]);
	let key_file = chain.path("config/grid/key");
	assert_eq!(std::fs::metadata(&key_file).expect("key file").permissions().mode() & 0o777, 0o600);
	let shown = chain.json("", &["key", "show"]);
	assert_eq!(shown["address"], made["address"]);
	chain.grid("", &["key", "new"]).fails(2, "--force");
	// GRID_MNEMONIC wins over the file.
	let bob = chain.grid_env("", &["--json", "key", "show"], &[("GRID_MNEMONIC", "//Bob")]);
	assert!(bob.ok().stdout.contains("5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"));

	// Charlie deploys; the standard age tool decrypts what the chain stores.
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let file = chain.new_deployment("//Charlie", "web", true);
	let id = chain
		.json("//Charlie", &["contract", "create", "--node", "1", &file.to_string_lossy()])
		["contract_id"]
		.to_string();
	let data = chain.path("deployment.age");
	// An older world-readable file there does not lend the new one its mode.
	std::fs::write(&data, "old").expect("write");
	std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o644)).expect("chmod");
	chain.grid("//Charlie", &["contract", "show", &id, "--data-out", &data.to_string_lossy()]).ok();
	assert_eq!(file_mode(&data), 0o600, "the deployment's age file is the owner's alone");
	let identity = chain.path("identity.txt");
	let age_identity = chain.json("//Charlie", &["key", "age-identity"])["age_identity"]
		.as_str()
		.expect("identity")
		.to_string();
	assert!(age_identity.starts_with("AGE-SECRET-KEY-1"));
	std::fs::write(&identity, format!("{age_identity}\n")).expect("write");
	let Ok(age) =
		std::process::Command::new("age").arg("-d").arg("-i").arg(&identity).arg(&data).output()
	else {
		eprintln!("SKIPPED: the `age` tool is not installed (scripts/setup.sh installs it); interop not checked");
		return;
	};
	assert!(age.status.success(), "age -d failed: {}", String::from_utf8_lossy(&age.stderr));
	let plain: Value = serde_json::from_slice(&age.stdout).expect("age decrypts to JSON");
	assert_eq!(plain, read_json(&file));
}

#[test]
fn a_two_of_three_multisig_twin_creates_a_contract_only_after_the_second_approval() {
	let chain = Chain::grid_with_a_node(1);
	let members = ["//Charlie", "//Dave", "//Eve"];
	let addresses: Vec<String> = members
		.iter()
		.map(|m| chain.json(m, &["key", "show"])["address"].as_str().expect("address").to_string())
		.collect();
	let signatories = addresses.join(",");
	let spec = ["-t", "2", "-s", signatories.as_str()];
	let multisig = chain.json("//Charlie", &[&["multisig", "address"][..], &spec].concat())
		["address"]
		.as_str()
		.expect("address")
		.to_string();
	for member in members {
		chain.grid(member, &["twin", "create"]).ok();
	}
	chain.grid("//Ferdie", &["transfer", &multisig, "1000"]).ok();

	// The multisig's twin, encrypting to Charlie's key.
	let charlie_pk = chain.json("//Charlie", &["key", "show"])["x25519_public_key"]
		.as_str()
		.expect("pk")
		.to_string();
	let proposed = chain.json(
		"//Charlie",
		&[&["multisig", "propose"][..], &spec, &["--", "twin", "create", "--pk", &charlie_pk]]
			.concat(),
	);
	assert_eq!(proposed["status"], "awaiting_approvals");
	let call = proposed["call"].as_str().expect("call").to_string();
	let pending = chain.json("//Dave", &[&["multisig", "pending"][..], &spec].concat());
	assert_eq!(pending[0]["approvals"].as_array().expect("approvals").len(), 1);
	let done =
		chain.json("//Dave", &[&["multisig", "approve"][..], &spec, &["--call", &call]].concat());
	assert_eq!(done["status"], "executed");
	let twin = chain.json("//Charlie", &["twin", "show", "6"]);
	assert_eq!(twin["account"], multisig.as_str());

	// A deployment of the multisig twin, signed by two of its members.
	let file = chain.path("shared.json");
	let file_text = file.to_string_lossy().to_string();
	// Its members sign for it: any two of twins 3, 4 and 5.
	let new_doc = [
		"deployment",
		"new",
		"--twin",
		"6",
		"--image",
		"alpine",
		"--cpu",
		"1",
		"--memory",
		"1G",
		"--public-ip",
		"--signer",
		"3",
		"--signer",
		"4",
		"--signer",
		"5",
		"--weight-required",
		"2",
		"-o",
		&file_text,
	];
	chain.grid("//Charlie", &new_doc).ok();
	assert_eq!(read_json(&file)["signature_requirement"]["requests"][2]["twin_id"], 5);
	chain.grid("//Charlie", &["deployment", "sign", &file_text]).ok();
	chain.grid("//Charlie", &["deployment", "verify", &file_text]).fails(2, "WeightBelowThreshold");
	chain.grid("//Eve", &["deployment", "sign", &file_text]).ok();
	chain.grid("//Charlie", &["deployment", "verify", &file_text]).ok();
	// Eve's signature made as a browser-extension wallet makes it, over `<Bytes>` hash
	// `</Bytes>`, verifies as well (SPEC §9.4); one over anything else does not.
	{
		use gridchain_sdk::deployment::{wrapped, Deployment, Signature};
		let mut doc = Deployment::from_json(&std::fs::read(&file).unwrap()).unwrap();
		let hash = doc.hash().unwrap();
		let eve = gridchain_sdk::Identity::from_uri("//Eve").unwrap();
		let wallet_file = chain.path("wallet-signed.json");
		let wallet_text = wallet_file.to_string_lossy().to_string();
		doc.add_signature(Signature::sr25519(5, eve.sign(&wrapped(&hash.0))));
		std::fs::write(&wallet_file, serde_json::to_vec(&doc).unwrap()).unwrap();
		chain.grid("//Charlie", &["deployment", "verify", &wallet_text]).ok();
		doc.add_signature(Signature::sr25519(5, eve.sign(&wrapped(&wrapped(&hash.0)))));
		std::fs::write(&wallet_file, serde_json::to_vec(&doc).unwrap()).unwrap();
		chain.grid("//Charlie", &["deployment", "verify", &wallet_text]).fails(2, "BadSignature");
	}

	// First approval: no contract yet, no IP taken.
	let proposed = chain.json(
		"//Charlie",
		&[
			&["multisig", "propose"][..],
			&spec,
			&["--", "contract", "create", "--node", "1", &file_text],
		]
		.concat(),
	);
	assert_eq!(proposed["approvals"], 1);
	assert!(chain.contract_ids_of_twin(6).is_empty());
	assert_eq!(chain.free_ips(), 1);
	// Second approval: the contract exists, owned by the multisig twin, with its IP.
	let call = proposed["call"].as_str().expect("call").to_string();
	chain.json("//Eve", &[&["multisig", "approve"][..], &spec, &["--call", &call]].concat());
	assert_eq!(chain.contract_ids_of_twin(6).len(), 1);
	assert_eq!(chain.free_ips(), 0);
	// A member whose key the twin encrypts to reads it back.
	let id = chain.contract_ids_of_twin(6)[0].to_string();
	let decrypted = chain.json("//Charlie", &["contract", "show", &id, "--decrypt"]);
	assert_eq!(decrypted["deployment"], read_json(&file));

	// A proposal can be withdrawn by its proposer, releasing its deposit.
	let transfer =
		[&["multisig", "propose"][..], &spec, &["--", "transfer", &addresses[0], "1"]].concat();
	let proposed = chain.json("//Dave", &transfer);
	let hash = proposed["call_hash"].as_str().expect("hash").to_string();
	let cancel = [&["multisig", "cancel"][..], &spec, &["--call-hash", &hash]].concat();
	chain.grid("//Dave", &cancel).ok();
	assert_eq!(
		chain.json("//Dave", &[&["multisig", "pending"][..], &spec].concat()),
		serde_json::json!([])
	);
	// Approving a call nobody proposed starts nothing.
	let approve = [&["multisig", "approve"][..], &spec, &["--call", "0x0000"]].concat();
	chain.grid("//Eve", &approve).fails(2, "--call");
}

// A hostile user on the same machine (issue 24): what `grid` writes is the owner's alone, and a
// secret given on the command line, where `ps` shows it, is warned about.

/// The dev phrase: `PHRASE//Alice` is Alice, but grid cannot tell a phrase from a secret one.
const DEV_PHRASE: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

/// A minimal VM document for twin 1, written offline to `path` with `extra` flags.
fn deployment_new(config: &std::path::Path, path: &std::path::Path, extra: &[&str]) -> Run {
	let path = path.to_string_lossy();
	let args = [
		&["--key", "//Alice", "deployment", "new", "--twin", "1", "--image", "alpine", "-o", &path]
			[..],
		extra,
	]
	.concat();
	grid_offline(config, "022", &args)
}

#[test]
fn a_key_replaced_with_force_is_0600_though_the_older_file_was_world_readable() {
	let dir = tempfile::tempdir().expect("temp dir");
	let config = dir.path().join("config");
	let key = config.join("grid/key");
	std::fs::create_dir_all(key.parent().expect("folder")).expect("mkdir");
	std::fs::write(&key, "//Alice\n").expect("write");
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");

	// Reading it names the loose mode and the fix.
	let shown = grid_offline(&config, "022", &["key", "show"]);
	assert!(shown.ok().stdout.contains(ALICE));
	assert!(shown.stderr.contains(&format!("chmod 600 {}", key.display())), "{}", shown.stderr);

	let made = grid_offline(&config, "022", &["--json", "key", "new", "--force"]);
	made.ok();
	assert_eq!(file_mode(&key), 0o600);
	let phrase = serde_json::from_str::<Value>(&made.stdout).expect("JSON")["phrase"]
		.as_str()
		.expect("phrase")
		.to_string();
	assert_eq!(std::fs::read_to_string(&key).expect("key").trim(), phrase, "the new key is saved");

	// `key import --force` replaces it the same way.
	std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).expect("chmod");
	let mut import = std::process::Command::new(target_bin("grid"))
		.args(["key", "import", "--force"])
		.env("XDG_CONFIG_HOME", &config)
		.stdin(std::process::Stdio::piped())
		.stdout(std::process::Stdio::null())
		.spawn()
		.expect("grid runs");
	use std::io::Write;
	import.stdin.take().expect("stdin").write_all(b"//Bob\n").expect("write");
	assert!(import.wait().expect("grid ends").success());
	assert_eq!(file_mode(&key), 0o600);
	assert_eq!(std::fs::read_to_string(&key).expect("key"), "//Bob\n");
}

#[test]
fn documents_are_written_0600_under_a_permissive_umask_also_over_an_older_file() {
	let dir = tempfile::tempdir().expect("temp dir");
	let config = dir.path().join("config");
	let doc = dir.path().join("vm.json");
	deployment_new(&config, &doc, &["--env-file", "/dev/null"]).ok();
	assert_eq!(file_mode(&doc), 0o600, "a new document");

	let older = dir.path().join("older.json");
	std::fs::write(&older, "{}").expect("write");
	std::fs::set_permissions(&older, std::fs::Permissions::from_mode(0o644)).expect("chmod");
	deployment_new(&config, &older, &[]).ok();
	assert_eq!(file_mode(&older), 0o600, "a document written over a world-readable file");

	// Signing rewrites the document in place: a world-readable one ends the owner's alone.
	std::fs::set_permissions(&doc, std::fs::Permissions::from_mode(0o644)).expect("chmod");
	let doc_text = doc.to_string_lossy();
	grid_offline(
		&config,
		"022",
		&["--key", "//Alice", "deployment", "sign", &doc_text, "--twin", "1"],
	)
	.ok();
	assert_eq!(file_mode(&doc), 0o600, "a signed document");
	assert_eq!(read_json(&doc)["signature_requirement"]["signatures"][0]["twin_id"], 1);
}

#[test]
fn a_secret_key_on_the_command_line_is_warned_about_and_a_dev_key_is_not() {
	let dir = tempfile::tempdir().expect("temp dir");
	let config = dir.path().join("config");
	let phrase_alice = format!("{DEV_PHRASE}//Alice");
	let seed = "0xe5be9a5092b81bca64be81d212e7f2f9eba183bb7a90954f7b76361f6edb5c0a";
	for secret in [phrase_alice.as_str(), seed, "//Alice///password"] {
		// grid refuses a ///password, after the warning: the secret is in `ps` already.
		let run = grid_offline(&config, "022", &["--key", secret, "key", "show"]);
		assert!(
			run.stderr.contains("--key puts your secret on the command line")
				&& run.stderr.contains("--key-file FILE"),
			"--key {secret}: {}",
			run.stderr
		);
	}
	let phrase = grid_offline(&config, "022", &["--key", &phrase_alice, "key", "show"]);
	assert!(phrase.ok().stdout.contains(ALICE), "{}", phrase.stdout);
	// `//Alice` derives from the dev phrase everyone knows: there is no secret to leak.
	let dev = grid_offline(&config, "022", &["--key", "//Alice", "key", "show"]);
	assert!(dev.ok().stdout.contains(ALICE));
	assert!(!dev.stderr.contains("warning"), "{}", dev.stderr);

	// --key-file keeps it off the command line.
	let key_file = dir.path().join("alice.key");
	std::fs::write(&key_file, format!("{phrase_alice}\n")).expect("write");
	std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
	let from_file =
		grid_offline(&config, "022", &["--key-file", &key_file.to_string_lossy(), "key", "show"]);
	assert!(from_file.ok().stdout.contains(ALICE), "{}", from_file.stdout);
	assert!(!from_file.stderr.contains("warning"), "{}", from_file.stderr);
	// An empty key file is not the dev phrase's root account.
	std::fs::write(&key_file, "\n").expect("write");
	grid_offline(&config, "022", &["--key-file", &key_file.to_string_lossy(), "key", "show"])
		.fails(2, "is empty");
}

#[test]
fn env_on_the_command_line_is_warned_about_and_env_file_sets_the_same_environment() {
	let dir = tempfile::tempdir().expect("temp dir");
	let config = dir.path().join("config");

	let on_argv = dir.path().join("argv.json");
	let run =
		deployment_new(&config, &on_argv, &["--env", "DB_PASSWORD=s3cr=t", "--env", "TZ=UTC"]);
	run.ok();
	assert!(
		run.stderr.contains("--env DB_PASSWORD, TZ") && run.stderr.contains("--env-file FILE"),
		"{}",
		run.stderr
	);
	assert!(!run.stderr.contains("s3cr=t"), "the warning does not repeat the value");

	let env_file = dir.path().join("vm.env");
	std::fs::write(&env_file, "# the database\nDB_PASSWORD=s3cr=t\n\n  # the clock\nTZ=UTC\n")
		.expect("write");
	let from_file = dir.path().join("file.json");
	let run = deployment_new(&config, &from_file, &["--env-file", &env_file.to_string_lossy()]);
	run.ok();
	assert!(!run.stderr.contains("warning"), "{}", run.stderr);
	let env = |path| read_json(path)["workloads"][0]["data"]["env"].clone();
	assert_eq!(env(&from_file), serde_json::json!({"DB_PASSWORD": "s3cr=t", "TZ": "UTC"}));
	assert_eq!(env(&from_file), env(&on_argv));

	// --env wins over the file.
	let both = dir.path().join("both.json");
	let env_file_text = env_file.to_string_lossy();
	deployment_new(&config, &both, &["--env-file", &env_file_text, "--env", "TZ=Europe/Brussels"])
		.ok();
	assert_eq!(env(&both)["TZ"], "Europe/Brussels");
	assert_eq!(env(&both)["DB_PASSWORD"], "s3cr=t");
}

#[test]
fn a_malformed_env_file_line_is_refused_with_its_file_and_number_and_nothing_is_written() {
	let dir = tempfile::tempdir().expect("temp dir");
	let config = dir.path().join("config");
	let env_file = dir.path().join("bad.env");
	let out = dir.path().join("vm.json");
	let cases = [
		("TZ=UTC\n# a comment\nhunter2\n", "line 3: not NAME=VALUE (no `=`)"),
		("=hunter2\n", "line 1: not NAME=VALUE (no name before `=`)"),
		("\nDB PASSWORD=hunter2\n", "line 2: the name before `=` has a space"),
	];
	for (text, why) in cases {
		std::fs::write(&env_file, text).expect("write");
		let run = deployment_new(&config, &out, &["--env-file", &env_file.to_string_lossy()]);
		run.fails(2, &format!("{}: {why}", env_file.display()));
		assert!(!run.stderr.contains("hunter2"), "the line may be a secret: {}", run.stderr);
		assert!(!out.exists(), "nothing written for {text:?}");
	}
	let missing = dir.path().join("missing.env");
	deployment_new(&config, &out, &["--env-file", &missing.to_string_lossy()])
		.fails(2, &format!("{}: cannot read", missing.display()));
	assert!(!out.exists());
}

#[test]
fn a_deployment_is_priced_as_billing_prices_it_before_it_is_sent() {
	let chain = Chain::grid_with_a_node(2);
	chain.grid("//Charlie", &["twin", "create"]).ok();
	let vm = |key: &str, name: &str| {
		let path = chain.path(&format!("{name}.json")).to_string_lossy().to_string();
		let args = ["--cpu", "1", "--memory", "1G", "--rootfs", "10G", "--disk", "2G"];
		let new = ["deployment", "new", "--name", name, "--image", "alpine", "--public-ip"];
		chain.grid(key, &[&new[..], &args, &["-o", &path]].concat()).ok();
		path
	};
	let file = vm("//Charlie", "priced");

	// SPEC §5 by hand for 1 vCPU, 1 GiB, 12 GiB SSD (10 GiB root file system and a 2 GiB disk)
	// and an IP at genesis prices, 0.05 USD/TFT (the dev genesis price), as the dashboard's
	// e2e test reads it on the page (web/e2e/dashboard.mjs):
	// CU = min(max(1/4, 1/2), max(1/8, 1), max(1/2, 1/4)) = 0.5, SU = 12/200 = 0.06
	// → 0.5 · 305,600 + 0.06 · 194,400 + 69,400 = 152,800 + 11,664 + 69,400 = 233,864 uUSD an hour
	// → 233,864 · 1000 / 50 = 4,677,280 units = 0.467728 TFT an hour undiscounted;
	// 720 hours of it = 336.76416 TFT, which Charlie's 1,000,000 TFT last 2,969 months of: Gold,
	// 40 % paid → 0.1870912 TFT an hour, 720 · 0.1870912 = 134.7056640 TFT a month.
	// No key is needed: the discount is the document's owner twin's.
	let quote = chain.json("", &["contract", "quote", "--node", "1", &file]);
	assert_eq!(quote["capacity"]["cru"], 1, "{quote}");
	assert_eq!(quote["capacity"]["mru"], 1u64 << 30);
	assert_eq!(quote["capacity"]["sru"], 12u64 << 30);
	assert_eq!(quote["capacity"]["hru"], 0);
	assert_eq!(quote["public_ips"], 1);
	assert_eq!(
		(quote["pricing_policy_id"].as_u64(), quote["certified"].as_bool()),
		(Some(1), Some(false))
	);
	assert_eq!(quote["price_musd"], 50);
	assert_eq!(quote["hourly_cost_scaled"], 233_864u64 * 1_000_000_000);
	assert_eq!(quote["hourly_units_undiscounted"], 4_677_280);
	assert_eq!(quote["monthly_units_undiscounted"], 3_367_641_600u64);
	assert_eq!(
		(quote["discount_level"].as_str(), quote["pays_percent"].as_u64()),
		(Some("Gold"), Some(40))
	);
	assert_eq!(quote["hourly_units"], 1_870_912);
	assert_eq!(quote["monthly_units"], 1_347_056_640u64);
	let text = chain.grid("", &["contract", "quote", "--node", "1", &file]);
	let text = &text.ok().stdout;
	assert!(
		text.contains("Capacity:  1 vCPU, 1 GiB memory, 12 GiB SSD, 0 GiB HDD, 1 public IP"),
		"{text}"
	);
	assert!(text.contains("Discount:  Gold (pays 40 %)"), "{text}");
	assert!(text.contains("Per hour:  0.1870912 TFT (0.4677280 TFT undiscounted)"), "{text}");
	assert!(text.contains("Per month: 134.7056640 TFT (336.7641600 TFT undiscounted)"), "{text}");

	// The discount follows the owner's balance: 100 TFT last 0.3 months of 336.76416 TFT: none.
	let poor =
		chain.json("//Poor", &["key", "show"])["address"].as_str().expect("address").to_string();
	chain.grid("//Ferdie", &["transfer", &poor, "100"]).ok();
	chain.grid("//Poor", &["twin", "create"]).ok();
	let poor_file = vm("//Poor", "poor");
	let poor_quote = chain.json("", &["contract", "quote", "--node", "1", &poor_file]);
	assert_eq!(poor_quote["discount_level"], "None", "{poor_quote}");
	assert_eq!(poor_quote["hourly_units"], 4_677_280);

	// Create and deploy say it before they send: on stderr, or as `quote` in their JSON.
	let created = chain.grid("//Charlie", &["contract", "create", "--node", "1", &file]);
	let said = &created.ok().stderr;
	assert!(
		said.contains("Price: 0.1870912 TFT an hour, 134.7056640 TFT a month (720 hours) at 0.05 USD/TFT, Gold discount (0.4677280 TFT an hour undiscounted)"),
		"{said}"
	);
	let second = vm("//Charlie", "second");
	let created = chain.json("//Charlie", &["contract", "create", "--node", "1", &second]);
	assert!(created["contract_id"].as_u64().is_some(), "{created}");
	assert_eq!(created["quote"]["hourly_units"], 1_870_912, "{created}");
	assert_eq!(created["quote"]["discount_level"], "Gold");

	// A node that does not exist has no price.
	chain.grid("", &["contract", "quote", "--node", "9", &file]).fails(1, "node 9 does not exist");
}
