-- Checkpoints (卡口, DESIGN.md §2 "checkpoints have levels 1–4"): the registry,
-- the duty roster (值班: who is on which checkpoint when) and incidents
-- (闯卡, refused checks, assault on staff). A checkpoint's region decides who
-- sees it and everything recorded at it.

CREATE TABLE checkpoints (
    id FK_ID_PK,
    name TEXT NOT NULL,
    level INTEGER NOT NULL,              -- 1 province/city boundary, 2 district boundary,
                                         -- 3 township, 4 community
    type TEXT NOT NULL,                  -- highway_exit, road, railway_station, bus_station,
                                         -- airport, community_gate, compound_gate
    region TEXT NOT NULL REFERENCES regions(code),
    location TEXT NOT NULL DEFAULT '',
    lat_e6 BIGINT,                       -- latitude in millionths of a degree
    lng_e6 BIGINT,
    sampling_point TEXT,                 -- free-text name until the testing module exists
    state TEXT NOT NULL,                 -- open, closed
    note TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX checkpoints_region ON checkpoints(region, id);

-- Duty shifts (值班). No user has two overlapping shifts anywhere (checked by
-- the handler before the insert).
CREATE TABLE checkpoint_shifts (
    id FK_ID_PK,
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    post TEXT NOT NULL,                  -- leader, inspector, sampler, police, medic, volunteer
    note TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX checkpoint_shifts_checkpoint ON checkpoint_shifts(checkpoint_id, starts_at);
CREATE INDEX checkpoint_shifts_user ON checkpoint_shifts(user_id, starts_at);
CREATE INDEX checkpoint_shifts_time ON checkpoint_shifts(starts_at);

-- Incidents at a checkpoint. The person's ID number and phone are sealed
-- (AEAD) with a blind index, as everywhere.
CREATE TABLE checkpoint_incidents (
    id FK_ID_PK,
    checkpoint_id BIGINT NOT NULL REFERENCES checkpoints(id),
    kind TEXT NOT NULL,                  -- ran_checkpoint, refused_check, assault, other
    occurred_at BIGINT NOT NULL,
    plate TEXT,
    person_name TEXT,
    id_sealed TEXT,
    id_blind TEXT,
    phone_sealed TEXT,
    phone_blind TEXT,
    description TEXT NOT NULL,
    police_referral INTEGER NOT NULL,
    police_station TEXT,
    referral_outcome TEXT,
    note TEXT,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX checkpoint_incidents_checkpoint ON checkpoint_incidents(checkpoint_id, occurred_at);
CREATE INDEX checkpoint_incidents_time ON checkpoint_incidents(occurred_at);
CREATE INDEX checkpoint_incidents_id_blind ON checkpoint_incidents(id_blind);
