-- Four-colour community cards (四色通行证, issue 4 item 4) and the scans at
-- compound gates. A card is issued per person in a compound: red for key
-- persons, yellow for persons in isolation, blue for staff who go out to
-- work, green for the one shopper of a household. See docs/internals/cards.md.

CREATE TABLE cards (
    id FK_ID_PK,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    household_id BIGINT REFERENCES households(id),
    region TEXT NOT NULL REFERENCES regions(code), -- the person's compound/building at issue
    color TEXT NOT NULL,                 -- red, yellow, blue, green
    state TEXT NOT NULL,                 -- active, revoked
    active_person BIGINT UNIQUE,         -- = person_id while active, NULL after:
                                         -- one active card per person
    active_green_household BIGINT UNIQUE, -- = household_id while active and green:
                                         -- never two green cards in a household
    code TEXT,                           -- the signed QR code (FKC:...)
    issued_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    issued_by BIGINT NOT NULL REFERENCES users(id),
    revoked_at BIGINT,
    revoked_reason TEXT,
    note TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cards_region ON cards(region, id);
CREATE INDEX cards_person ON cards(person_id);

-- Every scan at a gate, allowed or not. `region` is the checkpoint's (who
-- sees the log), `card_region` the card's (whose grid worker handles a
-- refused exit).
CREATE TABLE gate_scans (
    id FK_ID_PK,
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints(id),
    region TEXT NOT NULL,
    card_id BIGINT,                      -- NULL when the code names no card
    person_id BIGINT,
    card_region TEXT,
    color TEXT,                          -- the effective colour at the scan
    direction TEXT NOT NULL,             -- in, out
    scanned_at BIGINT NOT NULL,
    allowed INTEGER NOT NULL,            -- 1 allowed, 0 refused
    reason_code TEXT NOT NULL,
    reason TEXT NOT NULL,
    scanned_by BIGINT NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    handled INTEGER NOT NULL DEFAULT 0,  -- a refused exit followed up by the grid worker
    handled_by BIGINT REFERENCES users(id),
    handled_at BIGINT,
    note TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (scanned_by, idempotency_key)
);
CREATE INDEX gate_scans_checkpoint ON gate_scans(checkpoint_id, scanned_at);
CREATE INDEX gate_scans_exits ON gate_scans(person_id, direction, allowed, scanned_at);
CREATE INDEX gate_scans_refusals ON gate_scans(allowed, direction, card_region, id);
