-- data class: operational. Persisted scheduled jobs (check-ins, reminders, deadlines).
CREATE TABLE scheduled_job (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    run_at TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    done_at TEXT
);
CREATE INDEX scheduled_job_due ON scheduled_job(done_at, run_at);
-- data class: audit. Append-only record of who changed what (hash-chained later).
CREATE TABLE audit_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail_json TEXT NOT NULL
);
CREATE INDEX audit_event_object ON audit_event(object);
