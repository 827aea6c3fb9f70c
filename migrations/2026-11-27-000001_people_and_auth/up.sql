-- People and sessions: teams, users and rotating refresh tokens.
-- Roles are text with a CHECK (not a Postgres enum) so adding a role is an ordinary migration.

CREATE TABLE teams (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    manager_id  uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX teams_name_key ON teams (lower(name));

CREATE TABLE users (
    id              uuid        PRIMARY KEY,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email           text        NOT NULL CHECK (email = lower(email)),
    role            text        NOT NULL CHECK (role IN ('admin', 'manager', 'sales')),
    team_id         uuid        REFERENCES teams (id),
    tier            integer     CHECK (tier BETWEEN 1 AND 20),
    active          boolean     NOT NULL DEFAULT true,
    on_leave_from   timestamptz,
    on_leave_until  timestamptz,
    password_hash   text        NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT users_leave_window_check
        CHECK (on_leave_from IS NULL OR on_leave_until IS NULL OR on_leave_from < on_leave_until)
);
-- Emails are unique case-insensitively: they are stored lower-cased (the CHECK above), so a plain
-- unique index enforces it and serves the login lookup.
CREATE UNIQUE INDEX users_email_key ON users (email);
CREATE INDEX users_team_id_idx ON users (team_id);

ALTER TABLE teams
    ADD CONSTRAINT teams_manager_id_fkey FOREIGN KEY (manager_id) REFERENCES users (id);
CREATE INDEX teams_manager_id_idx ON teams (manager_id);

-- One row per refresh token ever issued. Only a SHA-256 of the token is stored.
-- A login starts a family; each refresh spends one token (used_at) and issues the next in the
-- same family. Presenting a spent token revokes the whole family (reuse detection).
CREATE TABLE refresh_tokens (
    id          uuid        PRIMARY KEY,
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
