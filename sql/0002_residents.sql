-- Residents registry (issue 3): merges that keep history, duplicate lookup,
-- background jobs (imports, exports, recomputes) with their error reports.

ALTER TABLE persons ADD COLUMN merged_into BIGINT;
CREATE INDEX persons_dupkey ON persons(birth_date, name);
-- Lists and counts skip merged records; these partial indexes answer them
-- without reading the table (jurisdiction range alone, or name prefix within it).
CREATE INDEX persons_live_region ON persons(region, id) WHERE merged_into IS NULL;
CREATE INDEX persons_live_name ON persons(name, region) WHERE merged_into IS NULL;


-- What happened to a person's record beyond the audit log: merges, moves.
CREATE TABLE person_history (
    id FK_ID_PK,
    person_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,           -- "merged_from", "merged_into", "moved"
    detail TEXT                     -- JSON
);
CREATE INDEX person_history_person ON person_history(person_id, at);

CREATE TABLE jobs (
    id FK_ID_PK,
    kind TEXT NOT NULL,             -- "import_persons", ...
    state TEXT NOT NULL,            -- queued, running, done, failed
    user_id BIGINT NOT NULL REFERENCES users(id),
    region_prefix TEXT NOT NULL,    -- the jurisdiction the job ran with
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    message TEXT,
    report TEXT,                    -- base64 of the error sheet (.xlsx), if any
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_user ON jobs(user_id, id);
