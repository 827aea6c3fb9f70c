-- Pools, custom field definitions, leads with encrypted contact data, touches and the timeline.

-- Which keys encrypted data and blind indexes in this database (ids only, never keys), so that
-- start-up can refuse a configuration that could not read what is stored.
CREATE TABLE crypto_keys (
    purpose     text        NOT NULL CHECK (purpose IN ('data', 'index')),
    key_id      bytea       NOT NULL,
    first_used  timestamptz NOT NULL,
    PRIMARY KEY (purpose, key_id)
);
-- There is one blind-index key for the life of the data.
CREATE UNIQUE INDEX crypto_keys_one_index_key ON crypto_keys (purpose) WHERE purpose = 'index';

CREATE TABLE pools (
    id                uuid        PRIMARY KEY,
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description       text        NOT NULL DEFAULT '',
    is_default        boolean     NOT NULL DEFAULT false,
    -- Pools are tried in ascending routing_priority; within a pool, its conditions in order.
    routing_priority  integer     NOT NULL DEFAULT 100,
    routing           jsonb       NOT NULL DEFAULT '[]',
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX pools_name_key ON pools (lower(name));
CREATE UNIQUE INDEX pools_single_default ON pools (is_default) WHERE is_default;

CREATE TABLE pool_member_teams (
    pool_id  uuid NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    team_id  uuid NOT NULL REFERENCES teams (id),
    PRIMARY KEY (pool_id, team_id)
);
CREATE INDEX pool_member_teams_team_id_idx ON pool_member_teams (team_id);

CREATE TABLE pool_member_users (
    pool_id  uuid NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_id  uuid NOT NULL REFERENCES users (id),
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX pool_member_users_user_id_idx ON pool_member_users (user_id);

CREATE TABLE lead_fields (
    key         text        PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    label       text        NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    field_type  text        NOT NULL CHECK (field_type IN ('text', 'number', 'date', 'select', 'multi_select')),
    options     text[]      NOT NULL DEFAULT '{}',
    required    boolean     NOT NULL DEFAULT false,
    searchable  boolean     NOT NULL DEFAULT false,
    position    integer     NOT NULL DEFAULT 0,
    -- Removing a field hides it; stored values stay in leads.custom.
    deleted_at  timestamptz,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE leads (
    id              uuid        PRIMARY KEY,
    pool_id         uuid        REFERENCES pools (id),
    state           text        NOT NULL CHECK (state IN ('pooled', 'owned', 'converted', 'closed')),
    stage           text        CHECK (stage IN ('new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost')),
    owner_id        uuid        REFERENCES users (id),
    name            text,
    company         text,
    -- Contact data: encrypted values and keyed blind indexes; never plaintext.
    phone_enc       bytea,
    phone_bidx      bytea,
    email_enc       bytea,
    email_bidx      bytea,
    wechat_enc      bytea,
    wechat_bidx     bytea,
    -- Keyed hash of the normalised company + contact name, for dedupe.
    identity_bidx   bytea,
    province        text,
    city            text,
    industry        text,
    company_size    text,
    needs           text,
    grade           text        CHECK (grade IN ('A', 'B', 'C', 'D')),
    source_channel  text        NOT NULL,
    source_detail   text,
    tags            text[]      NOT NULL DEFAULT '{}',
    custom          jsonb       NOT NULL DEFAULT '{}',
    created_by      uuid        REFERENCES users (id),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT leads_owner_matches_state CHECK ((state = 'owned') = (owner_id IS NOT NULL)),
    CONSTRAINT leads_pooled_has_pool CHECK (state <> 'pooled' OR pool_id IS NOT NULL),
    CONSTRAINT leads_contact_pairs CHECK (
        (phone_enc IS NULL) = (phone_bidx IS NULL)
        AND (email_enc IS NULL) = (email_bidx IS NULL)
        AND (wechat_enc IS NULL) = (wechat_bidx IS NULL))
);
-- Claimed and released rows churn: vacuum the table eagerly (stack.md trap 10).
ALTER TABLE leads SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- Dedupe: at most one open lead per phone, email, wechat or company + name. Concurrent submissions
-- of the same person therefore create exactly one lead.
CREATE UNIQUE INDEX leads_open_phone ON leads (phone_bidx) WHERE state IN ('pooled', 'owned') AND phone_bidx IS NOT NULL;
CREATE UNIQUE INDEX leads_open_email ON leads (email_bidx) WHERE state IN ('pooled', 'owned') AND email_bidx IS NOT NULL;
CREATE UNIQUE INDEX leads_open_wechat ON leads (wechat_bidx) WHERE state IN ('pooled', 'owned') AND wechat_bidx IS NOT NULL;
CREATE UNIQUE INDEX leads_open_identity ON leads (identity_bidx) WHERE state IN ('pooled', 'owned') AND identity_bidx IS NOT NULL;
-- Exact search by contact data over all leads, open or not.
CREATE INDEX leads_phone_bidx_idx ON leads (phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX leads_email_bidx_idx ON leads (email_bidx) WHERE email_bidx IS NOT NULL;
-- Listing paths.
CREATE INDEX leads_pooled_idx ON leads (pool_id, id) WHERE state = 'pooled';
CREATE INDEX leads_owner_idx ON leads (owner_id, id) WHERE owner_id IS NOT NULL;
CREATE INDEX leads_created_at_idx ON leads (created_at, id);
CREATE INDEX leads_custom_idx ON leads USING gin (custom jsonb_path_ops);

-- Every later submission of a known lead: where it came from and what was sent (encrypted).
CREATE TABLE lead_touches (
    id                uuid        PRIMARY KEY,
    lead_id           uuid        NOT NULL REFERENCES leads (id),
    via               text        NOT NULL CHECK (via IN ('manual', 'intake', 'import')),
    source_channel    text        NOT NULL,
    source_detail     text,
    actor_id          uuid        REFERENCES users (id),
    payload_enc       bytea       NOT NULL,
    filled_fields     text[]      NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL
);
CREATE INDEX lead_touches_lead_id_idx ON lead_touches (lead_id, created_at);

-- The lead's timeline: creation, touches, edits. Contact values never appear here, only the
-- names of the contact fields that changed.
CREATE TABLE lead_events (
    id          uuid        PRIMARY KEY,
    lead_id     uuid        NOT NULL REFERENCES leads (id),
    kind        text        NOT NULL,
    actor_id    uuid        REFERENCES users (id),
    details     jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL
);
CREATE INDEX lead_events_lead_id_idx ON lead_events (lead_id, id);

-- Notifications for people (duplicates touching their leads now; recycle warnings and approval
-- outcomes later).
CREATE TABLE notifications (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id),
    kind        text        NOT NULL,
    lead_id     uuid        REFERENCES leads (id),
    message     text        NOT NULL,
    read_at     timestamptz,
    created_at  timestamptz NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
