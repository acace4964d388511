-- PostgreSQL only: compare names and addresses byte-wise (UTF-8 code point
-- order), as SQLite does, so that prefix ranges and ORDER BY agree on both
-- stores and name-prefix search can use a plain btree index.
ALTER TABLE persons ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE persons ALTER COLUMN address TYPE TEXT COLLATE "C";
ALTER TABLE households ALTER COLUMN address TYPE TEXT COLLATE "C";
REINDEX INDEX persons_name;
