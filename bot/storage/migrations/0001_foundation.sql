-- data class: identity. People are pseudonymous; identities link platform accounts.
CREATE TABLE person (
    person_id TEXT PRIMARY KEY,
    language TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE identity (
    platform TEXT NOT NULL,
    platform_user_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES person(person_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (platform, platform_user_id)
);
CREATE INDEX identity_person ON identity(person_id);
-- data class: operational. Pending confirmations of destructive commands.
CREATE TABLE pending_confirmation (
    code TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES person(person_id) ON DELETE CASCADE,
    command TEXT NOT NULL,
    args_json TEXT NOT NULL,
    room_platform TEXT NOT NULL,
    room_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (person_id, code)
);
-- data class: operational. Platform sync state (Matrix since-token and the like).
CREATE TABLE platform_state (
    platform TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (platform, key)
);
-- data class: operational. Events already handled, so a restart never handles one twice.
CREATE TABLE processed_event (
    platform TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TEXT NOT NULL,
    PRIMARY KEY (platform, event_id)
);
CREATE INDEX processed_event_age ON processed_event(processed_at);
