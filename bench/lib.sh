# The one library of the benchmark harness: every driver (bench/<name>) sources it from the
# repository's root, right after `cd`, and uses its helpers.
# shellcheck shell=bash
#
# Layout: the drivers are the executables bench/<name>; what they read is in bench/sql/ (pgbench
# and psql scripts), bench/lua/ (wrk scripts) and bench/py/ (Python workload programs); what they
# generate goes to bench/out/ (git-ignored), except bench/RESULTS.md, which bench/results writes.
#
# RESULTS_TSV (default bench/out/results.tsv): every scenario appends one line to it, for
# bench/results to render; a script run on its own appends too. Columns (tab-separated; "-" when
# a figure does not apply; latencies in ms, memory in MiB):
#   scenario, api figure, unit, api p50, api p99, pgbench figure, pgbench p50, pgbench p99,
#   ratio (api / pgbench), service peak RSS, notes
RESULTS_TSV="${RESULTS_TSV:-bench/out/results.tsv}"

# Where every generated file goes.
OUT=bench/out
mkdir -p "$OUT"
# The PostgreSQL server every driver uses (each its own database on it).
PG=postgres://postgres@127.0.0.1:5432

# --- Set-up: dependencies, the driver's database, the binary ----------------------------------

# bench_deps [wrk] [pgbench]: PostgreSQL running (scripts/ensure-deps), and wrk (installed when
# missing) and pgbench (required) when named.
# shellcheck disable=SC2120 # the arguments are optional
bench_deps() {
  scripts/ensure-deps "$PG/postgres"
  local need
  for need in "$@"; do
    case "$need" in
      wrk) command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } ;;
      pgbench) command -v pgbench >/dev/null || { echo "pgbench is missing (Debian: postgresql-client)" >&2; exit 1; } ;;
      *) echo "bench_deps: unknown dependency $need" >&2; exit 1 ;;
    esac
  done
}

# fresh_db NAME: the driver's own database NAME dropped (the service creates and migrates it
# again at start-up); sets DB and URL ($PG/NAME), which sql and bench_env use.
fresh_db() {
  DB="$1"
  URL="$PG/$DB"
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
}

# psql on the driver's database: unaligned, tuples only, stopping at the first error.
sql() { psql -qAt -v ON_ERROR_STOP=1 "$URL" "$@"; }

# The service binary: LEADPOOL_BIN when set (nothing is built), else the release build.
# shellcheck disable=SC2034 # BIN is for the script that sources this
service_binary() {
  if [ -n "${LEADPOOL_BIN:-}" ]; then
    [ -x "$LEADPOOL_BIN" ] || { echo "LEADPOOL_BIN=$LEADPOOL_BIN is not an executable" >&2; exit 1; }
    BIN="$LEADPOOL_BIN"
  else
    cargo build --release --locked --quiet
    BIN=target/release/leadpool
  fi
}

# --- The service: its settings, start, readiness, stop ----------------------------------------
# Every driver runs its own service on its own database with these settings (the admin, keys and
# secret are for benchmarks only).
BENCH_SECRET=bench-only-secret-bench-only-secret-0123456789
BENCH_ADMIN_EMAIL=bench@example.com
BENCH_ADMIN_PASSWORD=bench-password-42
bench_env() { # database-url [port]: exported for the services started next; LEADPOOL_BIND with a port
  export DATABASE_URL="$1" RUST_LOG="${RUST_LOG:-warn}" \
    LEADPOOL_JWT_SECRET="$BENCH_SECRET" \
    LEADPOOL_DATA_KEY=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a \
    LEADPOOL_ADMIN_EMAIL="$BENCH_ADMIN_EMAIL" LEADPOOL_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD"
  if [ -n "${2:-}" ]; then export LEADPOOL_BIND="127.0.0.1:$2"; fi
}

# Waits until BASE-URL/readyz answers 200 (up to 60 s); fails when the process PID exits first
# (the end of its LOG shown) or when the time is up.
wait_ready() { # base-url pid log
  local _
  for _ in $(seq 1 300); do
    curl -sf "$1/readyz" >/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { echo "the service exited:" >&2; tail -n 20 "$3" >&2; return 1; }
    sleep 0.2
  done
  echo "the service did not become ready: see $3" >&2
  return 1
}

# Starts $BIN in the background (output to LOG), sets PID, and waits until $BASE/readyz answers.
# Every service started here is stopped when the driver exits (bench_exit).
SERVICE_PIDS=()
start_service() { # log
  "$BIN" > "$1" 2>&1 &
  PID=$!
  SERVICE_PIDS+=("$PID")
  wait_ready "$BASE" "$PID" "$1"
}

# Stops a service start_service started, and waits for it to end.
stop_service() { # pid
  local p kept=()
  for p in "${SERVICE_PIDS[@]}"; do [ "$p" = "$1" ] || kept+=("$p"); done
  SERVICE_PIDS=("${kept[@]}")
  kill "$1" || return 1
  wait "$1" 2>/dev/null || true
}

# On exit, whatever ended the driver: the services still running are stopped, the commands given
# to at_exit run (the last given first), and the services are waited for.
EXIT_HOOKS=()
at_exit() { EXIT_HOOKS=("$1" "${EXIT_HOOKS[@]}"); }
bench_exit() {
  local pid hook
  for pid in "${SERVICE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for hook in "${EXIT_HOOKS[@]}"; do eval "$hook" || true; done
  for pid in "${SERVICE_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap bench_exit EXIT

# An access token of the bench admin (POST /api/v1/auth/login on $BASE).
admin_token() {
  curl -sf "$BASE/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$BENCH_ADMIN_EMAIL\",\"password\":\"$BENCH_ADMIN_PASSWORD\"}" | jq -r .access_token
}

# Access tokens for the user ids on stdin (one per line), as the service issues them (HS256 with
# the bench secret, valid a day), one per line on stdout.
mint_tokens() { # role
  python3 -c '
import base64, hashlib, hmac, json, sys, time
secret, role = sys.argv[1].encode(), sys.argv[2]
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
now = int(time.time())
for line in sys.stdin:
    if not line.strip():
        continue
    body = b64(json.dumps({"iss": "leadpool", "aud": "leadpool-api", "sub": line.strip(), "role": role,
                           "iat": now, "exp": now + 86400}).encode())
    print(f"{head}.{body}." + b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()))
' "$BENCH_SECRET" "$1"
}

# A server with autovacuum off (as on some of these machines) measures dead-row pile-up, not the
# service: switch it on for the run; the setting is put back on exit (restore_autovacuum).
autovacuum_on() { # server url (maintenance database)
  AUTOVACUUM_URL="$1"
  AUTOVACUUM_WAS=$(psql -qAt "$1" -c "SHOW autovacuum")
  AUTOVACUUM_FROM=$(psql -qAt "$1" -c "SELECT coalesce(sourcefile, '') FROM pg_settings WHERE name = 'autovacuum'")
  at_exit restore_autovacuum
  [ "$AUTOVACUUM_WAS" = on ] || psql -q "$1" -c "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
}
restore_autovacuum() {
  [ "${AUTOVACUUM_WAS:-on}" = on ] && return 0
  case "$AUTOVACUUM_FROM" in
    *postgresql.auto.conf) psql -q "$AUTOVACUUM_URL" -c "ALTER SYSTEM SET autovacuum = '$AUTOVACUUM_WAS'" >/dev/null ;;
    *) psql -q "$AUTOVACUUM_URL" -c "ALTER SYSTEM RESET autovacuum" >/dev/null ;;
  esac
  psql -q "$AUTOVACUUM_URL" -c "SELECT pg_reload_conf()" >/dev/null || true
}

# --- Generated data (SQL text for the drivers' set-up scripts) ---------------------------------

# A UUID v7-like id (time-ordered, as the service's) from a timestamp expression and a seed
# expression, deterministic in both.
uuid7() { echo "(lpad(to_hex((extract(epoch FROM $1) * 1000)::bigint), 12, '0') || '7' || substr(md5($2), 1, 3) || '8' || substr(md5($2), 4, 15))::uuid"; }

# COUNT salespeople ('Sales i', salesI@bench.example, with the admin's password hash) in TEAM, then
# bench_users (n, id): every salesperson numbered in id order, for the pgbench scripts and tokens.
salespeople_sql() { # count team
  cat <<SQL
INSERT INTO users (id, name, email, role, team_id, password_hash, created_at, updated_at)
SELECT $(uuid7 "now()" "'u' || i"), 'Sales ' || i, 'sales' || i || '@bench.example', 'sales', '$2',
       (SELECT password_hash FROM users LIMIT 1), now(), now()
  FROM generate_series(1, $1) i;
CREATE TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM users WHERE role = 'sales';
CREATE UNIQUE INDEX ON bench_users (n);
SQL
}

# bench_uuid7(): time-ordered ids for pgbench's inserts, like the service's UUID v7.
# shellcheck disable=SC2034 # for the scripts that source this
BENCH_UUID7_SQL=$(cat <<'SQL'
CREATE FUNCTION bench_uuid7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
  SELECT (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
          || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid $$;
SQL
)

# Every column of a lead, in the order the service selects them (`Lead::as_select()`).
# shellcheck disable=SC2034 # for the scripts that source this
LEAD_COLUMNS="id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
  wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
  source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
  last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at"

# --- Load and measurements: wrk, pgbench ------------------------------------------------------

# wrk_run FILE CONNECTIONS WRK-ARGS...: wrk on 2 threads for DURATION seconds with latency
# percentiles (--latency), its output to FILE.
wrk_run() {
  local file="$1" connections="$2"
  shift 2
  wrk -t2 -c"$connections" -d"${DURATION}s" --latency "$@" > "$file"
}
# wrk_start FILE CONNECTIONS WRK-ARGS...: wrk on 2 threads in the background for at most
# WRK_MAX_SECS (an hour) (output to FILE; WRK is its pid) until wrk_stop. Pass --latency for
# percentiles.
WRK_MAX_SECS=3600
wrk_start() {
  local file="$1" connections="$2"
  shift 2
  wrk -t2 -c"$connections" -d"${WRK_MAX_SECS}s" "$@" > "$file" &
  WRK=$!
  WRK_SINCE=$(date +%s)
}
# True while the load wrk_start started is still within its WRK_MAX_SECS: a phase that must run
# under the load from start to end (the sweep's drain) checks it before wrk_stop.
wrk_within_bound() { [ $(( $(date +%s) - WRK_SINCE )) -lt "$WRK_MAX_SECS" ]; }
wrk_stop() {
  kill -INT "$WRK" 2>/dev/null || true
  wait "$WRK" 2>/dev/null || true
}

# A wrk latency ("650.00us", "4.90ms", "1.02s", "1.10m") in ms; "-" when empty.
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}
# A line of a wrk --latency output as wrk wrote it: wrk_field FILE 50% -> "4.90ms".
wrk_field() { awk -v k="$2" '$1 == k {print $2}' "$1"; }
# p50 or p99 (P = 50%, 99%, ...) of a wrk --latency output, in ms.
wrk_pct() { wrk_ms "$(wrk_field "$1" "$2")"; }
wrk_rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
wrk_non2xx() { awk '/Non-2xx/ {n = $5} END {print n + 0}' "$1"; }

# pgbench with a latency log: pg_run NAME PGBENCH-ARGS... writes $OUT/pgbench-NAME.txt and the
# sorted per-transaction latencies (µs) to $OUT/pgbench-NAME-lat.txt.
pg_run() {
  local name="$1"
  shift
  rm -f "$OUT/pgbench_log_$name".*
  pgbench -n -l --log-prefix="$OUT/pgbench_log_$name" "$@" > "$OUT/pgbench-$name.txt" 2>&1 \
    || { cat "$OUT/pgbench-$name.txt" >&2; return 1; }
  cat "$OUT/pgbench_log_$name".* | awk '{print $3}' | sort -n > "$OUT/pgbench-$name-lat.txt"
  rm -f "$OUT/pgbench_log_$name".*
}
pg_tps() { awk -F' = ' '/^tps/ {split($2, a, " "); print a[1]}' "$OUT/pgbench-$1.txt"; }
# A percentile (0.5, 0.99) of pg_run NAME's latencies, in ms.
pg_pct() { awk -v p="$2" '{a[NR]=$1} END {if (NR == 0) {print "-"; exit} i=int(NR*p); if (i<1) i=1; printf "%.2f", a[i]/1000}' "$OUT/pgbench-$1-lat.txt"; }

# --- An admin's sweep, followed to its end ----------------------------------------------------

# sweep_drain FILE: runs the recycle sweep as the admin (POST $BASE/api/v1/admin/sweep with $AUTH)
# and returns once its drain is over, so that a clock read around the call, and a load stopped
# after it, span the whole drain. The POST answers 200 when the drain finished within
# LEADPOOL_SWEEP_ANSWER_MS (2 s), else 202 with the run's id while the drain goes on in the
# background: then GET /api/v1/admin/sweeps/{id} is read every 0.2 s until the run has a
# finished_at (a GET that fails is tried again, up to 50 times in a row; a run that reads
# `interrupted` is waited for too, as its drain may still end), for at most SWEEP_WAIT_SECS (3600)
# from the POST. FILE ends with the run as last read (SweepRunResponse, src/routes/sweeps.rs:
# status, recycled_count, recycled_by_reason, warned, started_at, finished_at, error; a 200 also
# lists every lead recycled). Sets SWEEP_ANSWER (the POST's status: 200 or 202) and SWEEP_RECYCLED
# (the run's recycled_count; for a build older than the runs, whose POST always answered 200 once
# done, the length of its `recycled`). Fails, saying why, when the POST is not answered 200 or
# 202, when the run ends other than done, or when the time is up.
# shellcheck disable=SC2034 # SWEEP_RECYCLED is for the script that sources this
sweep_drain() { # file
  local file="$1" wait="${SWEEP_WAIT_SECS:-3600}" id="" status deadline failures=0 noted=""
  deadline=$(( $(date +%s) + wait ))
  rm -f "$file" "$file.next"
  SWEEP_ANSWER=$(curl -s -o "$file" -w '%{http_code}' -X POST "$BASE/api/v1/admin/sweep" -H "$AUTH" \
    --max-time "$wait") || true
  case "$SWEEP_ANSWER" in
    200) ;;
    202)
      id=$(jq -r .id "$file")
      while [ -z "$(jq -r '.finished_at // empty' "$file")" ]; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
          echo "sweep $id: not finished after $wait s (SWEEP_WAIT_SECS)" >&2
          rm -f "$file.next"
          return 1
        fi
        if [ -z "$noted" ] && [ "$(jq -r .status "$file")" = interrupted ]; then
          echo "sweep $id reads interrupted (no batch for a minute); waiting for it to finish" >&2
          noted=1
        fi
        sleep 0.2
        if curl -sf "$BASE/api/v1/admin/sweeps/$id" -H "$AUTH" --max-time 60 -o "$file.next"; then
          mv "$file.next" "$file"
          failures=0
        elif (( ++failures >= 50 )); then
          echo "sweep $id: GET /api/v1/admin/sweeps/$id failed $failures times in a row" >&2
          rm -f "$file.next"
          return 1
        fi
      done
      rm -f "$file.next" ;;
    *)
      echo "POST /api/v1/admin/sweep answered ${SWEEP_ANSWER:-nothing}: $(head -c 500 "$file" 2>/dev/null)" >&2
      return 1 ;;
  esac
  status=$(jq -r '.status // "done"' "$file")
  if [ "$status" != "done" ]; then
    echo "sweep ${id:-}: $status: $(jq -r '.error // "no error given"' "$file")" >&2
    return 1
  fi
  SWEEP_RECYCLED=$(jq '.recycled_count // (.recycled | length)' "$file")
}

# --- The service's memory, the WAL, the machine ----------------------------------------------

# VmHWM (peak resident memory) of a process, in MiB.
peak_mib() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }
# VmRSS (resident memory now) of a process, in MiB.
rss_mib() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }

# WAL position, and bytes between two positions.
wal_lsn() { psql -qAt "$1" -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { psql -qAt "$1" -c "SELECT pg_wal_lsn_diff('$3', '$2')::bigint"; }

# The CPU's model name, and "N cores (model), M GiB RAM" for the reports' Machine line.
cpu_model() { grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs; }
machine() { echo "$(nproc) cores ($(cpu_model)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM"; }

# A / B to three decimals.
ratio() { echo "scale=3; $1 / $2" | bc -l; }

# --- results.tsv ------------------------------------------------------------------------------

# result SCENARIO API UNIT API_P50 API_P99 PG PG_P50 PG_P99 RSS NOTES: one line of RESULTS_TSV
# (the ratio API / PG is computed here).
result() {
  local ratio=- api="$2" pg="$6"
  # Figures with one decimal (pgbench prints six).
  [[ "$api" =~ ^[0-9.]+$ ]] && api=$(printf '%.1f' "$api")
  [[ "$pg" =~ ^[0-9.]+$ ]] && pg=$(printf '%.1f' "$pg")
  if [[ "$2" =~ ^[0-9.]+$ && "$6" =~ ^[0-9.]+$ ]] && [ "$(echo "$6 > 0" | bc -l)" = 1 ]; then
    ratio=$(printf '%.3f' "$(echo "$2 / $6" | bc -l)")
  fi
  mkdir -p "$(dirname "$RESULTS_TSV")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "${api:--}" "$3" "${4:--}" "${5:--}" "${pg:--}" \
    "${7:--}" "${8:--}" "$ratio" "${9:--}" "${10:--}" >> "$RESULTS_TSV"
}
