-- Green exits decided inside the scan's write (issue 9 item 1): the rule reads
-- the allowed exits of the card's household within 48 h either side of
-- scanned_at, so exits are also found by card. A scan queued offline by the
-- gate phone (which let the person through on the signature alone) and refused
-- at sync is stored for review: `review` = 1 until the grid worker handles it.
ALTER TABLE gate_scans ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
ALTER TABLE gate_scans ADD COLUMN review INTEGER NOT NULL DEFAULT 0;
CREATE INDEX gate_scans_card_exits ON gate_scans(card_id, direction, allowed, scanned_at);
CREATE INDEX cards_household ON cards(household_id);
