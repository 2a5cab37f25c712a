-- data class: discussion_rooms. Discussion rooms: topic, house rules, facilitator, slow mode, lifetime.
CREATE TABLE discussion_room (
    room_id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    platform_room_id TEXT,
    topic TEXT NOT NULL,
    rules TEXT NOT NULL,
    facilitator TEXT NOT NULL,
    facilitator_user_id TEXT NOT NULL,
    facilitator_name TEXT NOT NULL DEFAULT '',
    slowmode_seconds INTEGER NOT NULL DEFAULT 0,
    slowmode_by_haven INTEGER NOT NULL DEFAULT 0,
    opened_at TEXT NOT NULL,
    closes_at TEXT,
    closed_at TEXT
);
CREATE INDEX discussion_room_platform_room ON discussion_room(platform, platform_room_id);
-- data class: discussion_rooms. Who accepted a room's house rules (and so may write there).
CREATE TABLE discussion_room_acceptance (
    room_id INTEGER NOT NULL REFERENCES discussion_room(room_id) ON DELETE CASCADE,
    person_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    PRIMARY KEY (room_id, person_id)
);
CREATE INDEX discussion_room_acceptance_person ON discussion_room_acceptance(person_id);
