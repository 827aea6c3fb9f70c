//! `/leads`: manual entry, scoped reads and search, data edits, and the timeline.

mod bulk;
mod bulk_actions;
mod create;
mod export;
mod get;
mod list;
mod timeline;
mod update;

pub use crate::dto::lead::*;
pub use bulk::*;
use bulk_actions::*;
pub use create::*;
use export::*;
pub use get::*;
pub use list::*;
pub use timeline::*;
pub use update::*;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
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
use crate::auth::AuthUser;
use crate::db::{self, models::LeadEvent};
use crate::domain::custom_field::FieldDef;
use crate::domain::lead::{Grade, LeadState, RawLead, SourceChannel, Stage, clean_lead};
use crate::error::{AppError, FieldError, Problem};
use crate::service::leads::{Outcome, Submission, Via};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_leads)
        .service(list_leads_csv)
        .service(create_lead)
        .service(get_lead)
        .service(update_lead)
        .service(lead_timeline);
}

/// The bulk actions. Registered before every `/leads/{id}/...` route, which would otherwise take
/// `/leads/bulk/...` with `bulk` as the id (actix tries routes in the order they were added).
pub fn configure_bulk(cfg: &mut ServiceConfig) {
    cfg.service(bulk_assign)
        .service(bulk_transfer)
        .service(bulk_release)
        .service(bulk_close)
        .service(bulk_update);
}

super::page_type!(LeadPage, LeadResponse);
super::page_type!(TimelinePage, TimelineEntry);
