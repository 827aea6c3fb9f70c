//! Raw SQL that each connection prepares once and keeps.
//!
//! Diesel's `sql_query` never enters its statement cache (its SQL may be built at run time), so
//! PostgreSQL parses, analyses and plans such a statement on every execution. For the hot paths
//! (a claim's three statements, the rate counters, the sweep's batch) that was a fifth of the
//! machine's CPU under a claim storm (`perf` during `bench/writes`: `pg_plan_queries` 20 %,
//! `parse_analyze_varparams` 5 %). [`prepared`] takes only a `&'static str`, so the text is one
//! of finitely many and is safe to key the cache by; the connection then sends a named
//! statement once and executes it with binds from then on (PostgreSQL moves to a generic plan
//! after five executions when it costs no more than the custom ones). Behind PgBouncer in
//! transaction mode the cache is switched off (`LEADPOOL_DB_STATEMENT_CACHE=off`) and these run
//! unprepared like everything else.
//!
//! Not for statements whose plan should depend on the values bound (reports, filtered lists):
//! those stay `sql_query` or diesel's DSL.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, BoxedSqlQuery, Query, QueryFragment, QueryId, SqlQuery};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A raw statement whose text is fixed at compile time, kept prepared by the connection.
#[must_use = "Queries are only executed when calling `load`, `get_result` or similar."]
pub struct Prepared<'f>(BoxedSqlQuery<'f, Pg, SqlQuery>);

/// The statement `sql` (placeholders `$1`, `$2`, ... bound in order by [`Prepared::bind`]).
pub fn prepared<'f>(sql: &'static str) -> Prepared<'f> {
    Prepared(diesel::sql_query(sql).into_boxed())
}

impl<'f> Prepared<'f> {
    /// Binds the next placeholder, as `SqlQuery::bind` does.
    pub fn bind<ST, V>(self, value: V) -> Self
    where
        Pg: HasSqlType<ST>,
        V: ToSql<ST, Pg> + Send + 'f,
        ST: Send + 'f,
    {
        Prepared(self.0.bind::<ST, V>(value))
    }
}

impl QueryFragment<Pg> for Prepared<'_> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(out)
    }

    // The one difference from `sql_query`: the text is a constant, so caching it by its text
    // (diesel's key for statements without a static query id) cannot grow without bound.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl QueryId for Prepared<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared<'_> {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Prepared<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::Int4;

    #[test]
    fn a_prepared_statement_may_be_cached_and_sql_query_may_not() {
        let q = prepared("SELECT $1::int4 AS n").bind::<Int4, _>(1);
        assert!(q.is_safe_to_cache_prepared(&Pg).unwrap());
        let raw = diesel::sql_query("SELECT $1::int4 AS n").bind::<Int4, _>(1);
        assert!(!raw.is_safe_to_cache_prepared(&Pg).unwrap());
    }
}
