-- SPEC §4.5: a node contract declares its capacity on chain, and a node's free capacity is its
-- resources minus what its live node contracts declared (not what they report using).

ALTER TABLE contracts ADD COLUMN capacity_cru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN capacity_sru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN capacity_hru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contracts ADD COLUMN capacity_mru BIGINT NOT NULL DEFAULT 0;

-- The sum of the declared capacity of its live node contracts.
ALTER TABLE nodes ADD COLUMN declared_cru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN declared_sru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN declared_hru BIGINT NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN declared_mru BIGINT NOT NULL DEFAULT 0;

-- Contracts indexed before the chain declared capacity: the chain's storage migration (v4) gave
-- each the resources of its latest report, or zero; so does this one.
UPDATE contracts SET capacity_cru = used_cru, capacity_sru = used_sru, capacity_hru = used_hru, capacity_mru = used_mru
	WHERE kind = 'node';
UPDATE nodes SET
	declared_cru = (SELECT COALESCE(SUM(c.capacity_cru), 0) FROM contracts c WHERE c.node_id = nodes.id AND c.kind = 'node' AND c.state <> 'deleted'),
	declared_sru = (SELECT COALESCE(SUM(c.capacity_sru), 0) FROM contracts c WHERE c.node_id = nodes.id AND c.kind = 'node' AND c.state <> 'deleted'),
	declared_hru = (SELECT COALESCE(SUM(c.capacity_hru), 0) FROM contracts c WHERE c.node_id = nodes.id AND c.kind = 'node' AND c.state <> 'deleted'),
	declared_mru = (SELECT COALESCE(SUM(c.capacity_mru), 0) FROM contracts c WHERE c.node_id = nodes.id AND c.kind = 'node' AND c.state <> 'deleted');
