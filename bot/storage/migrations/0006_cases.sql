-- data class: case_files. A safeguarding case: its state, subject (pseudonymous) and assignee.
CREATE TABLE case_file (
    case_id INTEGER PRIMARY KEY AUTOINCREMENT,
    state TEXT NOT NULL,
    subject_person_id TEXT,
    assignee_person_id TEXT,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_at TEXT,
    outcome TEXT
);
CREATE INDEX case_file_state ON case_file(state);
CREATE INDEX case_file_subject ON case_file(subject_person_id);
-- data class: case_files. Which concerns (from the safety review queue) a case is about.
CREATE TABLE case_concern (
    case_id INTEGER NOT NULL REFERENCES case_file(case_id) ON DELETE CASCADE,
    concern_id INTEGER NOT NULL,
    linked_by TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (case_id, concern_id)
);
CREATE INDEX case_concern_concern ON case_concern(concern_id);
-- data class: case_files. Notes staff write on a case.
CREATE TABLE case_note (
    note_id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES case_file(case_id) ON DELETE CASCADE,
    author_person_id TEXT NOT NULL,
    at TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX case_note_case ON case_note(case_id);
-- data class: case_files. Consequential decisions on a case (timeout, removal, referral).
CREATE TABLE case_action (
    action_id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES case_file(case_id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    at TEXT NOT NULL,
    result TEXT NOT NULL
);
CREATE INDEX case_action_case ON case_action(case_id);
-- data class: case_files. The case's history: state changes, assignment, linked concerns.
CREATE TABLE case_event (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id INTEGER NOT NULL REFERENCES case_file(case_id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    by_person_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_event_case ON case_event(case_id);
