//! Prometheus metrics of one instance: HTTP requests by route and status with latency histograms,
//! the database pool (in use, idle, waits, timeouts), claims and refusals by code, recycles by
//! reason, intake outcomes, sweep durations and the report projector's folds. Each app has its own registry (tests run many
//! apps in one process); `GET /metrics` renders it in the text format.

use std::sync::Arc;
use std::time::Duration;

use diesel::r2d2::{HandleEvent, event};
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;

use crate::AppState;
use crate::db::DbPool;

/// Buckets for request latencies and pool waits, in seconds (1 ms to 10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets for sweeps, in seconds (10 ms to 10 min).
const SWEEP_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 180.0, 600.0,
];

/// The metrics of one app.
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    pool_connections: IntGaugeVec,
    pool_size: IntGauge,
    pool_wait: Histogram,
    pool_timeouts: IntCounter,
    claims: IntCounterVec,
    claim_refusals: IntCounterVec,
    recycles: IntCounterVec,
    intake: IntCounterVec,
    sweep_duration: Histogram,
    projector_entries: IntCounter,
    projector_duration: Histogram,
    projector_last_fold: IntGauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// `metric` (as its constructor answered), registered in `registry`.
#[allow(
    clippy::expect_used,
    reason = "metric names, labels and buckets are constants here: a bad one is a bug found when the service starts"
)]
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<M>,
) -> M {
    let metric = metric.expect("a valid metric");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    registered(registry, IntCounterVec::new(Opts::new(name, help), labels))
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: &[f64]) -> Histogram {
    registered(
        registry,
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec())),
    )
}

impl Metrics {
    pub fn new() -> Arc<Self> {
        let registry = Registry::new();
        let http_requests = counter(
            &registry,
            "leadpool_http_requests_total",
            "HTTP requests answered, by method, route pattern and status",
            &["method", "route", "status"],
        );
        let http_duration = registered(
            &registry,
            HistogramVec::new(
                HistogramOpts::new(
                    "leadpool_http_request_duration_seconds",
                    "Time to answer an HTTP request, by method and route pattern",
                )
                .buckets(LATENCY_BUCKETS.to_vec()),
                &["method", "route"],
            ),
        );
        let pool_connections = registered(
            &registry,
            IntGaugeVec::new(
                Opts::new(
                    "leadpool_db_pool_connections",
                    "Database connections of this instance, by state (in_use, idle)",
                ),
                &["state"],
            ),
        );
        let pool_size = registered(
            &registry,
            IntGauge::new(
                "leadpool_db_pool_max_connections",
                "The most database connections this instance opens",
            ),
        );
        let pool_wait = histogram(
            &registry,
            "leadpool_db_pool_wait_seconds",
            "Time a request waited for a database connection",
            LATENCY_BUCKETS,
        );
        let pool_timeouts = registered(
            &registry,
            IntCounter::new(
                "leadpool_db_pool_timeouts_total",
                "Requests that got no database connection in time (answered 503)",
            ),
        );
        let claims = counter(
            &registry,
            "leadpool_claims_total",
            "Leads taken, by how (self_claim, next_lead, manager_assign, distribution)",
            &["how"],
        );
        let claim_refusals = counter(
            &registry,
            "leadpool_claim_refusals_total",
            "Claims, next-lead calls and assignments refused, by problem code",
            &["code"],
        );
        let recycles = counter(
            &registry,
            "leadpool_recycles_total",
            "Leads returned to their pool by the sweep, by reason",
            &["reason"],
        );
        let intake = counter(
            &registry,
            "leadpool_intake_leads_total",
            "Leads pushed by intake sources, by outcome (created, merged, quarantined, invalid, rate_limited)",
            &["outcome"],
        );
        let sweep_duration = histogram(
            &registry,
            "leadpool_sweep_duration_seconds",
            "Time one recycle sweep took (all its batches and the warnings)",
            SWEEP_BUCKETS,
        );
        let projector_entries = registered(
            &registry,
            IntCounter::new(
                "leadpool_report_projector_entries_total",
                "Timeline entries this instance's report projector folded into the rollups",
            ),
        );
        let projector_duration = histogram(
            &registry,
            "leadpool_report_projector_fold_seconds",
            "Time one fold of the report projection took on this instance",
            LATENCY_BUCKETS,
        );
        let projector_last_fold = registered(
            &registry,
            IntGauge::new(
                "leadpool_report_projector_last_fold_timestamp_seconds",
                "When this instance last folded the report projection (Unix time; an instance that finds another folding does not move it)",
            ),
        );
        Arc::new(Self {
            registry,
            http_requests,
            http_duration,
            pool_connections,
            pool_size,
            pool_wait,
            pool_timeouts,
            claims,
            claim_refusals,
            recycles,
            intake,
            sweep_duration,
            projector_entries,
            projector_duration,
            projector_last_fold,
        })
    }

    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .with_label_values(&[method, route, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[method, route])
            .observe(took.as_secs_f64());
    }

    pub fn claimed(&self, how: &str) {
        self.claims.with_label_values(&[how]).inc();
    }

    pub fn claim_refused(&self, code: &str) {
        self.claim_refusals.with_label_values(&[code]).inc();
    }

    pub fn recycled(&self, reason: &str) {
        self.recycles.with_label_values(&[reason]).inc();
    }

    pub fn intake(&self, outcome: &str, n: u64) {
        if n > 0 {
            self.intake.with_label_values(&[outcome]).inc_by(n);
        }
    }

    pub fn swept(&self, took: Duration) {
        self.sweep_duration.observe(took.as_secs_f64());
    }

    pub fn folded(&self, entries: i64, took: Duration) {
        self.projector_entries.inc_by(entries.max(0) as u64);
        self.projector_duration.observe(took.as_secs_f64());
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        self.projector_last_fold.set(now);
    }

    /// The text exposition, with the pool's gauges read now.
    pub fn render(&self, pool: &DbPool) -> String {
        let state = pool.state();
        let idle = i64::from(state.idle_connections);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(state.connections) - idle);
        self.pool_connections.with_label_values(&["idle"]).set(idle);
        self.pool_size.set(i64::from(pool.max_size()));
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            log::error!("cannot render the metrics: {e}");
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// What the connection pool reports to these metrics: how long checkouts waited, and the
    /// ones that timed out.
    pub fn pool_events(self: &Arc<Self>) -> Box<dyn HandleEvent> {
        Box::new(PoolEvents(self.clone()))
    }
}

struct PoolEvents(Arc<Metrics>);

impl std::fmt::Debug for PoolEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolEvents")
    }
}

impl HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: event::CheckoutEvent) {
        self.0.pool_wait.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, event: event::TimeoutEvent) {
        self.0.pool_timeouts.inc();
        self.0.pool_wait.observe(event.timeout().as_secs_f64());
    }
}

/// Middleware: counts every answer by method, route pattern (never the raw path, so ids do not
/// multiply the series; `unmatched` for unknown paths) and status, with its latency.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = std::time::Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.metrics.clone());
    // Standard methods by name, any other as `other`: callers cannot add series at will.
    let method = crate::edge::label(req.method());
    let res = next.call(req).await?;
    if let Some(metrics) = metrics {
        let route = res
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_string());
        metrics.request(method, &route, res.status().as_u16(), started.elapsed());
    }
    Ok(res)
}
