#!/usr/bin/env python3
"""Database faults under load (driven by bench/faults): a running leadpool, a mixed load of intake
pushes, claims, lead lists and readiness probes from several threads, and meanwhile

  1. every connection of the service killed with pg_terminate_backend, twice;
  2. PostgreSQL stopped for OUTAGE seconds, then started again.

Pass/fail, checked afterwards:
  - the service process is still running (no restart);
  - no answer was a 500 (or anything but a 2xx, an expected 4xx, or 503 problem+json with
    Retry-After);
  - no request took longer than the connection timeout plus a margin (no hang);
  - /readyz answered 503 while the database was away and 200 again after;
  - the service answered 2xx again within RECOVERY seconds of PostgreSQL being back;
  - every intake push that got a 2xx is stored exactly once, and every claim that got 200 is a
    claim of that person in the database (nothing acknowledged is lost).

    bench/py/faults.py BASE_URL DATABASE_URL PG_VERSION SERVER_PID ADMIN_EMAIL ADMIN_PASSWORD
"""

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

BASE, DB_URL, PG_VERSION, SERVER_PID, ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[1:7]
THREADS = int(os.environ.get("FAULT_THREADS", "8"))
OUTAGE = float(os.environ.get("FAULT_OUTAGE_SECS", "8"))
TIMEOUT = float(os.environ.get("FAULT_DB_TIMEOUT_SECS", "2"))
RECOVERY = float(os.environ.get("FAULT_RECOVERY_SECS", "10"))
HANG_MARGIN = 3.0

url = urllib.parse.urlparse(BASE)
stop = threading.Event()
lock = threading.Lock()
records = []  # (t_start, t_end, kind, status, content_type, retry_after, body)
accepted_intake = []  # (key, lead_id)
accepted_claims = []  # (lead_id, user_id)
timeline = {}


def request(method, path, token=None, body=None, headers=None):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
        body = json.dumps(body)
    if token:
        h["Authorization"] = "Bearer " + token
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=h)
        res = conn.getresponse()
        data = res.read()
        return (
            started,
            time.monotonic(),
            res.status,
            res.getheader("Content-Type") or "",
            res.getheader("Retry-After"),
            data,
        )
    finally:
        conn.close()


def must(method, path, token=None, body=None, expect=(200, 201, 202, 204)):
    for _ in range(50):
        _, _, status, _, _, data = request(method, path, token, body)
        if status in expect:
            return json.loads(data) if data else None
        if status == 503:
            time.sleep(0.2)
            continue
        sys.exit(f"faults: {method} {path} answered {status}: {data[:300]!r}")
    sys.exit(f"faults: {method} {path} kept answering 503")


def login(email, password):
    return must("POST", "/api/v1/auth/login", body={"email": email, "password": password})[
        "access_token"
    ]


def psql(sql, db=None):
    target = DB_URL if db is None else DB_URL.rsplit("/", 1)[0] + "/" + db
    subprocess.run(["psql", target, "-qAtc", sql], check=True, capture_output=True)


def psql_rows(sql):
    out = subprocess.run(["psql", DB_URL, "-qAt"], input=sql, check=True, capture_output=True,
                         text=True)
    return [line for line in out.stdout.splitlines() if line]


# --- set-up ----------------------------------------------------------------------------------
admin = login(ADMIN_EMAIL, ADMIN_PASSWORD)
team = must("POST", "/api/v1/teams", admin, {"name": "Faults"})["id"]
people = []
for i in range(THREADS):
    email = f"sales{i}.{uuid.uuid4().hex[:8]}@faults.example.com"
    created = must(
        "POST",
        "/api/v1/users",
        admin,
        {"name": f"Sales {i}", "email": email, "role": "sales", "team_id": team,
         "password": "faults-password-1"},
    )
    people.append((created["id"], login(email, "faults-password-1")))
pool = must(
    "POST", "/api/v1/pools", admin,
    {"name": "Faults pool", "is_default": True, "member_team_ids": [team], "member_user_ids": []},
)["id"]
must("PUT", f"/api/v1/pools/{pool}/rules", admin,
     {"max_owned_per_user": 10000, "max_claims_per_day": 10000})
source = must(
    "POST", "/api/v1/intake-sources", admin,
    {"name": "Faults form", "channel": "website", "rate_limit_per_minute": 100000},
)["token"]
pooled = []
for i in range(THREADS * 200):
    lead = must("POST", "/api/v1/intake/leads", source,
                {"name": f"客户{i}", "phone": f"139{i:08d}"})
    pooled.append(lead["lead_id"])
random.shuffle(pooled)


# --- load --------------------------------------------------------------------------------------
def worker(index):
    user_id, token = people[index]
    mine = pooled[index::THREADS]
    n = 0
    while not stop.is_set():
        n += 1
        choice = n % 4
        try:
            if choice == 0:
                key = uuid.uuid4().hex
                phone = f"138{index:02d}{n:06d}"  # a new person every time
                r = request("POST", "/api/v1/intake/leads", source,
                            {"name": f"压测{n}", "phone": phone}, {"Idempotency-Key": key})
                if r[2] in (200, 201):
                    with lock:
                        accepted_intake.append((key, json.loads(r[5])["lead_id"]))
                kind = "intake"
            elif choice == 1 and mine:
                lead = mine.pop()
                r = request("POST", f"/api/v1/leads/{lead}/claim", token, {})
                if r[2] == 200:
                    with lock:
                        accepted_claims.append((lead, user_id))
                kind = "claim"
            elif choice == 2:
                r = request("GET", "/api/v1/leads?limit=20", token)
                kind = "list"
            else:
                r = request("GET", "/readyz")
                kind = "readyz"
        except (ConnectionError, OSError) as err:
            with lock:
                records.append((time.monotonic(), time.monotonic(), "transport", 0, "", None,
                                str(err).encode()))
            continue
        with lock:
            records.append((r[0], r[1], kind, r[2], r[3], r[4], r[5][:300]))


threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
t0 = time.monotonic()
for t in threads:
    t.start()


def mark(name):
    timeline[name] = time.monotonic()
    print(f"faults: {time.monotonic() - t0:6.1f} s  {name}", flush=True)


time.sleep(5)
for round_ in (1, 2):
    mark(f"terminate connections ({round_})")
    psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
         f"WHERE datname = current_database() AND pid <> pg_backend_pid()")
    time.sleep(4)
mark("postgres stopping")
subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "stop", "-m", "fast"],
               check=True)
mark("postgres stopped")
time.sleep(OUTAGE)
mark("postgres starting")
subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, "main", "start"],
               check=True)
mark("postgres started")
time.sleep(max(RECOVERY, 10))
stop.set()
for t in threads:
    t.join(timeout=70)
mark("load stopped")

# --- checks ------------------------------------------------------------------------------------
failures = []
alive = subprocess.run(["kill", "-0", SERVER_PID]).returncode == 0
if not alive:
    failures.append("the service process is gone")

by_status = {}
for rec in records:
    by_status[(rec[2], rec[3])] = by_status.get((rec[2], rec[3]), 0) + 1
allowed = {200, 201, 202, 404, 409, 422, 503}
for start, end, kind, status, ctype, retry, body in records:
    if status not in allowed:
        failures.append(f"{kind}: {status} {body[:200]!r}")
    elif status == 503 and kind != "readyz" and (
        not ctype.startswith("application/problem+json") or retry is None
    ):
        failures.append(f"{kind}: 503 without problem+json and Retry-After ({ctype}, {retry})")
    if end - start > TIMEOUT + HANG_MARGIN:
        failures.append(f"{kind}: took {end - start:.1f} s (status {status})")

down, up = timeline["postgres stopped"], timeline["postgres started"]
# Answered while it was certainly away: asked a second after the stop, answered before the start
# command (a request still waiting for a connection when the database returns is served: right).
ready_down = [r for r in records
              if r[2] == "readyz" and down + 1 <= r[0] and r[1] <= timeline["postgres starting"]]
if not ready_down or any(r[3] != 503 for r in ready_down):
    odd = [(round(r[0] - down, 2), round(r[1] - down, 2), r[3]) for r in ready_down if r[3] != 503]
    failures.append(f"/readyz while the database was away: {sorted({r[3] for r in ready_down})} "
                    f"(seconds after the stop, answer: {odd[:5]})")
recovered = min((r[1] for r in records if r[0] >= up and 200 <= r[3] < 300 and r[2] != "readyz"),
                default=None)
recovery_secs = None if recovered is None else recovered - up
if recovery_secs is None or recovery_secs > RECOVERY:
    failures.append(f"no 2xx within {RECOVERY} s of the database being back ({recovery_secs})")
ready_after = [r for r in records if r[2] == "readyz" and recovered and r[0] >= recovered + 1]
if not ready_after or any(r[3] != 200 for r in ready_after):
    failures.append("/readyz is not 200 again after the outage")

if accepted_intake:
    ids = ",".join(f"'{lead}'" for _, lead in accepted_intake)
    stored = int(psql_rows(f"SELECT count(*) FROM leads WHERE id IN ({ids})")[0])
    if stored != len({lead for _, lead in accepted_intake}):
        failures.append(f"intake: {len(accepted_intake)} acknowledged, {stored} stored")
    if len({lead for _, lead in accepted_intake}) != len(accepted_intake):
        failures.append("intake: two acknowledged pushes of different people share a lead")
if accepted_claims:
    pairs = ",".join(f"('{lead}'::uuid,'{user}'::uuid)" for lead, user in accepted_claims)
    found = int(psql_rows(
        f"SELECT count(*) FROM (VALUES {pairs}) AS v(lead_id, user_id) "
        "WHERE EXISTS (SELECT 1 FROM claims c WHERE c.lead_id = v.lead_id AND c.user_id = v.user_id)")[0])
    if found != len(accepted_claims):
        failures.append(f"claims: {len(accepted_claims)} acknowledged, {found} stored")

summary = {
    "requests": len(records),
    "by_kind_and_status": {f"{k} {s}": n for (k, s), n in sorted(by_status.items())},
    "intake_acknowledged": len(accepted_intake),
    "claims_acknowledged": len(accepted_claims),
    "max_latency_secs": round(max((r[1] - r[0] for r in records), default=0), 2),
    "recovery_secs": None if recovery_secs is None else round(recovery_secs, 2),
    "failures": len(failures),
}
print(json.dumps(summary, indent=2, ensure_ascii=False))
for f in failures[:40]:
    print("FAIL:", f)
print("faults: PASS" if not failures else f"faults: FAIL ({len(failures)} problems)")
sys.exit(1 if failures else 0)
