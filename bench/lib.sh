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
