//! The lead lifecycle over HTTP: follow-ups, release, transfer, close, approvals, the agenda,
//! notifications and the recycle sweep.

mod agenda_view;
mod approvals;
mod follow_ups;
mod hand_over;
mod notifications;

pub use agenda_view::*;
pub use approvals::*;
pub use follow_ups::*;
pub use hand_over::*;
pub use notifications::*;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;
use validator::Validate;

use super::extract::{JsonBody, QueryParams};
use super::page_params;
use crate::AppState;
use crate::auth::{AuthUser, Supervisor};
use crate::db::{
    self,
    models::{Approval, FollowUp, Notification},
};
use crate::domain::claim::ClaimEnd;
use crate::domain::follow_up::FollowUpType;
use crate::domain::lead::Stage;
use crate::dto::lead::{LeadResponse, lead_response};
use crate::error::{AppError, Problem};
use crate::repo::lifecycle::FollowUpFilter;
use crate::service::{self, lifecycle::NewFollowUp, lifecycle::Requested};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(add_follow_up)
        .service(lead_follow_ups)
        .service(list_follow_ups)
        .service(release_lead)
        .service(transfer_lead)
        .service(close_lead)
        .service(reopen_lead)
        .service(list_approvals)
        .service(get_approval)
        .service(approve)
        .service(reject)
        .service(cancel)
        .service(agenda)
        .service(list_notifications)
        .service(read_notification);
}

super::page_type!(FollowUpPage, FollowUpResponse);
super::page_type!(ApprovalPage, ApprovalResponse);
super::page_type!(NotificationPage, NotificationResponse);
