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

-- Which rule set (rules/*.json, by name) is in force from when: the latest row
-- with effective_from <= now wins (healthcode_rules.c).
CREATE TABLE health_rule_schedule (
    id FK_ID_PK,
    name TEXT NOT NULL,
    effective_from BIGINT NOT NULL,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX health_rule_schedule_from ON health_rule_schedule(effective_from, id);

-- Risk areas (风险区): a local region at any level, or an outside county by
-- its 6-digit GB/T 2260 code. The residents of a local area are matched by
-- region prefix when codes are evaluated; arrivals by their origin county;
-- visitors get risk_stay facts (source "riskarea").
CREATE TABLE risk_areas (
    id FK_ID_PK,
    region TEXT NOT NULL,               -- region code, or the 6-digit outside county
    outside INTEGER NOT NULL,           -- 1: an outside county
    prefix TEXT NOT NULL,               -- significant prefix of a local region; '' outside
    county TEXT NOT NULL,               -- the 6-digit county it lies in (or is)
    name TEXT NOT NULL,
    level TEXT NOT NULL,                -- high, medium, low; lifted once lifted
    from_at BIGINT NOT NULL,
    until_at BIGINT,                    -- planned end; NULL: until lifted
    last_case_at BIGINT NOT NULL,       -- days without a new case count from here
    level_since BIGINT NOT NULL,        -- when the current level was set
    lifted_at BIGINT,
    created_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX risk_areas_lifted ON risk_areas(lifted_at, from_at);
CREATE INDEX risk_areas_region ON risk_areas(region);

-- Every change of an area's level (declared, upgraded, downgraded, lifted),
-- by a person or by the rules (actor "rules").
CREATE TABLE risk_area_changes (
    id FK_ID_PK,
    area_id BIGINT NOT NULL REFERENCES risk_areas(id),
    at BIGINT NOT NULL,
    from_level TEXT,
    to_level TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX risk_area_changes_area ON risk_area_changes(area_id, at);
CREATE INDEX health_facts_kind_region ON health_facts(kind, region);
