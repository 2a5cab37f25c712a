-- data class: concern_messages. Flagged messages and member reports, and their review, until a person decides.
CREATE TABLE concern (
    concern_id INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL,
    categories TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    platform TEXT,
    room_id TEXT,
    message_id TEXT,
    link TEXT,
    excerpt TEXT NOT NULL,
    subject_person_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    handled_by TEXT,
    handled_at TEXT,
    dismiss_reason TEXT,
    dismiss_note TEXT,
    escalation_step INTEGER NOT NULL DEFAULT 0,
    card_platform TEXT,
    card_room_id TEXT,
    card_message_id TEXT,
    thread_room_id TEXT,
    detector_score REAL,
    matched TEXT
);
CREATE INDEX concern_status ON concern(status);
CREATE INDEX concern_message ON concern(platform, message_id);
CREATE INDEX concern_subject ON concern(subject_person_id);
-- data class: concern_messages. Who reported which concern (protected: moderators see it only by an audited action).
CREATE TABLE concern_report (
    report_id INTEGER PRIMARY KEY AUTOINCREMENT,
    concern_id INTEGER NOT NULL REFERENCES concern(concern_id) ON DELETE CASCADE,
    reporter_person_id TEXT,
    reason TEXT,
    origin TEXT NOT NULL,
    origin_key TEXT UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX concern_report_reporter ON concern_report(reporter_person_id);
CREATE INDEX concern_report_concern ON concern_report(concern_id);
-- data class: concern_messages. Detector verdicts that moderators dismissed as false positives, for the evaluation set.
CREATE TABLE concern_false_positive (
    concern_id INTEGER PRIMARY KEY REFERENCES concern(concern_id) ON DELETE CASCADE,
    categories TEXT NOT NULL,
    matched TEXT,
    excerpt TEXT NOT NULL,
    dismissed_at TEXT NOT NULL
);
