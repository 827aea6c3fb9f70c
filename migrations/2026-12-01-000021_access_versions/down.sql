DROP TRIGGER users_access_changed ON users;
DROP FUNCTION users_access_changed();
ALTER TABLE users DROP COLUMN token_version;
