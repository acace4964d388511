-- Venues (场所) and their place codes (场所码), and check-ins (扫码登记):
-- who was where and when, with the colour of their health code at the time
-- (issue 5 items 1 and 3). See docs/internals/venues.md.

CREATE TABLE venues (
    id FK_ID_PK,
    name TEXT NOT NULL,
    category TEXT NOT NULL,              -- gate, village, government, ... (venues.c)
    region TEXT NOT NULL REFERENCES regions(code), -- the jurisdiction key
    address TEXT NOT NULL DEFAULT '',
    contact_name TEXT NOT NULL DEFAULT '', -- responsible person (负责人)
    contact_phone_sealed TEXT,           -- fk_pii_seal(context "phone")
    dwell_minutes INTEGER,               -- NULL: the category's default (tracing)
    status TEXT NOT NULL,                -- open, suspended, sealed
    code TEXT,                           -- the current signed place code (FKS:...)
    code_issued_at BIGINT,
    code_expires_at BIGINT,
    note TEXT,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX venues_region ON venues(region, id);
CREATE INDEX venues_code_expiry ON venues(code_expires_at);

-- Every check-in, allowed or not. High volume: no foreign keys (a sharded
-- PostgreSQL cannot check them across shards), `region` is the venue's (the
-- jurisdiction and shard key), `day` the Asia/Shanghai day number (days since
-- 1970-01-01) for purges and, later, partitions by day. `at` is when the
-- person arrived (the scanner's clock), `color` the health code shown then.
CREATE TABLE checkins (
    id FK_ID_PK,
    venue_id BIGINT NOT NULL,
    region TEXT NOT NULL,
    person_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    left_at BIGINT,
    day INTEGER NOT NULL,
    color TEXT NOT NULL,                 -- green, yellow, red
    allowed INTEGER NOT NULL,            -- 0: refused entry (red or yellow)
    reason TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,                -- api, scan, resident
    created_by BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (created_by, idempotency_key)
);
CREATE INDEX checkins_venue ON checkins(venue_id, at);
CREATE INDEX checkins_person ON checkins(person_id, at);
CREATE INDEX checkins_region ON checkins(region, at);
CREATE INDEX checkins_day ON checkins(day, at);
