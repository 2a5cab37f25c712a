-- Placeholder on feat/rota only: migration numbers are consecutive and 0006 belongs to
-- another feature branch. Drop this file when that branch's 0006 lands on main.
SELECT 1;
