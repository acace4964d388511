-- Health codes (健康码; DESIGN.md §2, issue 5): facts other modules record,
-- the colour the rule engine computed from them, and every change of colour.

CREATE TABLE health_facts (
    id FK_ID_PK,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    kind TEXT NOT NULL,                 -- case, close_contact, ... (healthcode.h)
    level TEXT,                         -- high, medium, low for risk facts
    region TEXT,                        -- region or GB/T 2260 county code it refers to
    started_at BIGINT NOT NULL,
    ended_at BIGINT,                    -- NULL while open
    source TEXT NOT NULL,               -- homeq, returnees, selfreport, riskarea, staff, ...
    source_id BIGINT NOT NULL DEFAULT 0,
    detail TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (source, source_id, kind, person_id)
);
CREATE INDEX health_facts_person ON health_facts(person_id, kind);

CREATE TABLE health_codes (
    person_id BIGINT PRIMARY KEY REFERENCES persons(id),
    color TEXT NOT NULL,                -- green, yellow, red
    reasons TEXT NOT NULL,              -- JSON array of {"rule","color","cause","since","until"}
    since BIGINT NOT NULL,              -- when the colour last changed
    until_at BIGINT,                    -- when a reason expires and the code must be re-evaluated
    rules_version TEXT NOT NULL,
    region TEXT NOT NULL,               -- the person's region (jurisdiction filter)
    updated_at BIGINT NOT NULL
);
CREATE INDEX health_codes_region ON health_codes(region, color);
CREATE INDEX health_codes_until ON health_codes(until_at);

CREATE TABLE health_code_changes (
    id FK_ID_PK,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    at BIGINT NOT NULL,
    from_color TEXT,                    -- NULL for the first computation
    to_color TEXT NOT NULL,
    rule TEXT NOT NULL,                 -- the rule that decided the new colour
    cause TEXT NOT NULL,                -- the fact or event behind it
    rules_version TEXT NOT NULL,
    region TEXT NOT NULL
);
CREATE INDEX health_code_changes_person ON health_code_changes(person_id, at);
