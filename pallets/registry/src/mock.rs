//! A minimal runtime for the registry's tests.

use crate as pallet_registry;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use gridchain_primitives::{NodeId, Resources, UnitPrices};
use sp_runtime::{BuildStorage, DispatchError, Percent};
use std::cell::RefCell;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Registry: pallet_registry,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type MaxConsumers = ConstU32<16>;
}

thread_local! {
	/// Nodes whose contracts the registry asked to end, in order.
	pub static DELETED_NODES: RefCell<Vec<NodeId>> = const { RefCell::new(Vec::new()) };
	/// What `NodeUsage` reports as used on every node.
	pub static USED: RefCell<Resources> = const { RefCell::new(Resources { cru: 0, sru: 0, hru: 0, mru: 0 }) };
}

/// Records deletions so tests can see the contract pallet would be told.
pub struct RecordDeletions;
impl crate::OnNodeDeleted for RecordDeletions {
	fn max_weight() -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(1_000_000, 0)
	}

	fn on_node_deleted(node_id: NodeId) -> Result<frame_support::weights::Weight, DispatchError> {
		DELETED_NODES.with(|d| d.borrow_mut().push(node_id));
		Ok(frame_support::weights::Weight::from_parts(1_000, 0))
	}
}

/// Reports `USED` for every node.
pub struct FixedUsage;
impl crate::NodeUsage for FixedUsage {
	fn used_resources(_node_id: NodeId) -> Resources {
		USED.with(|u| *u.borrow())
	}
}

parameter_types! {
	pub const Foundation: AccountId = 100;
}

impl pallet_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RestrictedOrigin = EnsureRoot<AccountId>;
	type OnNodeDeleted = RecordDeletions;
	type NodeUsage = FixedUsage;
	type WeightInfo = ();
}

pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CHARLIE: AccountId = 3;
pub const DAVE: AccountId = 4;
pub const EVE: AccountId = 5;
pub const FERDIE: AccountId = 6;

pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_registry::GenesisConfig::<Test> {
		pricing_policies: vec![(
			b"policy 1".to_vec(),
			UnitPrices::GENESIS,
			Percent::from_percent(50),
			EVE,
			FERDIE,
		)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		DELETED_NODES.with(|d| d.borrow_mut().clear());
		USED.with(|u| *u.borrow_mut() = Resources::default());
	});
	ext
}

/// Run `test` in a fresh externality, then check the registry's invariants.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		Registry::do_try_state().expect("registry invariants hold");
	});
}
