-- Signed codes (issue 4 item 2): the district's Ed25519 signing keys and the
-- revocation list. Every pass the system issues (vehicle pass, community card,
-- personal code) is a QR code signed with the active key; see
-- docs/internals/codes.md.

CREATE TABLE signing_keys (
    id FK_ID_PK,
    key_id BIGINT NOT NULL UNIQUE,       -- first 4 bytes of BLAKE2b(public key), big-endian
    public_key TEXT NOT NULL,            -- base64 (standard, padded) of the 32-byte key
    sealed_secret TEXT NOT NULL,         -- fk_pii_seal(context "signing_key") of its hex
    state TEXT NOT NULL,                 -- active, retired
    active_slot INTEGER UNIQUE,          -- 1 while active, NULL once retired: one active key
    created_at BIGINT NOT NULL,
    retired_at BIGINT
);

-- A revocation covers every code of (type, object_id) issued at or before
-- revoked_at, so that a pass re-issued after its revocation is valid again.
CREATE TABLE revocations (
    id FK_ID_PK,
    code_type INTEGER NOT NULL,          -- 1 vehicle pass, 2 card, 3 personal code
    object_id BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor BIGINT REFERENCES users(id)    -- NULL when revoked from the command line
);
CREATE INDEX revocations_object ON revocations(code_type, object_id);
