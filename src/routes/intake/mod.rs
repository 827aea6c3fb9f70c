//! Web-form intake (`/intake/leads`, for integrators with a source token), intake sources and the
//! quarantine (admin).

mod answer;
mod quarantine;
mod request;
mod sources;
mod submit;

pub use answer::*;
pub use quarantine::*;
pub use request::*;
pub use sources::*;
pub use submit::*;

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::Admin;
use crate::db::{self, models::IntakeSource, models::QuarantineEntry};
use crate::domain::lead::{RawLead, SourceChannel};

use crate::error::{AppError, FieldError, Problem};
use crate::service::intake::{IntakeItem, ItemResult, Push, Pushed};
use crate::service::{self};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(intake_leads)
        .service(list_sources)
        .service(create_source)
        .service(delete_source)
        .service(list_quarantine)
        .service(accept_quarantined)
        .service(discard_quarantined);
}

super::page_type!(QuarantinePage, QuarantineResponse);
