//! Periodic background work, safe with several instances running at once.

pub mod hand_overs;
pub mod imports;
pub mod projector;
pub mod sweep;
pub mod tiers;

use crate::AppState;

/// Starts every background job on the current actix system.
pub fn spawn_all(state: AppState) {
    actix_web::rt::spawn(imports::run(state.clone()));
    actix_web::rt::spawn(hand_overs::run(state.clone()));
    actix_web::rt::spawn(sweep::run(state.clone()));
    actix_web::rt::spawn(projector::run(state.clone()));
    actix_web::rt::spawn(tiers::run(state));
}
