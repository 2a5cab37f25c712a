-- Placeholder on feat/rota only: migration numbers are consecutive and 0005 belongs to
-- another feature branch. Drop this file when that branch's 0005 lands on main.
SELECT 1;
