//! A runtime with Balances, Registry and SmartContract for the contract tests.

use crate as pallet_smart_contract;
use frame_support::{derive_impl, parameter_types, traits::ConstU128};
use frame_system::EnsureRoot;
use gridchain_primitives::{Resources, UnitPrices, GIB, UNITS_PER_TFT};
use pallet_registry::Location;
use sp_runtime::{BuildStorage, Percent};

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;
pub type Balance = u128;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		Balances: pallet_balances,
		Timestamp: pallet_timestamp,
		Registry: pallet_registry,
		TftPrice: pallet_tft_price,
		SmartContract: pallet_smart_contract,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
	type AccountData = pallet_balances::AccountData<Balance>;
}

pub const ED: Balance = UNITS_PER_TFT / 100;

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type Balance = Balance;
	type ExistentialDeposit = ConstU128<ED>;
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

impl pallet_registry::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RestrictedOrigin = EnsureRoot<AccountId>;
	type OnNodeDeleted = SmartContract;
	type NodeUsage = SmartContract;
	type WeightInfo = ();
}

impl pallet_timestamp::Config for Test {
	type Moment = u64;
	type OnTimestampSet = ();
	type MinimumPeriod = frame_support::traits::ConstU64<1>;
	type WeightInfo = ();
}

impl pallet_tft_price::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RestrictedOrigin = EnsureRoot<AccountId>;
	type MaxOracles = frame_support::traits::ConstU32<3>;
	type WeightInfo = ();
}

parameter_types! {
	pub const DepositBase: Balance = UNITS_PER_TFT;
	pub const DepositPerByte: Balance = UNITS_PER_TFT / 1000;
	pub const StakingPool: AccountId = STAKING_POOL;
	pub SettlementLimit: frame_support::weights::Weight = frame_support::weights::Weight::from_parts(u64::MAX / 4, u64::MAX / 4);
}

impl pallet_smart_contract::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Currency = Balances;
	type Registry = Registry;
	type TftPrice = TftPrice;
	type Time = Timestamp;
	type RestrictedOrigin = EnsureRoot<AccountId>;
	type StakingPoolAccount = StakingPool;
	type SettlementWeightLimit = SettlementLimit;
	type DepositBase = DepositBase;
	type DepositPerByte = DepositPerByte;
	type MaxContractsPerNode = frame_support::traits::ConstU32<{ crate::MAX_CONTRACTS_PER_NODE }>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type GridSetup = Registry;
}

/// Farmer: owns farm 1.
pub const FARMER: AccountId = 1;
/// The twin of node 1.
pub const NODE1: AccountId = 2;
/// The twin of node 2.
pub const NODE2: AccountId = 3;
/// A user.
pub const USER: AccountId = 4;
/// Another user.
pub const OTHER: AccountId = 5;
/// A user with too little TFT for a deposit.
pub const POOR: AccountId = 6;
/// Pricing policy 1's foundation account.
pub const FOUNDATION: AccountId = 90;
/// Pricing policy 1's sales account.
pub const SALES: AccountId = 91;
/// The staking pool.
pub const STAKING_POOL: AccountId = 92;
/// Blocks between settlements in the tests.
pub const BILLING_FREQUENCY: u64 = 10;
/// Blocks of grace in the tests.
pub const GRACE_PERIOD: u64 = 100;
/// Chain time at block 1, ms.
pub const GENESIS_MS: u64 = 1_700_000_000_000;

pub const TFT: Balance = UNITS_PER_TFT;

pub fn node_resources() -> Resources {
	Resources { cru: 8, mru: 32 * GIB, sru: 1000 * GIB, hru: 0 }
}

/// Twins for everyone, farm 1 with three public IPs, nodes 1 and 2 on it.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![
			(FARMER, 1000 * TFT),
			(NODE1, 1000 * TFT),
			(NODE2, 1000 * TFT),
			(USER, 1000 * TFT),
			(OTHER, 1000 * TFT),
			(POOR, TFT / 2),
			(FOUNDATION, TFT),
			(SALES, TFT),
			(STAKING_POOL, TFT),
		],
		..Default::default()
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_registry::GenesisConfig::<Test> {
		pricing_policies: vec![(
			b"p1".to_vec(),
			UnitPrices::GENESIS,
			Percent::from_percent(50),
			FOUNDATION,
			SALES,
		)],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_tft_price::GenesisConfig::<Test> {
		price_musd: 50,
		min_price_musd: 10,
		max_price_musd: 1000,
		oracles: vec![FARMER],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	pallet_smart_contract::GenesisConfig::<Test> {
		billing_frequency: BILLING_FREQUENCY,
		grace_period_blocks: GRACE_PERIOD,
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| {
		System::set_block_number(1);
		Timestamp::set_timestamp(GENESIS_MS);
		for who in [FARMER, NODE1, NODE2, USER, OTHER, POOR] {
			Registry::create_twin(RuntimeOrigin::signed(who), None, None).unwrap();
		}
		Registry::create_farm(RuntimeOrigin::signed(FARMER), b"farm1".to_vec()).unwrap();
		for i in 1..=3 {
			Registry::add_farm_ip(
				RuntimeOrigin::signed(FARMER),
				1,
				format!("185.206.122.{}/24", 10 + i).into_bytes(),
				b"185.206.122.1".to_vec(),
			)
			.unwrap();
		}
		for who in [NODE1, NODE2] {
			let location = Location {
				country: b"BE".to_vec(),
				city: b"Ghent".to_vec(),
				latitude: b"51".to_vec(),
				longitude: b"3".to_vec(),
			};
			Registry::create_node(RuntimeOrigin::signed(who), 1, node_resources(), location)
				.unwrap();
		}
		System::reset_events();
	});
	ext
}

/// Run `test` in a fresh externality, then check every invariant.
pub fn run_test(test: impl FnOnce()) {
	new_test_ext().execute_with(|| {
		test();
		SmartContract::do_try_state().expect("contract invariants hold");
		Registry::do_try_state().expect("registry invariants hold");
	});
}
