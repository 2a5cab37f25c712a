-- The duty rota: weekly or dated shifts, and people on call by hand.

-- data class: duty_rota. Who covers which duty when, so the help desk and escalation reach a person on duty.
CREATE TABLE rota_shift (
    shift_id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL,
    duty TEXT NOT NULL,
    weekday INTEGER,
    on_date TEXT,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    backup INTEGER NOT NULL DEFAULT 0,
    ends_at TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK ((weekday IS NULL) <> (on_date IS NULL))
);
CREATE INDEX rota_shift_by_duty ON rota_shift (duty);
CREATE INDEX rota_shift_by_person ON rota_shift (person_id);

-- data class: duty_rota. Staff who put themselves on call now, until when, so they are reached first.
CREATE TABLE rota_oncall (
    oncall_id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL,
    duty TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ends_at TEXT NOT NULL
);
CREATE INDEX rota_oncall_by_duty ON rota_oncall (duty, ends_at);
CREATE INDEX rota_oncall_by_person ON rota_oncall (person_id);
