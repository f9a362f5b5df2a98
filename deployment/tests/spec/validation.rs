//! §9.1 and §9.4: one test per validation rule, and the version rules of an update.

use gridchain_deployment::{
	Deployment, RequirementError, UpdateError, ValidationError, WorkloadType,
};
use serde_json::{json, Value};

use crate::common::{edited, example, with_requirement};

fn invalid(edit: impl FnOnce(&mut Value)) -> ValidationError {
	edited(&example(), edit).validate().unwrap_err()
}

fn vm(name: &str, public_ip: &str, mounts: Value) -> Value {
	json!({"version": 0, "name": name, "type": "vm", "description": "", "data": {
		"image": "i", "cpu": 1, "memory": 268435456u64, "rootfs_size": 1073741824u64,
		"entrypoint": "", "env": {}, "ssh_keys": [], "public_ip": public_ip, "mounts": mounts}})
}

fn push_workload(value: &mut Value, workload: Value) {
	value["workloads"].as_array_mut().unwrap().push(workload);
}

#[test]
fn the_example_is_valid() {
	example().validate().unwrap();
}

#[test]
fn a_document_without_workloads_is_invalid() {
	assert_eq!(invalid(|v| v["workloads"] = json!([])), ValidationError::NoWorkloads);
}

#[test]
fn a_workload_name_is_1_to_36_of_a_z_0_9_and_underscore() {
	for bad in ["", "Web", "web-1", "web server", "é", &"a".repeat(37)] {
		let error = invalid(|v| {
			v["workloads"][2]["name"] = json!(bad);
			v["workloads"][0]["data"]["public_ip"] = json!(bad);
		});
		assert_eq!(error, ValidationError::BadWorkloadName { name: bad.into() });
	}
	let ok = edited(&example(), |v| {
		v["workloads"][2]["name"] = json!("a_0".repeat(12));
		v["workloads"][0]["data"]["public_ip"] = json!("a_0".repeat(12));
	});
	ok.validate().unwrap();
}

#[test]
fn workload_names_are_unique() {
	let error = invalid(|v| v["workloads"][2]["name"] = json!("data"));
	assert_eq!(error, ValidationError::DuplicateWorkloadName { name: "data".into() });
}

#[test]
fn a_workload_version_is_at_most_the_documents() {
	let error = invalid(|v| v["workloads"][1]["version"] = json!(1));
	assert_eq!(
		error,
		ValidationError::WorkloadVersionAboveDocument {
			name: "data".into(),
			version: 1,
			document_version: 0
		}
	);
	edited(&example(), |v| {
		v["version"] = json!(2);
		v["workloads"][1]["version"] = json!(2);
	})
	.validate()
	.unwrap();
}

#[test]
fn a_vm_has_1_to_64_cpus() {
	for cpu in [0, 65] {
		let error = invalid(|v| v["workloads"][0]["data"]["cpu"] = json!(cpu));
		assert_eq!(error, ValidationError::CpuOutOfRange { name: "web".into(), cpu });
		assert!(error.to_string().contains("workload `web`: data.cpu"), "{error}");
	}
	edited(&example(), |v| v["workloads"][0]["data"]["cpu"] = json!(64)).validate().unwrap();
}

#[test]
fn a_vm_has_at_least_256_mib_of_memory() {
	let error = invalid(|v| v["workloads"][0]["data"]["memory"] = json!((256u64 << 20) - 1));
	assert_eq!(
		error,
		ValidationError::MemoryTooSmall { name: "web".into(), memory: (256 << 20) - 1 }
	);
	edited(&example(), |v| v["workloads"][0]["data"]["memory"] = json!(256u64 << 20))
		.validate()
		.unwrap();
}

#[test]
fn a_vm_has_at_least_1_gib_of_rootfs() {
	let error = invalid(|v| v["workloads"][0]["data"]["rootfs_size"] = json!((1u64 << 30) - 1));
	assert_eq!(
		error,
		ValidationError::RootfsTooSmall { name: "web".into(), rootfs_size: (1 << 30) - 1 }
	);
}

#[test]
fn a_disk_has_at_least_1_gib() {
	let error = invalid(|v| v["workloads"][1]["data"]["size"] = json!(0));
	assert_eq!(error, ValidationError::DiskTooSmall { name: "data".into(), size: 0 });
	assert!(error.to_string().contains("workload `data`: data.size"), "{error}");
}

#[test]
fn a_vm_public_ip_names_a_workload() {
	let error = invalid(|v| v["workloads"][0]["data"]["public_ip"] = json!("ip6"));
	assert_eq!(
		error,
		ValidationError::PublicIpMissing { name: "web".into(), public_ip: "ip6".into() }
	);
}

#[test]
fn a_vm_public_ip_names_a_public_ip_workload() {
	let error = invalid(|v| v["workloads"][0]["data"]["public_ip"] = json!("data"));
	assert_eq!(
		error,
		ValidationError::PublicIpNotPublicIp {
			name: "web".into(),
			public_ip: "data".into(),
			kind: WorkloadType::Disk
		}
	);
}

#[test]
fn a_public_ip_is_used_by_at_most_one_vm() {
	let error = invalid(|v| push_workload(v, vm("web2", "ip4", json!([]))));
	assert_eq!(
		error,
		ValidationError::PublicIpUsedTwice {
			name: "web2".into(),
			public_ip: "ip4".into(),
			other: "web".into()
		}
	);
	edited(&example(), |v| push_workload(v, vm("web2", "", json!([])))).validate().unwrap();
}

#[test]
fn a_mount_names_a_workload() {
	let error = invalid(|v| v["workloads"][0]["data"]["mounts"][0]["disk"] = json!("logs"));
	assert_eq!(
		error,
		ValidationError::MountDiskMissing { name: "web".into(), disk: "logs".into() }
	);
}

#[test]
fn a_mount_names_a_disk_workload() {
	let error = invalid(|v| v["workloads"][0]["data"]["mounts"][0]["disk"] = json!("ip4"));
	assert_eq!(
		error,
		ValidationError::MountNotDisk {
			name: "web".into(),
			disk: "ip4".into(),
			kind: WorkloadType::PublicIp
		}
	);
}

#[test]
fn a_disk_is_mounted_at_most_once() {
	let error = invalid(|v| {
		push_workload(v, vm("web2", "", json!([{"disk": "data", "mount_point": "/d"}])))
	});
	assert_eq!(
		error,
		ValidationError::DiskMountedTwice {
			name: "web2".into(),
			disk: "data".into(),
			other: "web".into()
		}
	);
	let error = invalid(|v| {
		v["workloads"][0]["data"]["mounts"]
			.as_array_mut()
			.unwrap()
			.push(json!({"disk": "data", "mount_point": "/again"}))
	});
	assert!(matches!(error, ValidationError::DiskMountedTwice { .. }), "{error}");
}

#[test]
fn an_integer_above_2_pow_53_minus_1_is_invalid() {
	let mut document = example();
	document.contract_id = 1 << 53;
	assert_eq!(
		document.validate().unwrap_err(),
		ValidationError::IntegerTooLarge { field: "contract_id".into(), value: 1 << 53 }
	);
	let mut document = example();
	if let gridchain_deployment::WorkloadData::Vm(vm) = &mut document.workloads[0].data {
		vm.memory = u64::MAX;
	}
	let error = document.validate().unwrap_err();
	assert_eq!(
		error,
		ValidationError::IntegerTooLarge {
			field: "workload `web`: data.memory".into(),
			value: u64::MAX
		}
	);
}

#[test]
fn a_requirement_has_requests() {
	let error = with_requirement(json!({"requests": [], "weight_required": 1, "signatures": []}))
		.validate()
		.unwrap_err();
	assert_eq!(error, ValidationError::Requirement(RequirementError::NoRequests));
}

#[test]
fn a_requirement_names_each_twin_once() {
	let error = with_requirement(json!({"requests": [
		{"twin_id": 3, "weight": 1, "required": true},
		{"twin_id": 3, "weight": 1, "required": false}], "weight_required": 1, "signatures": []}))
	.validate()
	.unwrap_err();
	assert_eq!(
		error,
		ValidationError::Requirement(RequirementError::TwinRequestedTwice { twin_id: 3 })
	);
}

#[test]
fn a_requirement_asks_for_at_least_weight_1() {
	let error =
		with_requirement(json!({"requests": [{"twin_id": 3, "weight": 1, "required": true}],
		"weight_required": 0, "signatures": []}))
		.validate()
		.unwrap_err();
	assert_eq!(error, ValidationError::Requirement(RequirementError::WeightRequiredZero));
}

#[test]
fn a_requirement_asks_for_at_most_the_total_weight() {
	let error = with_requirement(json!({"requests": [
		{"twin_id": 3, "weight": 2, "required": false},
		{"twin_id": 4, "weight": 3, "required": false}], "weight_required": 6, "signatures": []}))
	.validate()
	.unwrap_err();
	assert_eq!(
		error,
		ValidationError::Requirement(RequirementError::WeightRequiredAboveTotal {
			weight_required: 6,
			total: 5
		})
	);
	let big = with_requirement(json!({"requests": [
		{"twin_id": 3, "weight": u32::MAX, "required": false},
		{"twin_id": 4, "weight": u32::MAX, "required": false}], "weight_required": u32::MAX, "signatures": []}));
	big.validate().unwrap();
}

/// The example bumped to version 1 with the disk grown.
fn grown_disk() -> Deployment {
	edited(&example(), |v| {
		v["version"] = json!(1);
		v["workloads"][1]["version"] = json!(1);
		v["workloads"][1]["data"]["size"] = json!(100u64 << 30);
	})
}

#[test]
fn an_update_bumps_the_version_by_one_and_marks_what_changed() {
	Deployment::validate_update(&example(), &grown_disk()).unwrap();
}

#[test]
fn an_update_that_does_not_bump_the_version_by_one_is_refused() {
	for version in [0, 2] {
		let new = edited(&grown_disk(), |v| v["version"] = json!(version));
		assert_eq!(
			Deployment::validate_update(&example(), &new).unwrap_err(),
			UpdateError::VersionNotNext { old: 0, new: version }
		);
	}
	let mut old = example();
	old.version = u32::MAX;
	let mut new = example();
	new.version = 0;
	assert!(Deployment::validate_update(&old, &new).is_err());
}

#[test]
fn a_changed_workload_carries_the_new_version() {
	let new = edited(&grown_disk(), |v| v["workloads"][1]["version"] = json!(0));
	assert_eq!(
		Deployment::validate_update(&example(), &new).unwrap_err(),
		UpdateError::ChangedWorkloadVersion { name: "data".into(), version: 0, expected: 1 }
	);
	let described = edited(&grown_disk(), |v| v["workloads"][2]["description"] = json!("v4"));
	assert_eq!(
		Deployment::validate_update(&example(), &described).unwrap_err(),
		UpdateError::ChangedWorkloadVersion { name: "ip4".into(), version: 0, expected: 1 }
	);
}

#[test]
fn an_added_workload_carries_the_new_version() {
	let added = |version: u32| {
		edited(&grown_disk(), |v| {
			push_workload(
				v,
				json!({"version": version, "name": "logs", "type": "disk",
				"description": "", "data": {"size": 1073741824u64, "kind": "hdd"}}),
			)
		})
	};
	Deployment::validate_update(&example(), &added(1)).unwrap();
	assert_eq!(
		Deployment::validate_update(&example(), &added(0)).unwrap_err(),
		UpdateError::ChangedWorkloadVersion { name: "logs".into(), version: 0, expected: 1 }
	);
}

#[test]
fn an_unchanged_workload_keeps_its_version() {
	let new = edited(&grown_disk(), |v| v["workloads"][2]["version"] = json!(1));
	assert_eq!(
		Deployment::validate_update(&example(), &new).unwrap_err(),
		UpdateError::UnchangedWorkloadVersion { name: "ip4".into(), version: 1, expected: 0 }
	);
}

#[test]
fn an_update_may_remove_workloads() {
	let new = edited(&grown_disk(), |v| {
		v["workloads"].as_array_mut().unwrap().remove(2);
		v["workloads"][0]["version"] = json!(1);
		v["workloads"][0]["data"]["public_ip"] = json!("");
	});
	Deployment::validate_update(&example(), &new).unwrap();
	new.validate().unwrap();
}

#[test]
fn an_update_keeps_the_owner_and_the_contract() {
	let new = edited(&grown_disk(), |v| v["twin_id"] = json!(4));
	assert_eq!(
		Deployment::validate_update(&example(), &new).unwrap_err(),
		UpdateError::TwinChanged { old: 3, new: 4 }
	);
	let new = edited(&grown_disk(), |v| v["contract_id"] = json!(9));
	assert_eq!(
		Deployment::validate_update(&example(), &new).unwrap_err(),
		UpdateError::ContractChanged { old: 0, new: 9 }
	);
}
