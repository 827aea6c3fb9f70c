//! `POST /pools/{id}/distribute`: a manager hands out a pool's leads among its members.

use super::*;

/// How many leads to hand out.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DistributeRequest {
    /// At most this many leads (1 to 500).
    #[validate(range(min = 1, max = 500))]
    #[schema(minimum = 1, maximum = 500)]
    pub count: i64,
}

/// Why a distribution stopped.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DistributionStop {
    /// Handed out as many as asked.
    Done,
    /// No pooled lead left that an eligible member may take.
    PoolEmpty,
    /// Nobody is eligible (see `candidates` for why).
    NoEligibleMember,
}

/// One lead handed out.
#[derive(Debug, Serialize, ToSchema)]
pub struct Assignment {
    pub lead_id: Uuid,
    pub user_id: Uuid,
    pub claim_id: Uuid,
    pub decision_id: Uuid,
    /// Everyone considered for this lead and why each was skipped (`pass`: their place in the
    /// rotation; the eligible one with the lowest pass gets the lead).
    #[schema(value_type = Vec<Candidate>)]
    pub candidates: Value,
}

/// The outcome of a distribution.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistributionResponse {
    pub assigned: Vec<Assignment>,
    pub stopped: DistributionStop,
    /// The members at the end and why each would be skipped now.
    pub candidates: Vec<Candidate>,
}

impl From<Distribution> for DistributionResponse {
    fn from(d: Distribution) -> Self {
        Self {
            assigned: d
                .taken
                .into_iter()
                .map(|t| Assignment {
                    lead_id: t.lead.id,
                    user_id: t.claim.user_id,
                    claim_id: t.claim.id,
                    decision_id: t.decision.id,
                    candidates: t.decision.candidates,
                })
                .collect(),
            stopped: match d.stop {
                Stop::Done => DistributionStop::Done,
                Stop::PoolEmpty => DistributionStop::PoolEmpty,
                Stop::NoEligibleMember => DistributionStop::NoEligibleMember,
            },
            candidates: d.last_candidates,
        }
    }
}

/// Hands out up to `count` pooled leads to eligible members (managers and admins)
///
/// Leads go now to eligible members in rotation (admins: all members; managers: members of their
/// teams), skipping the inactive, those on leave and those at a quota, honouring weights, and
/// keeping the fairness balance of the round robin. Safe with several instances (the pool's
/// rotation is locked while it runs). Each assignment carries its explanation.
#[utoipa::path(
    tag = "claims",
    params(("id" = Uuid, Path, description = "Pool id")),
    request_body = DistributeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "What was handed out, with each decision", body = DistributionResponse),
        crate::routes::responses::JsonBodyRefused,
        crate::routes::responses::Unauthenticated,
        (status = 403, description = "Salespeople may not distribute", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such pool, or a manager who is not a member", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`", body = Problem, content_type = "application/problem+json"),
        crate::routes::responses::Unavailable,
    )
)]
#[post("/pools/{id}/distribute")]
pub(super) async fn distribute(
    state: web::Data<AppState>,
    user: Supervisor,
    id: web::Path<Uuid>,
    body: JsonBody<DistributeRequest>,
) -> Result<web::Json<DistributionResponse>, AppError> {
    let pool_id = id.into_inner();
    let count = body.into_inner().count as usize;
    let now = state.clock.now();
    let tz = state.config.timezone;
    let distribution = db::transaction(&state.pool, move |conn| {
        service::claims::distribute(conn, &user, pool_id, count, now, tz)
    })
    .await?;
    for taken in &distribution.taken {
        state.metrics.claimed(taken.claim.started_how.as_str());
    }
    Ok(web::Json(distribution.into()))
}
