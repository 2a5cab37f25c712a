-- data class: tournament_results. Tournaments, their players and match reports.
CREATE TABLE tournament (
    tournament_id INTEGER PRIMARY KEY AUTOINCREMENT,
    platform TEXT NOT NULL,
    room_id TEXT NOT NULL,
    name TEXT NOT NULL,
    game TEXT NOT NULL,
    format TEXT NOT NULL,
    max_players INTEGER NOT NULL,
    team_size INTEGER NOT NULL DEFAULT 1,
    swiss_rounds INTEGER NOT NULL DEFAULT 0,
    starts_at TEXT NOT NULL,
    checkin_minutes INTEGER NOT NULL,
    status TEXT NOT NULL,
    organiser TEXT NOT NULL,
    organiser_user_id TEXT NOT NULL,
    bracket_json TEXT,
    debrief_room_id TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX tournament_status ON tournament(status);
CREATE TABLE tournament_player (
    tournament_id INTEGER NOT NULL REFERENCES tournament(tournament_id) ON DELETE CASCADE,
    person_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    state TEXT NOT NULL,
    seed INTEGER,
    joined_at TEXT NOT NULL,
    PRIMARY KEY (tournament_id, person_id)
);
CREATE TABLE tournament_forbidden_pair (
    tournament_id INTEGER NOT NULL REFERENCES tournament(tournament_id) ON DELETE CASCADE,
    person_a TEXT NOT NULL,
    person_b TEXT NOT NULL,
    PRIMARY KEY (tournament_id, person_a, person_b)
);
CREATE TABLE tournament_report (
    tournament_id INTEGER NOT NULL REFERENCES tournament(tournament_id) ON DELETE CASCADE,
    match_id TEXT NOT NULL,
    reporter TEXT NOT NULL,
    winner TEXT,
    score_a INTEGER NOT NULL,
    score_b INTEGER NOT NULL,
    state TEXT NOT NULL,
    reported_at TEXT NOT NULL,
    PRIMARY KEY (tournament_id, match_id)
);
