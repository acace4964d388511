-- Resident self-service (居民端; issue 5 item 2): accounts signed in by phone
-- and one-time code, the registry person each is linked to, family members
-- without phones (同行人员), and the daily health report (每日健康申报).

-- One resident account per phone number. The phone is sealed; the key is its
-- blind index (context "phone", the same value as persons.phone_blind). The
-- account is a users row with role 'resident' and no usable password.
CREATE TABLE resident_accounts (
    phone_blind TEXT PRIMARY KEY,
    phone_sealed TEXT NOT NULL,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users(id),
    person_id BIGINT REFERENCES persons(id),   -- the linked registry person; NULL until linked
    linked_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX resident_accounts_person ON resident_accounts(person_id);

-- The one pending sign-in code of a phone: only its keyed hash is kept.
CREATE TABLE resident_otps (
    phone_blind TEXT PRIMARY KEY,
    code_hash TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0
);

-- Fixed-window counters (codes sent per phone per day, per client address per
-- hour; link attempts per account per day). key_hash is a keyed blind index,
-- never the phone or address in clear.
CREATE TABLE resident_rate_limits (
    kind TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (kind, key_hash, window_start)
);
CREATE INDEX resident_rate_limits_window ON resident_rate_limits(window_start);

-- Family members an account acts for (at most 10 per account).
CREATE TABLE resident_family (
    user_id BIGINT NOT NULL REFERENCES users(id),
    person_id BIGINT NOT NULL REFERENCES persons(id),
    relation TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, person_id)
);
CREATE INDEX resident_family_person ON resident_family(person_id);

-- 每日健康申报: one per person per day (a second one that day replaces it).
CREATE TABLE health_reports (
    id FK_ID_PK,
    person_id BIGINT NOT NULL REFERENCES persons(id),
    report_date TEXT NOT NULL,             -- YYYY-MM-DD, Asia/Shanghai
    temperature_tenths INTEGER NOT NULL,   -- 350..420
    symptoms TEXT NOT NULL DEFAULT '',     -- comma-separated identifiers
    note TEXT NOT NULL DEFAULT '',
    fever INTEGER NOT NULL DEFAULT 0,
    region TEXT NOT NULL,                  -- the person's region (jurisdiction key)
    reported_by BIGINT REFERENCES users(id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (person_id, report_date)
);
CREATE INDEX health_reports_region ON health_reports(region, report_date);
CREATE INDEX health_reports_date ON health_reports(report_date, region);
