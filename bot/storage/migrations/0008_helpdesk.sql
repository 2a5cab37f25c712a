-- data class: helpdesk_transcripts. Help requests: who asked, about what, what they first wrote, who helps.
CREATE TABLE help_request (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    person_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    origin_room_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    first_message TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'helpme',
    status TEXT NOT NULL,
    worker_person_id TEXT,
    worker_user_id TEXT,
    room_id TEXT,
    created_at TEXT NOT NULL,
    claimed_at TEXT,
    closed_at TEXT,
    outcome TEXT,
    escalated_at TEXT,
    concern_ref TEXT
);
CREATE INDEX help_request_status ON help_request(status, created_at);
CREATE INDEX help_request_person ON help_request(person_id);
CREATE INDEX help_request_room ON help_request(platform, room_id);
-- data class: helpdesk_transcripts. What people wrote in a help room: the conversation's transcript.
CREATE TABLE help_message (
    request_id INTEGER NOT NULL REFERENCES help_request(request_id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    author_person_id TEXT NOT NULL,
    by_member INTEGER NOT NULL,
    body TEXT NOT NULL,
    link TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (request_id, message_id)
);
-- data class: helpdesk_transcripts. Handover notes between youth workers (internal working notes).
CREATE TABLE help_note (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES help_request(request_id) ON DELETE CASCADE,
    from_person_id TEXT NOT NULL,
    to_person_id TEXT NOT NULL,
    note TEXT NOT NULL,
    at TEXT NOT NULL
);
-- data class: outreach. Check-ins youth workers offered, and the member's answer (consent).
CREATE TABLE outreach_checkin (
    checkin_id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    origin_room_id TEXT NOT NULL,
    worker_person_id TEXT NOT NULL,
    worker_user_id TEXT NOT NULL,
    member_person_id TEXT NOT NULL,
    member_user_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT,
    request_id INTEGER
);
CREATE INDEX outreach_checkin_member ON outreach_checkin(member_person_id, sent_at);
-- data class: outreach. Members who asked to receive no check-ins at all (respected until they opt in).
CREATE TABLE outreach_optout (
    person_id TEXT PRIMARY KEY,
    at TEXT NOT NULL
);
-- data class: outreach. Youth workers who show themselves as available to members (first name only).
CREATE TABLE outreach_available (
    person_id TEXT NOT NULL,
    platform TEXT NOT NULL,
    user_id TEXT NOT NULL,
    first_name TEXT NOT NULL,
    since TEXT NOT NULL,
    PRIMARY KEY (person_id, platform)
);
