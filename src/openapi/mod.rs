//! The OpenAPI 3.1 document's frame: info, servers, tags and the bearer security scheme. Paths and
//! schemas come from the handlers themselves (registered through utoipa-actix-web).

mod contract;

pub use contract::{OMITTED_WHEN, finish};

use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, LicenseBuilder, ServerBuilder};

/// Name of the bearer security scheme referenced by operations.
pub const BEARER: &str = "bearer";
/// Name of the intake-source token scheme.
pub const INTAKE_TOKEN: &str = "intake_token";
/// Name of the optional bearer scheme of `/metrics`.
pub const METRICS_TOKEN: &str = "metrics_token";

#[derive(OpenApi)]
#[openapi(
    modifiers(&Frame),
    tags(
        (name = "auth", description = "Signing in, refreshing and signing out; the caller's own profile."),
        (name = "users", description = "People who sign in: admins, managers and salespeople."),
        (name = "teams", description = "Teams of salespeople and their managers."),
        (name = "pools", description = "Shared pools of leads: members, intake routing, the default pool, the masked pool view."),
        (name = "rules", description = "Versioned rule sets of pools, changed at run time; the tier policy."),
        (name = "claims", description = "Taking leads from pools: claims, assignments, next-lead, distribution, claim records and explained decisions."),
        (name = "lifecycle", description = "Following up, releasing, transferring and closing leads; the agenda and notifications."),
        (name = "approvals", description = "Release and transfer requests and their decisions."),
        (name = "admin", description = "Administration: the recycle sweep on demand."),
        (name = "lead-fields", description = "Custom lead fields defined at run time."),
        (name = "leads", description = "Leads: manual entry, search, data edits and the timeline."),
        (name = "bulk", description = "One action on many leads at once (assign, transfer, release, close, grade and tags), by ids or by the lead-list filter, each lead under its one-lead rules, with a result per lead."),
        (name = "intake", description = "Web-form intake for integrators, intake sources and the quarantine."),
        (name = "imports", description = "CSV imports with dry runs, progress and rejected rows."),
        (name = "reports", description = "Conversion, salespeople, pool health and follow-up timing, as JSON or CSV."),
        (name = "audit", description = "The append-only audit trail of changes (admins)."),
        (name = "ops", description = "Liveness and readiness for load balancers and orchestrators."),
    )
)]
struct ApiDoc;

struct Frame;

impl Modify for Frame {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        api.info = InfoBuilder::new()
            .title("leadpool API")
            .version(env!("CARGO_PKG_VERSION"))
            .description(Some(
                "HTTP API of leadpool, a shared lead pool (公海) for sales teams.\n\n\
                 Authenticate with `POST /api/v1/auth/login` and send the access token as \
                 `Authorization: Bearer <token>`. Every error is `application/problem+json` \
                 (RFC 9457) with a stable `code`; validation errors list each field in `errors`.",
            ))
            .license(Some(
                LicenseBuilder::new()
                    .name("Apache-2.0")
                    .identifier(Some("Apache-2.0"))
                    .build(),
            ))
            .build();
        api.servers = Some(vec![
            ServerBuilder::new()
                .url("/")
                .description(Some("this server"))
                .build(),
        ]);
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An access token from /api/v1/auth/login or /api/v1/auth/refresh.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            INTAKE_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lpi_...")
                    .description(Some(
                        "An intake source token (an admin creates sources at /api/v1/intake-sources).",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            METRICS_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "LEADPOOL_METRICS_TOKEN, when the operator sets one (else /metrics is open).",
                    ))
                    .build(),
            ),
        );
    }
}

/// The frame every route is added to.
pub fn base() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
