-- Returnee registration (外省返乡登记报备, DESIGN.md §2): every arrival with its
-- origin, date, transport, destination, three-code check, landing test and
-- disposition; registered by staff or by the returnee on the public page.

CREATE TABLE returnees (
    id FK_ID_PK,
    reference TEXT NOT NULL UNIQUE,      -- short code shown to the registrant
    person_id BIGINT REFERENCES persons(id), -- the registry person; NULL: a public
                                         -- registration of someone not in the registry
    id_sealed TEXT NOT NULL,             -- AEAD-sealed ID number (as declared)
    id_blind TEXT NOT NULL,              -- blind index, context "id_number" (= persons.id_blind)
    name TEXT NOT NULL,
    phone_sealed TEXT,
    phone_blind TEXT,
    origin_code TEXT NOT NULL,           -- GB/T 2260, 2/4/6 digits
    origin_name TEXT NOT NULL,
    outside_province INTEGER NOT NULL,   -- origin province differs from the destination's
    arrival_date TEXT NOT NULL,          -- YYYY-MM-DD (Asia/Shanghai)
    transport TEXT NOT NULL,             -- car, train, flight, bus, other
    plate TEXT,                          -- car only
    trip_no TEXT,                        -- train or flight number
    region TEXT NOT NULL REFERENCES regions(code), -- destination (community, compound, building)
    household_id BIGINT REFERENCES households(id),
    address TEXT NOT NULL DEFAULT '',
    three_code TEXT NOT NULL,            -- green, yellow, red, unchecked
    landing_test TEXT NOT NULL,          -- pending, sampled, negative, positive, not_required
    disposition TEXT NOT NULL,           -- home_monitoring, home_quarantine,
                                         -- centralized_quarantine, yellow_code_hotel, none
    note TEXT,
    concern INTEGER NOT NULL,            -- from an area of concern of an active campaign
    concern_campaign_id BIGINT,          -- the screening campaign that flagged it
    grid_worker_id BIGINT REFERENCES users(id), -- whose grid covers the destination
    handled INTEGER NOT NULL DEFAULT 0,  -- the flag was followed up
    handled_by BIGINT,
    handled_at BIGINT,
    source TEXT NOT NULL,                -- staff, public
    created_by BIGINT REFERENCES users(id), -- NULL for public registrations
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (id_blind, arrival_date)
);
CREATE INDEX returnees_region ON returnees(region, id);
CREATE INDEX returnees_arrival ON returnees(arrival_date, region);
CREATE INDEX returnees_worker ON returnees(grid_worker_id, concern);
CREATE INDEX returnees_person ON returnees(person_id);
CREATE INDEX returnees_phone ON returnees(phone_blind);

-- Rate counters of the public self-registration, kept in the store so that
-- several app servers share them. key_hash is a keyed blind index (never the
-- ID number or address in clear); rows of past windows are purged as new ones
-- are written.
CREATE TABLE returnee_rate_limits (
    kind TEXT NOT NULL,                  -- "ip", "id_number"
    key_hash TEXT NOT NULL,
    window_start BIGINT NOT NULL,        -- epoch seconds
    hits INTEGER NOT NULL,
    PRIMARY KEY (kind, key_hash, window_start)
);
CREATE INDEX returnee_rate_limits_window ON returnee_rate_limits(window_start);
