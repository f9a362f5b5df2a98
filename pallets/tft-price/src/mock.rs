//! A minimal runtime for the price pallet's tests.

use crate as pallet_tft_price;
use frame_support::{derive_impl, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;
pub type AccountId = u64;

frame_support::construct_runtime!(
	pub enum Test {
		System: frame_system,
		TftPrice: pallet_tft_price,
	}
);

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountId = AccountId;
	type Lookup = sp_runtime::traits::IdentityLookup<AccountId>;
}

impl pallet_tft_price::Config for Test {
	type RuntimeEvent = RuntimeEvent;
	type RestrictedOrigin = EnsureRoot<AccountId>;
	type MaxOracles = ConstU32<3>;
	type WeightInfo = ();
}

pub const ORACLE: AccountId = 1;
pub const STRANGER: AccountId = 2;

/// Genesis as on the dev chain: 50 mUSD within 10..1000, one oracle.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let mut storage = frame_system::GenesisConfig::<Test>::default().build_storage().unwrap();
	pallet_tft_price::GenesisConfig::<Test> {
		price_musd: 50,
		min_price_musd: 10,
		max_price_musd: 1000,
		oracles: vec![ORACLE],
	}
	.assimilate_storage(&mut storage)
	.unwrap();
	let mut ext = sp_io::TestExternalities::new(storage);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
