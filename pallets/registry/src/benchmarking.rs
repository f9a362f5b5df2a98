//! Benchmarks of the registry's calls, each at its worst case.

use super::*;
use crate::Pallet as Registry;
use alloc::{format, vec, vec::Vec};
use frame_benchmarking::v2::*;
use frame_support::traits::EnsureOrigin;
use frame_system::RawOrigin;
use gridchain_primitives::{Resources, GIB};
use sp_runtime::Percent;

fn twin<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	assert!(
		Registry::<T>::do_create_twin(who.clone(), Some([1; 32]), Some(vec![b'r'; 256])).is_ok()
	);
	who
}

fn location() -> LocationInput {
	let field = vec![b'x'; MAX_LOCATION_FIELD_LEN as usize];
	Location {
		country: field.clone(),
		city: field.clone(),
		latitude: field.clone(),
		longitude: field,
	}
}

fn resources() -> Resources {
	Resources { cru: 64, mru: 256 * GIB, sru: 4000 * GIB, hru: 10000 * GIB }
}

/// A farm owned by `owner` with `ips` public IPs.
fn farm<T: Config>(owner: &T::AccountId, ips: u32) -> u32 {
	assert!(Registry::<T>::do_create_farm(owner.clone(), vec![b'f'; MAX_FARM_NAME_LEN as usize])
		.is_ok());
	let farm_id = FarmCount::<T>::get();
	for i in 0..ips {
		let (ip, gw) = farm_ip(i);
		assert!(Registry::<T>::do_add_farm_ip(owner.clone(), farm_id, ip, gw).is_ok());
	}
	farm_id
}

fn farm_ip(i: u32) -> (Vec<u8>, Vec<u8>) {
	let (b, c) = (100 + i / 250, i % 250);
	(format!("185.{b}.{c}.10/24").into_bytes(), format!("185.{b}.{c}.1").into_bytes())
}

fn policy_args<T: Config>() -> (Vec<u8>, T::AccountId, T::AccountId) {
	(vec![b'p'; MAX_POLICY_NAME_LEN as usize], account("foundation", 0, 0), account("sales", 0, 0))
}

#[benchmarks]
mod benchmarks {
	use super::*;

	#[benchmark]
	fn create_twin() {
		let caller: T::AccountId = whitelisted_caller();
		#[extrinsic_call]
		_(
			RawOrigin::Signed(caller.clone()),
			Some([1; 32]),
			Some(vec![b'r'; MAX_RELAY_LEN as usize]),
		);
		assert!(TwinIdByAccount::<T>::contains_key(&caller));
	}

	#[benchmark]
	fn update_twin() {
		let caller = twin::<T>("owner", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), Some([2; 32]), Some(vec![b's'; MAX_RELAY_LEN as usize]));
		assert_eq!(Twins::<T>::get(1).and_then(|t| t.pk), Some([2; 32]));
	}

	#[benchmark]
	fn create_farm() {
		let caller = twin::<T>("owner", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), vec![b'f'; MAX_FARM_NAME_LEN as usize]);
		assert!(Farms::<T>::contains_key(1));
	}

	#[benchmark]
	fn add_farm_ip() {
		let caller = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&caller, MAX_FARM_IPS - 1);
		let (ip, gw) = farm_ip(MAX_FARM_IPS - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), farm_id, ip, gw);
		assert_eq!(
			Farms::<T>::get(farm_id).map(|f| f.public_ips.len()),
			Some(MAX_FARM_IPS as usize)
		);
	}

	#[benchmark]
	fn remove_farm_ip() {
		let caller = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&caller, MAX_FARM_IPS);
		let (ip, _) = farm_ip(MAX_FARM_IPS - 1);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), farm_id, ip);
		assert_eq!(
			Farms::<T>::get(farm_id).map(|f| f.public_ips.len()),
			Some(MAX_FARM_IPS as usize - 1)
		);
	}

	#[benchmark]
	fn create_node() {
		let owner = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&owner, 0);
		let caller = twin::<T>("node", 0);
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), farm_id, resources(), location());
		assert!(Nodes::<T>::contains_key(1));
	}

	#[benchmark]
	fn update_node() {
		let owner = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&owner, 0);
		let caller = twin::<T>("node", 0);
		assert!(
			Registry::<T>::do_create_node(caller.clone(), farm_id, resources(), location()).is_ok()
		);
		let bigger = Resources { cru: 128, ..resources() };
		#[extrinsic_call]
		_(RawOrigin::Signed(caller), 1, bigger, location());
		assert_eq!(Nodes::<T>::get(1).map(|n| n.resources), Some(bigger));
	}

	#[benchmark]
	fn delete_node() {
		let owner = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&owner, 0);
		let node = twin::<T>("node", 0);
		assert!(Registry::<T>::do_create_node(node, farm_id, resources(), location()).is_ok());
		// The farm owner deletes it: the longer permission check.
		#[extrinsic_call]
		_(RawOrigin::Signed(owner), 1);
		assert!(!Nodes::<T>::contains_key(1));
	}

	#[benchmark]
	fn set_node_certification() -> Result<(), BenchmarkError> {
		let owner = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&owner, 0);
		let node = twin::<T>("node", 0);
		assert!(Registry::<T>::do_create_node(node, farm_id, resources(), location()).is_ok());
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 1, NodeCertification::Certified);
		assert_eq!(Nodes::<T>::get(1).map(|n| n.certification), Some(NodeCertification::Certified));
		Ok(())
	}

	#[benchmark]
	fn set_farm_dedicated() -> Result<(), BenchmarkError> {
		let owner = twin::<T>("owner", 0);
		let farm_id = farm::<T>(&owner, 0);
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, farm_id, true);
		assert_eq!(Farms::<T>::get(farm_id).map(|f| f.dedicated), Some(true));
		Ok(())
	}

	#[benchmark]
	fn create_pricing_policy() -> Result<(), BenchmarkError> {
		let (name, foundation, sales) = policy_args::<T>();
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let before = PricingPolicyCount::<T>::get();
		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			name,
			1,
			2,
			3,
			4,
			5,
			Percent::from_percent(50),
			foundation,
			sales,
		);
		assert_eq!(PricingPolicyCount::<T>::get(), before + 1);
		Ok(())
	}

	#[benchmark]
	fn update_pricing_policy() -> Result<(), BenchmarkError> {
		let (name, foundation, sales) = policy_args::<T>();
		let terms = PolicyTerms {
			prices: Default::default(),
			discount_for_dedicated_nodes: Percent::zero(),
			foundation_account: foundation.clone(),
			sales_account: sales.clone(),
		};
		let id = Registry::<T>::do_create_pricing_policy(name.clone(), terms)
			.map_err(|_| BenchmarkError::Weightless)?;
		let origin =
			T::RestrictedOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		#[extrinsic_call]
		_(
			origin as T::RuntimeOrigin,
			id,
			name,
			9,
			9,
			9,
			9,
			9,
			Percent::from_percent(10),
			foundation,
			sales,
		);
		assert_eq!(PricingPolicies::<T>::get(id).map(|p| p.cu), Some(9));
		Ok(())
	}

	impl_benchmark_test_suite!(Registry, crate::mock::new_test_ext(), crate::mock::Test);
}
