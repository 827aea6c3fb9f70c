DROP TABLE refresh_tokens;
ALTER TABLE teams DROP CONSTRAINT teams_manager_id_fkey;
DROP TABLE users;
DROP TABLE teams;
