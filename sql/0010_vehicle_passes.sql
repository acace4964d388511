-- One-code vehicle passes (一码通, issue 4 item 3) and the passages recorded
-- at checkpoints. A pass is registered in advance by the driver (public page)
-- or by staff; its occupants' ID numbers and phones are sealed at rest with a
-- blind index for look-ups. See docs/internals/passes.md.

CREATE TABLE vehicle_passes (
    id FK_ID_PK,
    plate TEXT NOT NULL,
    vehicle_type TEXT NOT NULL,          -- car, truck, bus, van, motorcycle, other
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,                 -- active, revoked
    source TEXT NOT NULL,                -- staff, public
    created_by BIGINT REFERENCES users(id), -- NULL when the driver registered
    created_region TEXT,                 -- the creator's region: who sees the pass
    code TEXT,                           -- the signed QR code (FKV:...)
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX vehicle_passes_plate ON vehicle_passes(plate, id);
CREATE INDEX vehicle_passes_region ON vehicle_passes(created_region, id);

-- Seat 0 is the driver, 1.. the passengers.
CREATE TABLE pass_occupants (
    id FK_ID_PK,
    pass_id BIGINT NOT NULL REFERENCES vehicle_passes(id),
    seat INTEGER NOT NULL,
    name TEXT NOT NULL,
    id_sealed TEXT NOT NULL,
    id_blind TEXT NOT NULL,
    phone_sealed TEXT,
    phone_blind TEXT,
    person_id BIGINT REFERENCES persons(id), -- the registry's person when known
    UNIQUE (pass_id, seat)
);
CREATE INDEX pass_occupants_blind ON pass_occupants(id_blind);

-- A vehicle passing a checkpoint: `region` is the checkpoint's (who sees the
-- log); one row per (scanner, idempotency key).
CREATE TABLE passages (
    id FK_ID_PK,
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints(id),
    region TEXT NOT NULL,
    pass_id BIGINT NOT NULL REFERENCES vehicle_passes(id),
    scanned_at BIGINT NOT NULL,
    decision TEXT NOT NULL,              -- pass, test_here, turn_back, refer_quarantine
    fever INTEGER NOT NULL,              -- 1 when an occupant was at or above the threshold
    occupants_count INTEGER NOT NULL,
    temperatures TEXT NOT NULL,          -- JSON [{"seat","celsius"}]
    note TEXT,
    scanned_by BIGINT NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (scanned_by, idempotency_key)
);
CREATE INDEX passages_checkpoint ON passages(checkpoint_id, scanned_at);
CREATE INDEX passages_region ON passages(region, scanned_at);
CREATE INDEX passages_pass ON passages(pass_id);

-- Counters of the public registration per client address and per plate
-- (hashed), shared by all app servers.
CREATE TABLE vehicle_pass_rate_limits (
    kind TEXT NOT NULL,                  -- "ip", "plate"
    key_hash TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (kind, key_hash, window_start)
);
CREATE INDEX vehicle_pass_rate_limits_window ON vehicle_pass_rate_limits(window_start);
