//! The pool engine over HTTP: the masked pool view, claims, assignments, `next-lead`,
//! distribution, claim records and stored decisions.

mod assign;
mod claim;
mod decisions;
mod distribution;
mod list;
mod next;
mod pool_view;

pub use assign::*;
pub use claim::*;
pub use decisions::*;
pub use distribution::*;
pub use list::*;
pub use next::*;
pub use pool_view::*;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams, parse_query};
use super::page_params;
use crate::AppState;
use crate::auth::{AuthUser, Supervisor};
use crate::crypto::{Purpose, Vault};
use crate::db::{self, models::Claim, models::Decision, models::Lead};
use crate::domain::claim::{ClaimEnd, ClaimStart};
use crate::domain::eligibility::Candidate;
use crate::domain::lead::{Grade, SourceChannel};
use crate::domain::mask;
use crate::dto::lead::{LeadResponse, ListOrder, active_keys, lead_response, split_custom};
use crate::error::{AppError, Problem};
use crate::repo::claims::{ClaimFilter, DecisionFilter};
use crate::service::claims::{Distribution, Stop, Taken};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(pool_leads)
        .service(next_lead)
        .service(distribute)
        .service(claim_lead)
        .service(assign_lead)
        .service(list_claims)
        .service(list_claims_csv)
        .service(list_decisions)
        .service(get_decision);
}

super::page_type!(PoolLeadPage, PoolLeadResponse);
super::page_type!(ClaimPage, ClaimResponse);
super::page_type!(DecisionPage, DecisionResponse);
