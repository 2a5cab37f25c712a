-- Sessions: scheduled (optionally recurring) sessions, who signed up, and which reminders went out.

-- data class: sessions. A session's title, room, time and recurrence, so members can find and join it.
CREATE TABLE session (
    session_id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    room_id TEXT NOT NULL,
    title TEXT NOT NULL,
    organiser TEXT NOT NULL,
    zone TEXT NOT NULL,
    every TEXT,
    first_at TEXT NOT NULL,
    next_at TEXT NOT NULL,
    length_minutes INTEGER NOT NULL,
    remind_minutes INTEGER NOT NULL,
    reminded_for TEXT,
    status TEXT NOT NULL DEFAULT 'scheduled',
    created_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX session_by_status ON session (status, next_at);
CREATE INDEX session_by_organiser ON session (organiser);

-- data class: sessions. Who signed up for a session (the whole series), so they get its reminders.
CREATE TABLE session_rsvp (
    session_id INTEGER NOT NULL REFERENCES session (session_id) ON DELETE CASCADE,
    person_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX session_rsvp_by_person ON session_rsvp (person_id);

-- data class: sessions. Which reminder went to whom, so a restart never sends one twice.
CREATE TABLE session_reminder (
    session_id INTEGER NOT NULL REFERENCES session (session_id) ON DELETE CASCADE,
    occurrence TEXT NOT NULL,
    person_id TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (session_id, occurrence, person_id)
);
CREATE INDEX session_reminder_by_person ON session_reminder (person_id);
