//! Each pool's quota as it stands for one person (shown by `GET /me`).

use super::*;

/// What a person may still do in each of their pools today (for `/me`).
#[derive(Debug, Clone)]
pub struct PoolQuota {
    pub pool_id: Uuid,
    pub pool_name: String,
    pub claim_mode: ClaimMode,
    pub quota: Quota,
    pub owned: i64,
    pub claimed_today: i64,
}

pub fn quotas_of(
    conn: &mut PgConnection,
    user: &User,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Vec<PoolQuota>, AppError> {
    let mut out = Vec::new();
    let today = local_day(now, tz);
    for pool_id in repo::pools::ids_for_member(conn, user.id)? {
        let Some(pool) = repo::pools::find(conn, pool_id)? else {
            continue;
        };
        let (rules, _) = pool_rules(conn, pool_id)?;
        let owned = repo::claims::owned_counts(conn, pool_id, &[user.id])?
            .first()
            .map_or(0, |(_, n)| *n);
        let claimed_today = repo::claims::claimed_on_day_counts(conn, pool_id, &[user.id], today)?
            .first()
            .map_or(0, |(_, n)| *n);
        out.push(PoolQuota {
            pool_id,
            pool_name: pool.name,
            claim_mode: rules.claim_mode,
            quota: rules.quota_for(user.tier),
            owned,
            claimed_today,
        });
    }
    out.sort_by(|a, b| a.pool_name.cmp(&b.pool_name));
    Ok(out)
}
