-- Access ends when it is taken away. Every access token carries the user's token_version; a
-- password change, a deactivation or "sign out everywhere" raises it, so older tokens stop
-- working. Each instance keeps (active, role, token_version) of recent callers in memory and
-- forgets a user as soon as this trigger's notification arrives (LISTEN leadpool_access; a short
-- expiry is the safety net), so a change applies on every instance within moments, whatever
-- path made it (the API, a script, hand-written SQL).
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

CREATE FUNCTION users_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadpool_access', NEW.id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER users_access_changed
    AFTER UPDATE OF active, role, token_version ON users
    FOR EACH ROW
    WHEN (OLD.active IS DISTINCT FROM NEW.active OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.token_version IS DISTINCT FROM NEW.token_version)
    EXECUTE FUNCTION users_access_changed();
