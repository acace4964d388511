-- Door-knock screening (敲门行动, issue 3 item 3): campaigns with their areas
-- of concern, grid assignments, visit records, arrivals found at the door and
-- each household's state per campaign (what progress counts).

CREATE TABLE screening_campaigns (
    id FK_ID_PK,
    name TEXT NOT NULL,
    region TEXT NOT NULL REFERENCES regions(code),
    region_prefix TEXT NOT NULL,         -- significant prefix: the campaign's subtree
    starts_on TEXT NOT NULL,             -- YYYY-MM-DD (Asia/Shanghai)
    ends_on TEXT NOT NULL,
    other_provinces INTEGER NOT NULL DEFAULT 0, -- 1: any origin outside the region's province
    areas_of_concern TEXT NOT NULL DEFAULT '[]', -- JSON [{"code","name"}], GB/T 2260 codes
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX screening_campaigns_region ON screening_campaigns(region_prefix);

-- One row per compound or building a grid worker covers. low/high are the
-- bounds fk_store_region_bounds gives for the code, so that joins with
-- households use the households_region index. Codes of one campaign never
-- overlap (checked by the API), so every household has at most one worker.
CREATE TABLE screening_grids (
    id FK_ID_PK,
    campaign_id BIGINT NOT NULL REFERENCES screening_campaigns(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    region TEXT NOT NULL REFERENCES regions(code),
    low TEXT NOT NULL,
    high TEXT NOT NULL,
    assigned_by BIGINT NOT NULL,
    assigned_at BIGINT NOT NULL,
    UNIQUE (campaign_id, region)
);
CREATE INDEX screening_grids_user ON screening_grids(campaign_id, user_id);

CREATE TABLE screening_visits (
    id FK_ID_PK,
    campaign_id BIGINT NOT NULL REFERENCES screening_campaigns(id),
    household_id BIGINT NOT NULL REFERENCES households(id),
    region TEXT NOT NULL,                -- the household's region at the visit
    outcome TEXT NOT NULL,               -- reached, nobody_home, refused
    members_present TEXT NOT NULL DEFAULT '[]', -- JSON array of person ids
    symptoms TEXT NOT NULL DEFAULT '',   -- comma list of known symptom names
    note TEXT,
    visited_at BIGINT NOT NULL,
    worker_id BIGINT NOT NULL REFERENCES users(id),
    idempotency_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (worker_id, idempotency_key)
);
CREATE INDEX screening_visits_campaign ON screening_visits(campaign_id, id);
CREATE INDEX screening_visits_household ON screening_visits(household_id, visited_at);

-- Persons found at the door who arrived recently: registered by the visit
-- (registered = 1) or linked to an existing record (0).
CREATE TABLE screening_arrivals (
    id FK_ID_PK,
    visit_id BIGINT NOT NULL REFERENCES screening_visits(id),
    campaign_id BIGINT NOT NULL REFERENCES screening_campaigns(id),
    household_id BIGINT NOT NULL,
    region TEXT NOT NULL,                -- destination: the household's region
    person_id BIGINT NOT NULL REFERENCES persons(id),
    registered INTEGER NOT NULL,
    origin_code TEXT NOT NULL,
    origin_name TEXT NOT NULL,
    arrived_on TEXT NOT NULL,            -- YYYY-MM-DD
    concern INTEGER NOT NULL,            -- origin matches the campaign's areas of concern
    created_at BIGINT NOT NULL
);
CREATE INDEX screening_arrivals_campaign ON screening_arrivals(campaign_id, concern, region);
CREATE INDEX screening_arrivals_visit ON screening_arrivals(visit_id);

-- Each visited household's state in a campaign: the latest visit's outcome,
-- except that "reached" is final. Households without a row are not visited.
CREATE TABLE screening_household_state (
    campaign_id BIGINT NOT NULL REFERENCES screening_campaigns(id),
    household_id BIGINT NOT NULL REFERENCES households(id),
    outcome TEXT NOT NULL,
    visits INTEGER NOT NULL,
    last_visit_id BIGINT NOT NULL,
    last_visited_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, household_id)
);
