-- Home quarantine follow-up (居家隔离, 五包一; DESIGN.md §2): per person a
-- five-person team, start and planned end, twice-daily temperatures, the
-- commitment and notification letters. Centralized sites will live beside
-- these tables under their own names.

CREATE TABLE home_quarantines (
    id FK_ID_PK,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    active_person BIGINT UNIQUE,         -- = person_id while active, NULL once ended:
                                         -- at most one active home quarantine per person
    region TEXT NOT NULL REFERENCES regions(code), -- the person's region at the start
    address TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL,                -- close_contact, secondary_contact, returnee, other
    starts_at BIGINT NOT NULL,
    planned_end BIGINT NOT NULL,
    state TEXT NOT NULL,                 -- active, ended
    outcome TEXT,                        -- released, transferred_to_centralized, hospital
    ended_at BIGINT,
    ended_by BIGINT REFERENCES users(id),
    commitment_issued_at BIGINT,         -- 承诺书
    commitment_signed_at BIGINT,
    notification_issued_at BIGINT,       -- 告知书
    notification_signed_at BIGINT,
    last_celsius_x10 INTEGER,            -- latest reading by measured_at, tenths of a degree
    last_measured_at BIGINT,
    fever_count INTEGER NOT NULL DEFAULT 0,
    note TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX home_quarantines_region ON home_quarantines(region, id);
CREATE INDEX home_quarantines_person ON home_quarantines(person_id);
CREATE INDEX home_quarantines_state ON home_quarantines(state, region);

-- The five-person team (五包一): one row per role, a user or a named contact.
CREATE TABLE home_quarantine_team (
    quarantine_id BIGINT NOT NULL REFERENCES home_quarantines(id),
    role TEXT NOT NULL,                  -- township_cadre, village_cadre, village_doctor,
                                         -- police, grid_worker
    user_id BIGINT REFERENCES users(id), -- NULL for a named contact
    name TEXT NOT NULL,                  -- the contact's name (users: display name at assignment)
    phone_sealed TEXT,                   -- contact's mobile, AEAD-sealed (context "phone")
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (quarantine_id, role)
);
CREATE INDEX home_quarantine_team_user ON home_quarantine_team(user_id, quarantine_id);

CREATE TABLE home_quarantine_temperatures (
    id FK_ID_PK,
    quarantine_id BIGINT NOT NULL REFERENCES home_quarantines(id),
    region TEXT NOT NULL,                -- copy of the quarantine's, for the fever list
    day TEXT NOT NULL,                   -- YYYY-MM-DD (Asia/Shanghai) of measured_at
    slot TEXT NOT NULL,                  -- am, pm
    celsius_x10 INTEGER NOT NULL,
    fever INTEGER NOT NULL,              -- celsius >= 37.3
    symptoms TEXT NOT NULL DEFAULT '',   -- comma-separated
    measured_at BIGINT NOT NULL,
    measured_by BIGINT NOT NULL REFERENCES users(id),
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    idempotency_key TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (recorded_by, idempotency_key)
);
CREATE INDEX home_quarantine_temperatures_q ON home_quarantine_temperatures(quarantine_id, measured_at);
CREATE INDEX home_quarantine_temperatures_fever ON home_quarantine_temperatures(fever, region, measured_at);
