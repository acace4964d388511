-- Passages recorded offline (issue 4 item 5): the checkpoint phone queued the
-- passage while the network was down and could not see the occupants' status.
-- The server records it as it happened and keeps what it found at sync time
-- for review: a "pass" despite a red code or home quarantine, or a different
-- number of occupants than the pass registered.
ALTER TABLE passages ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
ALTER TABLE passages ADD COLUMN review TEXT; -- JSON [{"code","seat","message"}] or NULL
