# Helpers shared by the bench scripts (sourced, from the repository's root, after OUT is set).
# shellcheck shell=bash
#
# RESULTS_TSV (default bench/out/results.tsv): every scenario appends one line to it, for
# bench/results to render; a script run on its own appends too. Columns (tab-separated; "-" when
# a figure does not apply; latencies in ms, memory in MiB):
#   scenario, api figure, unit, api p50, api p99, pgbench figure, pgbench p50, pgbench p99,
#   ratio (api / pgbench), service peak RSS, notes
RESULTS_TSV="${RESULTS_TSV:-bench/out/results.tsv}"

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

# Every column of a lead, in the order the service selects them (`Lead::as_select()`).
# shellcheck disable=SC2034 # for the scripts that source this
LEAD_COLUMNS="id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
  wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
  source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
  last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at"

# A wrk latency ("650.00us", "4.90ms", "1.02s", "1.10m") in ms; "-" when empty.
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n = n; else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}
# p50 or p99 (P = 50%, 99%, ...) of a wrk --latency output, in ms.
wrk_pct() { wrk_ms "$(awk -v k="$2" '$1 == k {print $2}' "$1")"; }
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

# VmHWM (peak resident memory) of a process, in MiB.
peak_mib() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status"; }

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

# --- Shared set-up of the drivers ----------------------------------------------------------
# Every driver runs its own service on its own database with these settings (the admin, keys and
# secret are for benchmarks only).
BENCH_SECRET=bench-only-secret-bench-only-secret-0123456789
bench_env() { # database-url port
  export DATABASE_URL="$1" LEADPOOL_BIND="127.0.0.1:$2" RUST_LOG="${RUST_LOG:-warn}" \
    LEADPOOL_JWT_SECRET="$BENCH_SECRET" \
    LEADPOOL_DATA_KEY=5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a \
    LEADPOOL_ADMIN_EMAIL=bench@example.com LEADPOOL_ADMIN_PASSWORD=bench-password-42
}

# Starts $BIN in the background (output to LOG), sets PID, and waits until BASE/readyz answers.
start_service() { # log
  "$BIN" > "$1" 2>&1 &
  PID=$!
  local _
  for _ in $(seq 1 300); do
    curl -sf "$BASE/readyz" >/dev/null && return 0
    kill -0 "$PID" 2>/dev/null || { echo "the service exited:" >&2; tail -n 20 "$1" >&2; return 1; }
    sleep 0.2
  done
  echo "the service did not become ready: see $1" >&2
  return 1
}

# A server with autovacuum off (as on some of these machines) measures dead-row pile-up, not the
# service: switch it on for the run (restore_autovacuum puts the setting back; call it on exit).
autovacuum_on() { # server url (maintenance database)
  AUTOVACUUM_URL="$1"
  AUTOVACUUM_WAS=$(psql -qAt "$1" -c "SHOW autovacuum")
  AUTOVACUUM_FROM=$(psql -qAt "$1" -c "SELECT coalesce(sourcefile, '') FROM pg_settings WHERE name = 'autovacuum'")
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

# The service's memory now (VmRSS), in MiB.
rss_mib() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status"; }

# WAL position, and bytes between two positions.
wal_lsn() { psql -qAt "$1" -c "SELECT pg_current_wal_lsn()"; }
wal_bytes() { psql -qAt "$1" -c "SELECT pg_wal_lsn_diff('$3', '$2')::bigint"; }
