//! §9.1: the document's JSON form.

use gridchain_deployment::{Deployment, DiskKind, WorkloadData, WorkloadType};
use serde_json::{json, Value};

use crate::common::{example, EXAMPLE};

fn parse_error(json: &str) -> String {
	Deployment::from_json(json.as_bytes()).unwrap_err().to_string()
}

fn example_value() -> Value {
	serde_json::from_str(EXAMPLE).unwrap()
}

/// Every object in the document, by its JSON pointer.
fn object_pointers(value: &Value, pointer: String, out: &mut Vec<String>) {
	match value {
		Value::Object(map) => {
			out.push(pointer.clone());
			for (key, child) in map {
				object_pointers(child, format!("{pointer}/{key}"), out);
			}
		}
		Value::Array(items) => {
			for (i, child) in items.iter().enumerate() {
				object_pointers(child, format!("{pointer}/{i}"), out);
			}
		}
		_ => {}
	}
}

#[test]
fn the_example_parses_and_writes_back_the_same_json() {
	let document = example();
	assert_eq!(serde_json::to_value(&document).unwrap(), example_value());
	let vm = document.workload("web").unwrap();
	let WorkloadData::Vm(data) = &vm.data else { panic!("web is a vm") };
	assert_eq!(data.cpu, 2);
	assert_eq!(data.env.get("TZ").map(String::as_str), Some("UTC"));
	let WorkloadData::Disk(disk) = &document.workload("data").unwrap().data else {
		panic!("data is a disk")
	};
	assert_eq!(disk.kind, DiskKind::Ssd);
	assert_eq!(document.workload("ip4").unwrap().data.kind(), WorkloadType::PublicIp);
}

#[test]
fn a_workload_is_written_with_its_type_next_to_its_data() {
	let written = serde_json::to_string(&example().workloads[2]).unwrap();
	assert_eq!(
		written,
		r#"{"version":0,"name":"ip4","type":"public_ip","description":"","data":{}}"#
	);
}

#[test]
fn every_missing_member_is_refused() {
	let value = example_value();
	let mut objects = Vec::new();
	object_pointers(&value, String::new(), &mut objects);
	let mut checked = 0;
	// `env` is a map of the user's, not a set of members.
	for pointer in objects.into_iter().filter(|p| !p.ends_with("/env")) {
		let keys: Vec<String> =
			value.pointer(&pointer).unwrap().as_object().unwrap().keys().cloned().collect();
		for key in keys {
			let mut edited = value.clone();
			edited.pointer_mut(&pointer).unwrap().as_object_mut().unwrap().remove(&key);
			let result = Deployment::from_json(edited.to_string().as_bytes());
			assert!(result.is_err(), "a document without {pointer}/{key} was accepted");
			checked += 1;
		}
	}
	assert!(checked > 30, "only {checked} members checked");
}

#[test]
fn every_unknown_member_is_refused() {
	let value = example_value();
	let mut objects = Vec::new();
	object_pointers(&value, String::new(), &mut objects);
	for pointer in objects {
		let mut edited = value.clone();
		edited
			.pointer_mut(&pointer)
			.unwrap()
			.as_object_mut()
			.unwrap()
			.insert("extra".into(), json!(1));
		let result = Deployment::from_json(edited.to_string().as_bytes());
		assert!(result.is_err(), "a document with {pointer}/extra was accepted");
	}
}

#[test]
fn an_error_names_the_field() {
	let mut value = example_value();
	value["workloads"][0]["data"]["cpu"] = json!("2");
	let error = Deployment::from_json(value.to_string().as_bytes()).unwrap_err();
	assert_eq!(error.path, "workloads[0].data.cpu");
	assert!(error.to_string().contains("workloads[0].data.cpu"), "{error}");
}

#[test]
fn a_missing_data_member_names_the_workload_and_member() {
	let mut value = example_value();
	value["workloads"][1]["data"].as_object_mut().unwrap().remove("kind");
	let error = Deployment::from_json(value.to_string().as_bytes()).unwrap_err();
	assert_eq!(error.path, "workloads[1]");
	assert!(error.message.contains("`kind`"), "{error}");
}

#[test]
fn a_member_of_another_workload_type_is_refused() {
	let mut value = example_value();
	value["workloads"][1]["data"]["cpu"] = json!(1);
	assert!(parse_error(&value.to_string()).contains("`cpu`"));
	let mut value = example_value();
	value["workloads"][2]["data"] = json!({"size": 1});
	assert!(parse_error(&value.to_string()).contains("`size`"));
}

#[test]
fn an_unknown_workload_type_is_refused() {
	let mut value = example_value();
	value["workloads"][2]["type"] = json!("gpu");
	assert!(parse_error(&value.to_string()).contains("gpu"));
}

#[test]
fn data_may_come_before_type() {
	let json = r#"{"data":{"kind":"hdd","size":1073741824},"description":"","name":"d","type":"disk","version":0}"#;
	let workload: gridchain_deployment::Workload = serde_json::from_str(json).unwrap();
	assert_eq!(workload.data.kind(), WorkloadType::Disk);
}

#[test]
fn an_integer_above_2_pow_53_minus_1_is_refused() {
	let mut value = example_value();
	value["contract_id"] = json!(9_007_199_254_740_991u64);
	assert!(Deployment::from_json(value.to_string().as_bytes()).is_ok());
	value["contract_id"] = json!(9_007_199_254_740_992u64);
	assert!(parse_error(&value.to_string()).contains("2^53"));
	let mut value = example_value();
	value["workloads"][1]["data"]["size"] = json!(u64::MAX);
	assert!(parse_error(&value.to_string()).contains("workloads[1].data.size"));
}

#[test]
fn fractions_negatives_nulls_and_duplicates_are_refused() {
	for (pointer, bad) in [
		("/workloads/0/data/cpu", json!(2.0)),
		("/workloads/0/data/memory", json!(-1)),
		("/version", json!(null)),
		("/workloads/0/data/image", json!(null)),
		("/workloads/1/data/kind", json!("nvme")),
		("/signature_requirement/requests/0/required", json!(1)),
	] {
		let mut value = example_value();
		*value.pointer_mut(pointer).unwrap() = bad.clone();
		let result = Deployment::from_json(value.to_string().as_bytes());
		assert!(result.is_err(), "{pointer} = {bad} was accepted");
	}
	let duplicate = EXAMPLE.replacen("\"version\": 0,", "\"version\": 0, \"version\": 0,", 1);
	assert!(parse_error(&duplicate).contains("duplicate"));
	let duplicate_in_data = EXAMPLE.replacen("\"cpu\": 2,", "\"cpu\": 2, \"cpu\": 2,", 1);
	assert!(parse_error(&duplicate_in_data).contains("duplicate"));
}

#[test]
fn trailing_bytes_are_refused() {
	assert!(Deployment::from_json(format!("{EXAMPLE} {{}}").as_bytes()).is_err());
	assert!(Deployment::from_json(format!("{EXAMPLE}\n").as_bytes()).is_ok());
}
