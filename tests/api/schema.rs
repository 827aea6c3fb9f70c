//! `src/db/schema.rs` is what `diesel print-schema` makes of the migrated database (with
//! `src/db/schema.patch`): every table, column, type, nullability and primary key of the migrated
//! test template is declared there exactly, and nothing else is. To regenerate it:
//! `diesel migration run` on a scratch database (diesel.toml points at the file and the patch).

use std::collections::BTreeMap;

use diesel::prelude::*;

use crate::common::TestDb;

/// table -> (primary key columns, column -> (type, nullable)), as declared in schema.rs.
type Declared = BTreeMap<String, (Vec<String>, BTreeMap<String, (String, bool)>)>;

fn declared() -> Declared {
    let text = include_str!("../../src/db/schema.rs");
    let mut tables = Declared::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        if line != "diesel::table! {" {
            continue;
        }
        let mut head = lines.next().expect("a table's head");
        while head.is_empty()
            || head.starts_with("use ")
            || head.starts_with("#[")
            || head.starts_with("///")
        {
            head = lines.next().expect("a table's head");
        }
        // `name (pk, ...) {`
        let (name, rest) = head.split_once(" (").expect("name (key)");
        let key: Vec<String> = rest
            .split_once(')')
            .expect("the key's end")
            .0
            .split(',')
            .map(|k| k.trim().to_string())
            .collect();
        let mut columns = BTreeMap::new();
        let mut renamed = None;
        for line in lines.by_ref() {
            if line == "}" {
                break;
            }
            // `#[sql_name = "type"]` above `type_ -> Text`: the column's name in the database.
            if let Some(name) = line.strip_prefix("#[sql_name = \"") {
                renamed = Some(name.trim_end_matches("\"]").to_string());
                continue;
            }
            if line.starts_with("///") || line.starts_with("#[") || line.is_empty() {
                continue;
            }
            let (column, ty) = line.split_once(" -> ").expect("column -> Type");
            let column = renamed.take().unwrap_or_else(|| column.to_string());
            let ty = ty.trim_end_matches(',');
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.strip_suffix('>').expect("Nullable<..>"), true),
                None => (ty, false),
            };
            columns.insert(column, (ty.to_string(), nullable));
        }
        tables.insert(name.to_string(), (key, columns));
    }
    tables
}

/// How schema.rs names a PostgreSQL type (`udt_name` from information_schema).
fn diesel_type(udt: &str) -> String {
    match udt {
        "uuid" => "Uuid",
        "text" => "Text",
        "int2" => "Int2",
        "int4" => "Int4",
        "int8" => "Int8",
        "bool" => "Bool",
        "timestamptz" => "Timestamptz",
        "date" => "Date",
        "jsonb" => "Jsonb",
        "bytea" => "Bytea",
        "float8" => "Float8",
        "_text" => "Array<Text>",
        "_uuid" => "Array<Uuid>",
        "pg_snapshot" => "PgSnapshot",
        "xid8" => "Xid8",
        other => other,
    }
    .to_string()
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct KeyColumn {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
}

#[test]
fn schema_rs_declares_exactly_the_migrated_database() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).expect("connect");
    let columns: Vec<Column> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, is_nullable = 'YES' AS nullable
           FROM information_schema.columns
          WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'
          ORDER BY table_name, ordinal_position",
    )
    .load(&mut conn)
    .expect("columns");
    let keys: Vec<KeyColumn> = diesel::sql_query(
        "SELECT k.table_name::text, k.column_name::text
           FROM information_schema.table_constraints c
           JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
          WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = 'public'
            AND c.table_name <> '__diesel_schema_migrations'
          ORDER BY k.table_name, k.ordinal_position",
    )
    .load(&mut conn)
    .expect("keys");
    let mut migrated = Declared::new();
    for c in columns {
        migrated
            .entry(c.table_name)
            .or_default()
            .1
            .insert(c.column_name, (diesel_type(&c.udt_name), c.nullable));
    }
    for k in keys {
        migrated
            .entry(k.table_name)
            .or_default()
            .0
            .push(k.column_name);
    }
    let declared = declared();
    assert!(declared.len() > 20, "schema.rs parsed: {declared:?}");
    assert_eq!(
        declared.keys().collect::<Vec<_>>(),
        migrated.keys().collect::<Vec<_>>(),
        "src/db/schema.rs and the migrations name different tables: regenerate it"
    );
    for (table, (key, columns)) in &migrated {
        let (declared_key, declared_columns) = &declared[table];
        assert_eq!(declared_key, key, "{table}: primary key");
        assert_eq!(
            declared_columns, columns,
            "{table}: src/db/schema.rs differs from the migrations (column, type, nullability): regenerate it"
        );
    }
}
