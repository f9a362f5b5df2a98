-- The grid's history, one schema for SQLite and PostgreSQL: only BIGINT and TEXT columns (flags
-- are 0 or 1: sqlx's Any driver maps no SQLite boolean), natural keys, no engine-specific types.
-- Amounts are TFT units (10^-7 TFT).

-- One row: the last block committed. Written in the same transaction as that block's data.
CREATE TABLE cursor (
	id BIGINT PRIMARY KEY,
	block_number BIGINT NOT NULL,
	block_hash TEXT NOT NULL
);

CREATE TABLE blocks (
	number BIGINT PRIMARY KEY,
	hash TEXT NOT NULL,
	time BIGINT NOT NULL, -- unix seconds
	events BIGINT NOT NULL
);

CREATE TABLE twins (
	id BIGINT PRIMARY KEY,
	account TEXT NOT NULL,
	pk TEXT,
	relay TEXT,
	created_block BIGINT NOT NULL,
	updated_block BIGINT NOT NULL
);
CREATE INDEX twins_account ON twins (account);

CREATE TABLE farms (
	id BIGINT PRIMARY KEY,
	name TEXT NOT NULL,
	twin_id BIGINT NOT NULL,
	pricing_policy_id BIGINT NOT NULL,
	dedicated BIGINT NOT NULL,
	created_block BIGINT NOT NULL
);
CREATE INDEX farms_twin ON farms (twin_id);

CREATE TABLE public_ips (
	farm_id BIGINT NOT NULL,
	ip TEXT NOT NULL,
	gateway TEXT NOT NULL,
	contract_id BIGINT NOT NULL, -- 0: free
	PRIMARY KEY (farm_id, ip)
);
CREATE INDEX public_ips_contract ON public_ips (contract_id);

CREATE TABLE nodes (
	id BIGINT PRIMARY KEY,
	farm_id BIGINT NOT NULL,
	twin_id BIGINT NOT NULL,
	cru BIGINT NOT NULL,
	sru BIGINT NOT NULL,
	hru BIGINT NOT NULL,
	mru BIGINT NOT NULL,
	-- What the latest reports of its live contracts say they use.
	used_cru BIGINT NOT NULL,
	used_sru BIGINT NOT NULL,
	used_hru BIGINT NOT NULL,
	used_mru BIGINT NOT NULL,
	country TEXT NOT NULL,
	city TEXT NOT NULL,
	latitude TEXT NOT NULL,
	longitude TEXT NOT NULL,
	certified BIGINT NOT NULL,
	deleted BIGINT NOT NULL,
	created_block BIGINT NOT NULL,
	updated_block BIGINT NOT NULL
);
CREATE INDEX nodes_farm ON nodes (farm_id);
CREATE INDEX nodes_country ON nodes (country);

CREATE TABLE contracts (
	id BIGINT PRIMARY KEY,
	twin_id BIGINT NOT NULL,
	kind TEXT NOT NULL, -- node | name | rent
	node_id BIGINT, -- node and rent contracts
	name TEXT, -- name contracts
	deployment_hash TEXT,
	version BIGINT NOT NULL,
	state TEXT NOT NULL, -- created | deployed | grace_period | deleted
	state_before_grace TEXT,
	cause TEXT, -- why it was deleted
	unpaid BIGINT,
	deposit BIGINT NOT NULL,
	public_ips BIGINT NOT NULL,
	used_cru BIGINT NOT NULL,
	used_sru BIGINT NOT NULL,
	used_hru BIGINT NOT NULL,
	used_mru BIGINT NOT NULL,
	billed BIGINT NOT NULL, -- sum of its bills
	created_block BIGINT NOT NULL,
	created_time BIGINT NOT NULL,
	updated_block BIGINT NOT NULL
);
CREATE INDEX contracts_twin ON contracts (twin_id);
CREATE INDEX contracts_node ON contracts (node_id);
CREATE INDEX contracts_state ON contracts (state);

-- Every state change of a contract.
CREATE TABLE contract_events (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	contract_id BIGINT NOT NULL,
	kind TEXT NOT NULL, -- created | updated | deployed | grace_started | grace_ended | canceled
	state TEXT NOT NULL, -- the state after it
	detail TEXT NOT NULL,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);
CREATE INDEX contract_events_contract ON contract_events (contract_id);

CREATE TABLE bills (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	contract_id BIGINT NOT NULL,
	twin_id BIGINT NOT NULL,
	node_id BIGINT,
	amount BIGINT NOT NULL,
	discount_level TEXT NOT NULL,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);
CREATE INDEX bills_contract ON bills (contract_id, block_number);
CREATE INDEX bills_twin ON bills (twin_id, block_number);
CREATE INDEX bills_node ON bills (node_id, block_number);

CREATE TABLE reports (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	contract_id BIGINT NOT NULL,
	node_id BIGINT,
	accepted BIGINT NOT NULL,
	reason TEXT, -- why a rejected one was rejected
	timestamp BIGINT, -- when the node measured, unix seconds
	window_secs BIGINT,
	cost_scaled_uusd TEXT, -- uUSD x 10^9, decimal
	cru BIGINT,
	sru BIGINT,
	hru BIGINT,
	mru BIGINT,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);
CREATE INDEX reports_contract ON reports (contract_id, block_number);

CREATE TABLE grace_periods (
	contract_id BIGINT NOT NULL,
	started_block BIGINT NOT NULL,
	debt BIGINT NOT NULL,
	ended_block BIGINT,
	ended_by TEXT, -- paid | canceled
	PRIMARY KEY (contract_id, started_block)
);

CREATE TABLE burns (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	amount BIGINT NOT NULL,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);

CREATE TABLE prices (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	kind TEXT NOT NULL, -- price | average
	price_musd BIGINT NOT NULL,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);

CREATE TABLE transfers (
	block_number BIGINT NOT NULL,
	event_index BIGINT NOT NULL,
	from_account TEXT NOT NULL,
	to_account TEXT NOT NULL,
	amount BIGINT NOT NULL,
	time BIGINT NOT NULL,
	PRIMARY KEY (block_number, event_index)
);
CREATE INDEX transfers_from ON transfers (from_account);
CREATE INDEX transfers_to ON transfers (to_account);
