// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "pg_snapshot", schema = "pg_catalog"))]
    pub struct PgSnapshot;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "xid8", schema = "pg_catalog"))]
    pub struct Xid8;
}

diesel::table! {
    action_rate_windows (user_id, action) {
        user_id -> Uuid,
        action -> Text,
        window_start -> Timestamptz,
        attempts -> Int4,
    }
}

diesel::table! {
    approvals (id) {
        id -> Uuid,
        kind -> Text,
        lead_id -> Uuid,
        claim_id -> Uuid,
        requester_id -> Uuid,
        status -> Text,
        reason_code -> Nullable<Text>,
        note -> Nullable<Text>,
        to_pool_id -> Nullable<Uuid>,
        to_user_id -> Nullable<Uuid>,
        decided_by -> Nullable<Uuid>,
        comment -> Nullable<Text>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        object_type -> Text,
        object_id -> Nullable<Uuid>,
        lead_id -> Nullable<Uuid>,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    claim_decisions (id) {
        id -> Uuid,
        kind -> Text,
        pool_id -> Nullable<Uuid>,
        lead_id -> Nullable<Uuid>,
        actor_id -> Nullable<Uuid>,
        outcome -> Text,
        chosen_user_id -> Nullable<Uuid>,
        code -> Nullable<Text>,
        candidates -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    claims (id) {
        id -> Uuid,
        lead_id -> Uuid,
        pool_id -> Nullable<Uuid>,
        user_id -> Uuid,
        started_at -> Timestamptz,
        started_day -> Date,
        started_how -> Text,
        started_by -> Nullable<Uuid>,
        quota_override -> Bool,
        decision_id -> Nullable<Uuid>,
        ended_at -> Nullable<Timestamptz>,
        end_reason -> Nullable<Text>,
        ended_by -> Nullable<Uuid>,
        first_follow_up_at -> Nullable<Timestamptz>,
        pooled_since -> Nullable<Timestamptz>,
        lead_created_at -> Timestamptz,
    }
}

diesel::table! {
    crypto_keys (purpose, key_id) {
        purpose -> Text,
        key_id -> Bytea,
        first_used -> Timestamptz,
    }
}

diesel::table! {
    follow_ups (id) {
        id -> Uuid,
        lead_id -> Uuid,
        claim_id -> Nullable<Uuid>,
        user_id -> Uuid,
        #[sql_name = "type"]
        type_ -> Text,
        content -> Text,
        feedback -> Nullable<Text>,
        outcome -> Nullable<Text>,
        stage_from -> Nullable<Text>,
        stage_to -> Nullable<Text>,
        next_follow_up_at -> Nullable<Timestamptz>,
        corrects_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    hand_over_items (hand_over_id, lead_id) {
        hand_over_id -> Uuid,
        lead_id -> Uuid,
        kind -> Text,
        outcome -> Text,
        to_user_id -> Nullable<Uuid>,
        to_pool_id -> Nullable<Uuid>,
        code -> Nullable<Text>,
        detail -> Nullable<Text>,
        at -> Timestamptz,
    }
}

diesel::table! {
    hand_overs (id) {
        id -> Uuid,
        user_id -> Uuid,
        requested_by -> Uuid,
        to_user_ids -> Array<Uuid>,
        to_pool_id -> Nullable<Uuid>,
        override_quota -> Bool,
        reason -> Nullable<Text>,
        status -> Text,
        started_at -> Timestamptz,
        heartbeat_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    idempotency_keys (source_id, key) {
        source_id -> Uuid,
        key -> Text,
        request_hash -> Bytea,
        claim -> Uuid,
        status -> Nullable<Int2>,
        response_enc -> Nullable<Bytea>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    import_chunks (import_id, seq) {
        import_id -> Uuid,
        seq -> Int4,
        first_row -> Int4,
        rows_enc -> Bytea,
        done -> Bool,
    }
}

diesel::table! {
    import_rejects (import_id, row_no) {
        import_id -> Uuid,
        row_no -> Int4,
        raw_enc -> Bytea,
        reason -> Text,
    }
}

diesel::table! {
    imports (id) {
        id -> Uuid,
        uploaded_by -> Uuid,
        dry_run -> Bool,
        status -> Text,
        file_name -> Nullable<Text>,
        encoding -> Text,
        header -> Array<Text>,
        mapping -> Jsonb,
        pool_id -> Nullable<Uuid>,
        source_channel -> Text,
        rows_total -> Int4,
        rows_done -> Int4,
        created -> Int4,
        merged -> Int4,
        rejected -> Int4,
        duplicates_in_file -> Int4,
        duplicates_in_db -> Int4,
        chunks_total -> Int4,
        chunks_done -> Int4,
        lease_until -> Nullable<Timestamptz>,
        lease_token -> Nullable<Uuid>,
        error -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    intake_quarantine (id) {
        id -> Uuid,
        source_id -> Uuid,
        payload_enc -> Bytea,
        reasons -> Array<Text>,
        status -> Text,
        lead_id -> Nullable<Uuid>,
        decided_by -> Nullable<Uuid>,
        decided_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    intake_rate_windows (source_id, window_start) {
        source_id -> Uuid,
        window_start -> Timestamptz,
        count -> Int4,
    }
}

diesel::table! {
    intake_sources (id) {
        id -> Uuid,
        name -> Text,
        channel -> Text,
        rate_limit_per_minute -> Int4,
        token_hash -> Bytea,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Xid8;

    lead_events (id) {
        id -> Uuid,
        lead_id -> Uuid,
        kind -> Text,
        actor_id -> Nullable<Uuid>,
        details -> Jsonb,
        created_at -> Timestamptz,
        tx -> Nullable<Xid8>,
    }
}

diesel::table! {
    lead_fields (key) {
        key -> Text,
        label -> Text,
        field_type -> Text,
        options -> Array<Text>,
        required -> Bool,
        searchable -> Bool,
        position -> Int4,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    lead_touches (id) {
        id -> Uuid,
        lead_id -> Uuid,
        via -> Text,
        source_channel -> Text,
        source_detail -> Nullable<Text>,
        actor_id -> Nullable<Uuid>,
        payload_enc -> Bytea,
        filled_fields -> Array<Text>,
        created_at -> Timestamptz,
        intake_source_id -> Nullable<Uuid>,
        import_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    leads (id) {
        id -> Uuid,
        pool_id -> Nullable<Uuid>,
        state -> Text,
        stage -> Nullable<Text>,
        owner_id -> Nullable<Uuid>,
        name -> Nullable<Text>,
        company -> Nullable<Text>,
        phone_enc -> Nullable<Bytea>,
        phone_bidx -> Nullable<Bytea>,
        email_enc -> Nullable<Bytea>,
        email_bidx -> Nullable<Bytea>,
        wechat_enc -> Nullable<Bytea>,
        wechat_bidx -> Nullable<Bytea>,
        identity_bidx -> Nullable<Bytea>,
        province -> Nullable<Text>,
        city -> Nullable<Text>,
        industry -> Nullable<Text>,
        company_size -> Nullable<Text>,
        needs -> Nullable<Text>,
        grade -> Nullable<Text>,
        source_channel -> Text,
        source_detail -> Nullable<Text>,
        tags -> Array<Text>,
        custom -> Jsonb,
        created_by -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        import_id -> Nullable<Uuid>,
        claimed_at -> Nullable<Timestamptz>,
        claimed_from_pool -> Bool,
        last_follow_up_at -> Nullable<Timestamptz>,
        follow_ups_since_progress -> Int4,
        next_follow_up_at -> Nullable<Timestamptz>,
        recycle_at -> Nullable<Timestamptz>,
        recycle_reason -> Nullable<Text>,
        recycle_warned_at -> Nullable<Timestamptz>,
        pooled_at -> Nullable<Timestamptz>,
        first_claimed_at -> Nullable<Timestamptz>,
        converted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    login_failures (key) {
        key -> Text,
        failures -> Int4,
        window_start -> Timestamptz,
        blocked_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        lead_id -> Nullable<Uuid>,
        message -> Text,
        read_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pool_member_teams (pool_id, team_id) {
        pool_id -> Uuid,
        team_id -> Uuid,
    }
}

diesel::table! {
    pool_member_users (pool_id, user_id) {
        pool_id -> Uuid,
        user_id -> Uuid,
    }
}

diesel::table! {
    pool_rule_versions (pool_id, version) {
        pool_id -> Uuid,
        version -> Int4,
        rules -> Jsonb,
        diff -> Jsonb,
        changed_by -> Nullable<Uuid>,
        changed_at -> Timestamptz,
    }
}

diesel::table! {
    pools (id) {
        id -> Uuid,
        name -> Text,
        description -> Text,
        is_default -> Bool,
        routing_priority -> Int4,
        routing -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        rules -> Jsonb,
        rules_version -> Int4,
        member_sub_teams -> Bool,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        user_id -> Uuid,
        token_hash -> Bytea,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    report_follow_up_hours (day, hour) {
        day -> Date,
        hour -> Int2,
        follow_ups -> Int4,
        advanced -> Int4,
        converted_within_7_days -> Int4,
        converted_not_advanced -> Int4,
    }
}

diesel::table! {
    report_follow_up_user_hours (user_id, day, hour) {
        user_id -> Uuid,
        day -> Date,
        hour -> Int2,
        follow_ups -> Int4,
        advanced -> Int4,
        converted_within_7_days -> Int4,
        converted_not_advanced -> Int4,
    }
}

diesel::table! {
    report_hold_days (day, user_id, pool_id) {
        day -> Date,
        user_id -> Uuid,
        pool_id -> Uuid,
        started -> Int4,
        started_recycled -> Int4,
    }
}

diesel::table! {
    report_holdings (user_id) {
        user_id -> Uuid,
        held -> Int4,
    }
}

diesel::table! {
    report_person_days (day, user_id) {
        day -> Date,
        user_id -> Uuid,
        started_self_claim -> Int4,
        started_capability -> Int4,
        started_round_robin -> Int4,
        started_manager_assign -> Int4,
        started_transfer -> Int4,
        started_intake_route -> Int4,
        started_followed_up -> Int4,
        started_converted -> Int4,
        started_recycled -> Int4,
        ended_released -> Int4,
        ended_transferred -> Int4,
        ended_converted -> Int4,
        ended_closed -> Int4,
        ended_reassigned -> Int4,
        ended_recycled_no_first_follow_up -> Int4,
        ended_recycled_no_contact -> Int4,
        ended_recycled_no_progress -> Int4,
        ended_recycled_no_deal -> Int4,
        follow_ups -> Int4,
        follow_ups_call -> Int4,
        follow_ups_visit -> Int4,
        follow_ups_wechat -> Int4,
        follow_ups_email -> Int4,
        follow_ups_sms -> Int4,
        follow_ups_meeting -> Int4,
        follow_ups_other -> Int4,
    }
}

diesel::table! {
    report_pool_backlog (pool_id) {
        pool_id -> Uuid,
        pooled -> Int4,
    }
}

diesel::table! {
    report_pool_days (day, pool_id) {
        day -> Date,
        pool_id -> Uuid,
        started_self_claim -> Int4,
        started_capability -> Int4,
        started_round_robin -> Int4,
        started_manager_assign -> Int4,
        ended_released -> Int4,
        ended_recycled -> Int4,
        created_intake -> Int4,
        created_import -> Int4,
        created_manual -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::PgSnapshot;

    report_projection (id) {
        id -> Int2,
        watermark -> Nullable<PgSnapshot>,
        time_zone -> Text,
        projected_at -> Nullable<Timestamptz>,
        folded -> Int8,
    }
}

diesel::table! {
    rotation_members (pool_id, user_id) {
        pool_id -> Uuid,
        user_id -> Uuid,
        pass -> Int8,
        was_eligible -> Bool,
        served -> Int4,
    }
}

diesel::table! {
    rotation_pools (pool_id) {
        pool_id -> Uuid,
        vtime -> Int8,
    }
}

diesel::table! {
    settings (key) {
        key -> Text,
        value -> Jsonb,
        updated_by -> Nullable<Uuid>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sweep_runs (id) {
        id -> Uuid,
        requested_by -> Nullable<Uuid>,
        started_at -> Timestamptz,
        heartbeat_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        status -> Text,
        recycled -> Int4,
        recycled_by_reason -> Jsonb,
        warned -> Int4,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    team_tree (ancestor_id, team_id) {
        ancestor_id -> Uuid,
        team_id -> Uuid,
        depth -> Int4,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        name -> Text,
        manager_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        parent_id -> Nullable<Uuid>,
    }
}

diesel::table! {
    users (id) {
        id -> Uuid,
        name -> Text,
        email -> Text,
        role -> Text,
        team_id -> Nullable<Uuid>,
        tier -> Nullable<Int4>,
        active -> Bool,
        on_leave_from -> Nullable<Timestamptz>,
        on_leave_until -> Nullable<Timestamptz>,
        password_hash -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        tier_pinned -> Bool,
        token_version -> Int4,
    }
}

diesel::joinable!(action_rate_windows -> users (user_id));
diesel::joinable!(approvals -> claims (claim_id));
diesel::joinable!(approvals -> leads (lead_id));
diesel::joinable!(approvals -> pools (to_pool_id));
diesel::joinable!(audit_log -> leads (lead_id));
diesel::joinable!(audit_log -> users (actor_id));
diesel::joinable!(claim_decisions -> leads (lead_id));
diesel::joinable!(claim_decisions -> pools (pool_id));
diesel::joinable!(claims -> claim_decisions (decision_id));
diesel::joinable!(claims -> leads (lead_id));
diesel::joinable!(claims -> pools (pool_id));
diesel::joinable!(follow_ups -> claims (claim_id));
diesel::joinable!(follow_ups -> leads (lead_id));
diesel::joinable!(follow_ups -> users (user_id));
diesel::joinable!(idempotency_keys -> intake_sources (source_id));
diesel::joinable!(hand_over_items -> hand_overs (hand_over_id));
diesel::joinable!(hand_over_items -> leads (lead_id));
diesel::joinable!(hand_over_items -> pools (to_pool_id));
diesel::joinable!(hand_over_items -> users (to_user_id));
diesel::joinable!(hand_overs -> pools (to_pool_id));
diesel::joinable!(import_chunks -> imports (import_id));
diesel::joinable!(import_rejects -> imports (import_id));
diesel::joinable!(imports -> pools (pool_id));
diesel::joinable!(imports -> users (uploaded_by));
diesel::joinable!(intake_quarantine -> intake_sources (source_id));
diesel::joinable!(intake_quarantine -> leads (lead_id));
diesel::joinable!(intake_quarantine -> users (decided_by));
diesel::joinable!(intake_rate_windows -> intake_sources (source_id));
diesel::joinable!(intake_sources -> users (created_by));
diesel::joinable!(lead_events -> leads (lead_id));
diesel::joinable!(lead_events -> users (actor_id));
diesel::joinable!(lead_touches -> imports (import_id));
diesel::joinable!(lead_touches -> intake_sources (intake_source_id));
diesel::joinable!(lead_touches -> leads (lead_id));
diesel::joinable!(lead_touches -> users (actor_id));
diesel::joinable!(leads -> imports (import_id));
diesel::joinable!(leads -> pools (pool_id));
diesel::joinable!(notifications -> leads (lead_id));
diesel::joinable!(notifications -> users (user_id));
diesel::joinable!(pool_member_teams -> pools (pool_id));
diesel::joinable!(pool_member_teams -> teams (team_id));
diesel::joinable!(pool_member_users -> pools (pool_id));
diesel::joinable!(pool_member_users -> users (user_id));
diesel::joinable!(pool_rule_versions -> pools (pool_id));
diesel::joinable!(pool_rule_versions -> users (changed_by));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(rotation_members -> pools (pool_id));
diesel::joinable!(rotation_members -> users (user_id));
diesel::joinable!(rotation_pools -> pools (pool_id));
diesel::joinable!(settings -> users (updated_by));
diesel::joinable!(sweep_runs -> users (requested_by));

diesel::allow_tables_to_appear_in_same_query!(
    action_rate_windows,
    approvals,
    audit_log,
    claim_decisions,
    claims,
    crypto_keys,
    follow_ups,
    hand_over_items,
    hand_overs,
    idempotency_keys,
    import_chunks,
    import_rejects,
    imports,
    intake_quarantine,
    intake_rate_windows,
    intake_sources,
    lead_events,
    lead_fields,
    lead_touches,
    leads,
    login_failures,
    notifications,
    pool_member_teams,
    pool_member_users,
    pool_rule_versions,
    pools,
    refresh_tokens,
    report_follow_up_hours,
    report_follow_up_user_hours,
    report_hold_days,
    report_holdings,
    report_person_days,
    report_pool_backlog,
    report_pool_days,
    report_projection,
    rotation_members,
    rotation_pools,
    settings,
    sweep_runs,
    team_tree,
    teams,
    users,
);
