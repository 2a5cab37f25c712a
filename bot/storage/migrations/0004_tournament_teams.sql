-- data class: tournament_results. Teams formed at the start (team id -> person ids).
ALTER TABLE tournament ADD COLUMN teams_json TEXT;
