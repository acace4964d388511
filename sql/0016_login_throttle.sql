-- Login throttling per (username, client address) instead of a lock on the
-- account (issue 9 item 4): a stranger who knows a username can no longer keep
-- its owner out by failing on purpose, and an unknown username is throttled
-- exactly like a known one, so the answer does not tell which names exist.
-- Kept in the store so that several app servers behind one balancer share it.
CREATE TABLE login_throttle (
    username TEXT NOT NULL,          -- as typed, known to the users table or not
    ip TEXT NOT NULL,                -- the client address (behind --trusted-proxies)
    failures INTEGER NOT NULL,       -- attempts since the last success, counted before checking
    last_at BIGINT NOT NULL,         -- epoch seconds of the last attempt
    locked_until BIGINT NOT NULL,    -- epoch seconds; 0 = not locked
    PRIMARY KEY (username, ip)
);
CREATE INDEX login_throttle_last ON login_throttle(last_at);

-- The account-wide lock is gone.
ALTER TABLE users DROP COLUMN failed_count;
ALTER TABLE users DROP COLUMN failed_since;
ALTER TABLE users DROP COLUMN locked_until;
