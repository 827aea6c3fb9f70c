//! Leads, their touches, timeline events and notifications.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Nullable, Text};
use uuid::Uuid;

use crate::db::models::{Lead, LeadDataChanges, LeadEvent, LeadTouch, Notification};
use crate::db::schema::{lead_events, lead_touches, leads, notifications, users};

/// Inserts the lead unless an open lead already has one of its dedupe keys; `None` then.
pub fn insert_if_new(conn: &mut PgConnection, lead: &Lead) -> QueryResult<Option<Lead>> {
    diesel::insert_into(leads::table)
        .values(lead)
        .on_conflict_do_nothing()
        .returning(Lead::as_returning())
        .get_result(conn)
        .optional()
}

/// Inserts many leads at once, skipping those that an open lead (or an earlier row of the same
/// batch) already has a dedupe key of; returns the ids inserted.
pub fn insert_many_if_new(conn: &mut PgConnection, rows: &[Lead]) -> QueryResult<Vec<Uuid>> {
    let mut inserted = Vec::with_capacity(rows.len());
    // 28 columns a row: stay well under PostgreSQL's 65535 bind parameters.
    for batch in rows.chunks(1000) {
        let ids: Vec<Uuid> = diesel::insert_into(leads::table)
            .values(batch)
            .on_conflict_do_nothing()
            .returning(leads::id)
            .get_results(conn)?;
        inserted.extend(ids);
    }
    Ok(inserted)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Lead>> {
    leads::table
        .find(id)
        .select(Lead::as_select())
        .first(conn)
        .optional()
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Lead>> {
    leads::table
        .find(id)
        .select(Lead::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Whether an open lead has any of these dedupe keys (no lock: for reports).
pub fn open_duplicate_exists(conn: &mut PgConnection, keys: &[&[u8]]) -> QueryResult<bool> {
    let keys: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    let lookups = ALL_COLUMNS.map(|column| (column, keys.as_slice()));
    Ok(!open_ids_with_keys(conn, &lookups)?.is_empty())
}

/// The open lead that has any of these dedupe keys, checked in this order: phone, email, WeChat,
/// company + name. Locked for update.
pub fn find_open_duplicate(
    conn: &mut PgConnection,
    phone: Option<&[u8]>,
    email: Option<&[u8]>,
    wechat: Option<&[u8]>,
    identity: Option<&[u8]>,
) -> QueryResult<Option<Lead>> {
    let open = || {
        leads::table
            .filter(sql::<Bool>(OPEN_SQL))
            .select(Lead::as_select())
    };
    if let Some(key) = phone {
        if let Some(lead) = open()
            .filter(leads::phone_bidx.eq(key))
            .for_update()
            .first(conn)
            .optional()?
        {
            return Ok(Some(lead));
        }
    }
    if let Some(key) = email {
        if let Some(lead) = open()
            .filter(leads::email_bidx.eq(key))
            .for_update()
            .first(conn)
            .optional()?
        {
            return Ok(Some(lead));
        }
    }
    if let Some(key) = wechat {
        if let Some(lead) = open()
            .filter(leads::wechat_bidx.eq(key))
            .for_update()
            .first(conn)
            .optional()?
        {
            return Ok(Some(lead));
        }
    }
    if let Some(key) = identity {
        if let Some(lead) = open()
            .filter(leads::identity_bidx.eq(key))
            .for_update()
            .first(conn)
            .optional()?
        {
            return Ok(Some(lead));
        }
    }
    Ok(None)
}

/// Another open lead (not `except`) with this contact key in the given column.
pub fn open_lead_with(
    conn: &mut PgConnection,
    column: ContactColumn,
    key: &[u8],
    except: Uuid,
) -> QueryResult<Option<Uuid>> {
    let ids = open_ids_with_keys(conn, &[(column, &[key.to_vec()])])?;
    Ok(ids.into_iter().find(|id| *id != except))
}

/// The open-state condition written out: a partial index on open leads can serve a query that
/// has it in its text, even as a generic plan of a prepared statement (a bound `state = ANY($1)`
/// cannot prove the index's predicate).
const OPEN_SQL: &str = "leads.state IN ('pooled', 'owned')";

/// The ids (sorted, once each) of the open leads that have any of these keys in the matching
/// column, looked up column by column, each through its partial unique index.
fn open_ids_with_keys(
    conn: &mut PgConnection,
    lookups: &[(ContactColumn, &[Vec<u8>])],
) -> QueryResult<Vec<Uuid>> {
    let mut ids: Vec<Uuid> = Vec::new();
    for &(column, keys) in lookups {
        if keys.is_empty() {
            continue;
        }
        let query = leads::table
            .filter(sql::<Bool>(OPEN_SQL))
            .select(leads::id)
            .into_boxed();
        let query = match column {
            ContactColumn::Phone => query.filter(leads::phone_bidx.eq_any(keys)),
            ContactColumn::Email => query.filter(leads::email_bidx.eq_any(keys)),
            ContactColumn::Wechat => query.filter(leads::wechat_bidx.eq_any(keys)),
            ContactColumn::Identity => query.filter(leads::identity_bidx.eq_any(keys)),
        };
        ids.extend(query.load::<Uuid>(conn)?);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// Locks (in id order) and returns the open leads that have any of these keys in the matching
/// column (one statement ORing the four columns went to a sequential scan once its prepared
/// plan turned generic: 3 s a lookup on 650,000 leads).
pub fn lock_open_with_keys(
    conn: &mut PgConnection,
    phones: &[Vec<u8>],
    emails: &[Vec<u8>],
    wechats: &[Vec<u8>],
    identities: &[Vec<u8>],
) -> QueryResult<Vec<Lead>> {
    let ids = open_ids_with_keys(
        conn,
        &[
            (ContactColumn::Phone, phones),
            (ContactColumn::Email, emails),
            (ContactColumn::Wechat, wechats),
            (ContactColumn::Identity, identities),
        ],
    )?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Locked rows are read again as they are now: one closed meanwhile drops out here, and one
    // whose keys changed is matched by the keys it has now.
    leads::table
        .filter(leads::id.eq_any(ids))
        .filter(sql::<Bool>(OPEN_SQL))
        .order(leads::id)
        .select(Lead::as_select())
        .for_update()
        .load(conn)
}

const ALL_COLUMNS: [ContactColumn; 4] = [
    ContactColumn::Phone,
    ContactColumn::Email,
    ContactColumn::Wechat,
    ContactColumn::Identity,
];

/// The dedupe key columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactColumn {
    Phone,
    Email,
    Wechat,
    Identity,
}

pub fn update_data(
    conn: &mut PgConnection,
    id: Uuid,
    changes: &LeadDataChanges,
) -> QueryResult<Lead> {
    diesel::update(leads::table.find(id))
        .set(changes)
        .returning(Lead::as_returning())
        .get_result(conn)
}

/// Whose leads a listing may show.
#[derive(Debug, Clone)]
pub enum LeadScope {
    All,
    /// Leads owned by this person.
    OwnedBy(Uuid),
    /// Leads owned by this manager or by members of the teams they manage.
    ManagedBy(Uuid),
    /// The pooled leads of this pool.
    PooledIn(Uuid),
}

/// Fields `missing=` can ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadColumn {
    Name,
    Company,
    Phone,
    Email,
    Wechat,
    Province,
    City,
    Industry,
    CompanySize,
    Needs,
    Grade,
}

/// Filters of a lead listing, already parsed.
#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub state: Option<crate::domain::lead::LeadState>,
    pub stage: Option<crate::domain::lead::Stage>,
    pub pool_id: Option<Uuid>,
    pub owner_id: Option<Uuid>,
    pub source_channel: Option<crate::domain::lead::SourceChannel>,
    pub industry: Option<String>,
    pub grade: Option<crate::domain::lead::Grade>,
    pub province: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Free text: matched as a substring of name and company (and searchable custom fields) ...
    pub q_pattern: Option<String>,
    /// ... or exactly, through blind indexes, against phone, email and WeChat.
    pub q_phone: Option<Vec<u8>>,
    pub q_email: Option<Vec<u8>>,
    pub q_wechat: Option<Vec<u8>>,
    pub q_custom_keys: Vec<String>,
    pub missing: Vec<LeadColumn>,
    /// JSON objects the `custom` column must contain.
    pub custom: Vec<serde_json::Value>,
}

type LeadPredicate = Box<dyn BoxableExpression<leads::table, Pg, SqlType = Nullable<Bool>>>;

pub fn list(
    conn: &mut PgConnection,
    scope: &LeadScope,
    filter: &LeadFilter,
    after: Option<Uuid>,
    newest_first: bool,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    let mut query = leads::table.select(Lead::as_select()).into_boxed();
    match scope {
        LeadScope::All => {}
        LeadScope::OwnedBy(user) => query = query.filter(leads::owner_id.eq(*user)),
        LeadScope::PooledIn(pool) => {
            query = query
                .filter(leads::state.eq("pooled"))
                .filter(leads::pool_id.eq(*pool))
        }
        LeadScope::ManagedBy(manager) => {
            let managed_teams = crate::managed_teams!(*manager);
            let members = users::table
                .filter(users::team_id.eq_any(managed_teams))
                .select(users::id.nullable());
            query = query.filter(
                leads::owner_id
                    .eq_any(members)
                    .or(leads::owner_id.eq(*manager)),
            );
        }
    }
    if let Some(v) = &filter.state {
        query = query.filter(leads::state.eq(*v));
    }
    if let Some(v) = &filter.stage {
        query = query.filter(leads::stage.eq(*v));
    }
    if let Some(v) = filter.pool_id {
        query = query.filter(leads::pool_id.eq(v));
    }
    if let Some(v) = filter.owner_id {
        query = query.filter(leads::owner_id.eq(v));
    }
    if let Some(v) = &filter.source_channel {
        query = query.filter(leads::source_channel.eq(*v));
    }
    if let Some(v) = &filter.industry {
        query = query.filter(leads::industry.eq(v.clone()));
    }
    if let Some(v) = &filter.grade {
        query = query.filter(leads::grade.eq(*v));
    }
    if let Some(v) = &filter.province {
        query = query.filter(leads::province.eq(v.clone()));
    }
    if let Some(v) = filter.created_from {
        query = query.filter(leads::created_at.ge(v));
    }
    if let Some(v) = filter.created_to {
        query = query.filter(leads::created_at.lt(v));
    }
    if let Some(v) = filter.updated_from {
        query = query.filter(leads::updated_at.ge(v));
    }
    if let Some(v) = filter.updated_to {
        query = query.filter(leads::updated_at.lt(v));
    }
    // `q`: any of a substring match on names (and searchable custom fields) or an exact match of
    // a contact field through its blind index.
    let mut any: Option<LeadPredicate> = None;
    let mut either = |p: LeadPredicate| {
        any = Some(match any.take() {
            Some(a) => Box::new(a.or(p)),
            None => p,
        });
    };
    if let Some(pattern) = &filter.q_pattern {
        either(Box::new(
            leads::name
                .ilike(pattern.clone())
                .or(leads::company.ilike(pattern.clone())),
        ));
        for key in &filter.q_custom_keys {
            either(Box::new(
                sql::<Nullable<Bool>>("(custom ->> ")
                    .bind::<Text, _>(key.clone())
                    .sql(") ILIKE ")
                    .bind::<Text, _>(pattern.clone()),
            ));
        }
    }
    if let Some(k) = &filter.q_phone {
        either(Box::new(leads::phone_bidx.eq(k.clone())));
    }
    if let Some(k) = &filter.q_email {
        either(Box::new(leads::email_bidx.eq(k.clone())));
    }
    if let Some(k) = &filter.q_wechat {
        either(Box::new(leads::wechat_bidx.eq(k.clone())));
    }
    if let Some(any) = any {
        query = query.filter(any);
    }
    for column in &filter.missing {
        query = match column {
            LeadColumn::Name => query.filter(leads::name.is_null()),
            LeadColumn::Company => query.filter(leads::company.is_null()),
            LeadColumn::Phone => query.filter(leads::phone_bidx.is_null()),
            LeadColumn::Email => query.filter(leads::email_bidx.is_null()),
            LeadColumn::Wechat => query.filter(leads::wechat_bidx.is_null()),
            LeadColumn::Province => query.filter(leads::province.is_null()),
            LeadColumn::City => query.filter(leads::city.is_null()),
            LeadColumn::Industry => query.filter(leads::industry.is_null()),
            LeadColumn::CompanySize => query.filter(leads::company_size.is_null()),
            LeadColumn::Needs => query.filter(leads::needs.is_null()),
            LeadColumn::Grade => query.filter(leads::grade.is_null()),
        };
    }
    for contained in &filter.custom {
        query = query.filter(leads::custom.contains(contained.clone()));
    }
    if newest_first {
        if let Some(after) = after {
            query = query.filter(leads::id.lt(after));
        }
        query = query.order(leads::id.desc());
    } else {
        if let Some(after) = after {
            query = query.filter(leads::id.gt(after));
        }
        query = query.order(leads::id.asc());
    }
    query.limit(limit).load(conn)
}

pub fn insert_touches(conn: &mut PgConnection, touches: &[LeadTouch]) -> QueryResult<()> {
    for batch in touches.chunks(2000) {
        diesel::insert_into(lead_touches::table)
            .values(batch)
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_event(conn: &mut PgConnection, event: &LeadEvent) -> QueryResult<()> {
    diesel::insert_into(lead_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

/// Timeline entries: one (a prepared statement), or many as arrays unnested in one statement of
/// fixed text (no parse and plan of thousands of placeholders per batch).
pub fn insert_events(conn: &mut PgConnection, events: &[LeadEvent]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Jsonb, Timestamptz, Uuid as SqlUuid};
    if let [one] = events {
        diesel::insert_into(lead_events::table)
            .values(one)
            .execute(conn)?;
        return Ok(());
    }
    for batch in events.chunks(10_000) {
        crate::db::prepared::prepared(
            "INSERT INTO lead_events (id, lead_id, kind, actor_id, details, created_at)
             SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::jsonb[],
                                  $6::timestamptz[])",
        )
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|e| e.id).collect::<Vec<_>>())
        .bind::<Array<SqlUuid>, _>(batch.iter().map(|e| e.lead_id).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(batch.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>())
        .bind::<Array<Nullable<SqlUuid>>, _>(batch.iter().map(|e| e.actor_id).collect::<Vec<_>>())
        .bind::<Array<Jsonb>, _>(batch.iter().map(|e| &e.details).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(batch.iter().map(|e| e.created_at).collect::<Vec<_>>())
        .execute(conn)?;
    }
    Ok(())
}

pub fn events(
    conn: &mut PgConnection,
    lead_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<LeadEvent>> {
    let mut query = lead_events::table
        .filter(lead_events::lead_id.eq(lead_id))
        .select(LeadEvent::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(lead_events::id.gt(after));
    }
    query.order(lead_events::id.asc()).limit(limit).load(conn)
}

pub fn insert_notification(
    conn: &mut PgConnection,
    notification: &Notification,
) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values(notification)
        .execute(conn)
        .map(|_| ())
}
