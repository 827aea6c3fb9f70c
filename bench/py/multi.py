#!/usr/bin/env python3
"""Three instances, one database (driven by bench/multi): a mixed load spread over the instances
until OPS operations are done, then invariants checked with SQL. Exits non-zero on any breach.

Load (each request to a random instance):
  - named claims on a hot set of pooled leads, so claims collide across instances;
  - follow-ups and releases (no approval) on the leads a worker holds;
  - intake pushes with Idempotency-Keys, each a new person;
  - lead listings, and next-lead in a round-robin pool;
  - a manager distributing the round-robin pool every second on every instance;
  - the recycle sweep every 2 s in every instance (LEADPOOL_SWEEP_INTERVAL_SECS) and
    POST /admin/sweep on a random instance every 3 s, while waves of held leads fall due.

Invariants (SQL, afterwards):
  - no lead has two open claims; every open claim is its lead's owner and the lead is owned, and
    every owned lead has an open claim;
  - nobody holds more than the pool's max_owned_per_user or claimed more than max_claims_per_day;
  - each lead made due was recycled exactly once (one claim ended `recycled_*`, one audit entry);
  - every intake push answered 2xx is stored, once.

    bench/py/multi.py DATABASE_URL ADMIN_EMAIL ADMIN_PASSWORD BASE_URL...
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

DB_URL, ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[1:4]
BASES = [urllib.parse.urlparse(b) for b in sys.argv[4:]]
OPS = int(os.environ.get("MULTI_OPS", "100000"))
WORKERS = int(os.environ.get("MULTI_WORKERS", "12"))
SALES = int(os.environ.get("MULTI_SALES", "40"))
HOT = int(os.environ.get("MULTI_HOT_LEADS", "4000"))
HELD = int(os.environ.get("MULTI_DUE_LEADS", "1000"))
MAX_OWNED = 30

done_ops = 0
stop = threading.Event()
lock = threading.Lock()
statuses = {}
accepted_intake = []
made_due = []
errors = []


class Client:
    """Keep-alive connections, one per instance."""

    def __init__(self):
        self.conns = {}

    def call(self, method, path, token=None, body=None, headers=None, base=None):
        base = base or random.choice(BASES)
        key = (base.hostname, base.port)
        h = dict(headers or {})
        payload = None
        if body is not None:
            h["Content-Type"] = "application/json"
            payload = json.dumps(body)
        if token:
            h["Authorization"] = "Bearer " + token
        for attempt in (1, 2):
            conn = self.conns.get(key)
            if conn is None:
                conn = self.conns[key] = http.client.HTTPConnection(base.hostname, base.port, timeout=60)
            try:
                conn.request(method, path, body=payload, headers=h)
                res = conn.getresponse()
                data = res.read()
                return res.status, (json.loads(data) if data and res.getheader(
                    "Content-Type", "").startswith(("application/json", "application/problem+json")) else None)
            except (http.client.HTTPException, ConnectionError, OSError):
                conn.close()
                self.conns.pop(key, None)
                if attempt == 2:
                    raise


def must(client, method, path, token=None, body=None):
    status, data = client.call(method, path, token, body, base=BASES[0])
    if status >= 300:
        sys.exit(f"multi: {method} {path} answered {status}: {data}")
    return data


def count(kind, status):
    global done_ops
    with lock:
        statuses[(kind, status)] = statuses.get((kind, status), 0) + 1
        done_ops += 1
        if done_ops >= OPS:
            stop.set()
        if status >= 500:
            errors.append(f"{kind}: {status}")


def sql(query):
    out = subprocess.run(["psql", DB_URL, "-qAt", "-v", "ON_ERROR_STOP=1"], input=query, check=True,
                         capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line]


# --- set-up ----------------------------------------------------------------------------------
c = Client()
login = lambda e, p: must(c, "POST", "/api/v1/auth/login", body={"email": e, "password": p})[
    "access_token"]
admin = login(ADMIN_EMAIL, ADMIN_PASSWORD)
manager_email = f"manager.{uuid.uuid4().hex[:6]}@multi.example.com"
manager_id = must(c, "POST", "/api/v1/users", admin,
                  {"name": "Manager", "email": manager_email, "role": "manager",
                   "password": "multi-password-1"})["id"]
team = must(c, "POST", "/api/v1/teams", admin, {"name": "Multi", "manager_id": manager_id})["id"]
manager = login(manager_email, "multi-password-1")
sales = []
for i in range(SALES):
    email = f"sales{i}.{uuid.uuid4().hex[:6]}@multi.example.com"
    uid = must(c, "POST", "/api/v1/users", admin,
               {"name": f"Sales {i}", "email": email, "role": "sales", "team_id": team,
                "password": "multi-password-1"})["id"]
    sales.append((uid, login(email, "multi-password-1")))
holder_email = f"holder.{uuid.uuid4().hex[:6]}@multi.example.com"
holder_id = must(c, "POST", "/api/v1/users", admin,
                 {"name": "Holder", "email": holder_email, "role": "sales",
                  "password": "multi-password-1"})["id"]
holder = login(holder_email, "multi-password-1")


def make_pool(name, members, rules, default=False):
    pid = must(c, "POST", "/api/v1/pools", admin,
               {"name": name, "is_default": default, "member_team_ids": members[0],
                "member_user_ids": members[1]})["id"]
    must(c, "PUT", f"/api/v1/pools/{pid}/rules", admin, rules)
    return pid


main = make_pool("Main", ([team], []), {
    "max_owned_per_user": MAX_OWNED, "max_claims_per_day": 10000, "reclaim_cooldown_days": 0,
    "release_requires_approval": False}, default=True)
rr = make_pool("Rotation", ([team], [manager_id]), {
    "claim_mode": "round_robin", "max_owned_per_user": MAX_OWNED, "max_claims_per_day": 10000,
    "reclaim_cooldown_days": 0, "release_requires_approval": False})
holding = make_pool("Holding", ([], [holder_id]), {
    "max_owned_per_user": HELD + 10, "max_claims_per_day": HELD + 10})
source = must(c, "POST", "/api/v1/intake-sources", admin,
              {"name": "Multi form", "channel": "website", "rate_limit_per_minute": 100000})["token"]


def seed(pool_id, n, prefix):
    """Pooled leads, written in one statement (the API path is what the load exercises)."""
    ids = sql(
        "WITH ins AS (INSERT INTO leads (id, pool_id, state, source_channel, name, custom, tags, "
        "created_at, updated_at) "
        f"SELECT gen_random_uuid(), '{pool_id}', 'pooled', 'import', '{prefix}' || g, '{{}}', '{{}}', "
        f"now(), now() FROM generate_series(1, {n}) g RETURNING id) SELECT id FROM ins")
    return ids


hot = seed(main, HOT, "热")
seed(rr, HOT, "轮")
held = seed(holding, HELD, "持")
for lead in held:
    status, _ = c.call("POST", f"/api/v1/leads/{lead}/claim", holder, {}, base=BASES[0])
    if status != 200:
        sys.exit(f"multi: the holder could not claim {lead}: {status}")
print(f"multi: set up {SALES} salespeople, {HOT} hot leads, {HELD} held leads", flush=True)


# --- load --------------------------------------------------------------------------------------
def worker(index):
    client = Client()
    mine = {uid: [] for uid, _ in sales}
    n = 0
    while not stop.is_set():
        n += 1
        uid, token = random.choice(sales)
        roll = random.random()
        try:
            if roll < 0.35:
                lead = random.choice(hot)
                status, _ = client.call("POST", f"/api/v1/leads/{lead}/claim", token, {})
                if status == 200:
                    mine[uid].append(lead)
                count("claim", status)
            elif roll < 0.50 and mine[uid]:
                lead = random.choice(mine[uid])
                status, _ = client.call("POST", f"/api/v1/leads/{lead}/follow-ups", token,
                                        {"type": "call", "content": f"跟进 {n}"})
                if status == 404:
                    mine[uid].remove(lead)
                count("follow_up", status)
            elif roll < 0.60 and mine[uid]:
                lead = mine[uid].pop()
                status, _ = client.call("POST", f"/api/v1/leads/{lead}/release", token,
                                        {"reason_code": "no_need"})
                count("release", status)
            elif roll < 0.80:
                key = uuid.uuid4().hex
                status, body = client.call(
                    "POST", "/api/v1/intake/leads", source,
                    {"name": f"新客{index}-{n}", "phone": f"13{index:03d}{n:06d}"},
                    {"Idempotency-Key": key})
                if status in (200, 201):
                    with lock:
                        accepted_intake.append(body["lead_id"])
                count("intake", status)
            elif roll < 0.93:
                status, _ = client.call("GET", "/api/v1/leads?limit=20", token)
                count("list", status)
            else:
                status, _ = client.call("POST", f"/api/v1/pools/{rr}/next-lead", token, {})
                count("next_lead", status)
        except Exception as err:  # a transport error is a failure of the run
            with lock:
                errors.append(f"transport: {err}")
            count("transport", 599)


def distributor():
    client = Client()
    while not stop.is_set():
        for base in BASES:
            status, _ = client.call("POST", f"/api/v1/pools/{rr}/distribute", manager,
                                    {"count": 5}, base=base)
            count("distribute", status)
        time.sleep(1)


def sweeper():
    client = Client()
    waves = [held[i::10] for i in range(10)]
    while not stop.is_set():
        if waves:
            wave = waves.pop()
            ids = ",".join(f"'{lead}'" for lead in wave)
            sql(f"UPDATE leads SET recycle_at = now() - interval '1 minute' WHERE id IN ({ids})")
            with lock:
                made_due.extend(wave)
        status, _ = client.call("POST", "/api/v1/admin/sweep", admin, {})
        count("sweep", status)
        time.sleep(3)


threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(WORKERS)]
threads += [threading.Thread(target=distributor, daemon=True),
            threading.Thread(target=sweeper, daemon=True)]
started = time.monotonic()
for t in threads:
    t.start()
while not stop.is_set():
    time.sleep(5)
    print(f"multi: {done_ops} operations, {time.monotonic() - started:.0f} s", flush=True)
for t in threads:
    t.join(timeout=120)
elapsed = time.monotonic() - started


def sweep_to_end(base):
    """POST /admin/sweep on one instance, and when it answers 202 (the drain outlasted
    LEADPOOL_SWEEP_ANSWER_MS and goes on in the background) GET /admin/sweeps/{id} until the run
    has finished (10 minutes at most), so that the invariants are read after the drain, not 2 s
    into it."""
    client = Client()
    status, run = client.call("POST", "/api/v1/admin/sweep", admin, {}, base=base)
    if status != 202 or not run:
        return
    deadline = time.monotonic() + 600
    while run.get("finished_at") is None:
        if time.monotonic() > deadline:
            print(f"multi: the last sweep on {base.geturl()} ({run['id']}) had not finished after 600 s "
                  f"(status {run.get('status')})", flush=True)
            return
        time.sleep(0.2)
        status, got = client.call("GET", f"/api/v1/admin/sweeps/{run['id']}", admin, base=base)
        if status == 200 and got:
            run = got


# Let the instances' own sweeps finish the last wave.
time.sleep(5)
for base in BASES:
    sweep_to_end(base)

# --- invariants --------------------------------------------------------------------------------
breaches = []


def check(name, query, expected="0"):
    got = sql(query)
    value = got[0] if got else ""
    if value != expected:
        breaches.append(f"{name}: {value} (expected {expected})")
    print(f"multi: {name}: {value}", flush=True)


check("leads with two open claims",
      "SELECT count(*) FROM (SELECT lead_id FROM claims WHERE ended_at IS NULL "
      "GROUP BY lead_id HAVING count(*) > 1) x")
check("open claims not matching the lead's owner",
      "SELECT count(*) FROM claims c JOIN leads l ON l.id = c.lead_id WHERE c.ended_at IS NULL "
      "AND (l.state <> 'owned' OR l.owner_id IS DISTINCT FROM c.user_id)")
check("owned leads without an open claim",
      "SELECT count(*) FROM leads l WHERE l.state = 'owned' AND NOT EXISTS "
      "(SELECT 1 FROM claims c WHERE c.lead_id = l.id AND c.ended_at IS NULL)")
check("people over max_owned_per_user in Main",
      f"SELECT count(*) FROM (SELECT owner_id FROM leads WHERE state = 'owned' AND pool_id = '{main}' "
      f"GROUP BY owner_id HAVING count(*) > {MAX_OWNED}) x")
check("people over max_owned_per_user in Rotation",
      f"SELECT count(*) FROM (SELECT owner_id FROM leads WHERE state = 'owned' AND pool_id = '{rr}' "
      f"GROUP BY owner_id HAVING count(*) > {MAX_OWNED}) x")
due_ids = ",".join(f"'{lead}'" for lead in made_due) or "NULL"
check("due leads not recycled exactly once",
      f"SELECT count(*) FROM (SELECT l.id, (SELECT count(*) FROM claims c WHERE c.lead_id = l.id "
      f"AND c.end_reason LIKE 'recycled%') AS n FROM leads l WHERE l.id IN ({due_ids})) x WHERE n <> 1")
check("due leads with other than one recycle audit entry",
      f"SELECT count(*) FROM (SELECT l.id, (SELECT count(*) FROM audit_log a WHERE a.lead_id = l.id "
      f"AND a.action LIKE 'lead.recycled%') AS n FROM leads l WHERE l.id IN ({due_ids})) x WHERE n <> 1")
check("due leads recycled", f"SELECT count(*) FROM leads WHERE id IN ({due_ids}) AND state = 'pooled'",
      str(len(made_due)))
intake_ids = ",".join(f"'{lead}'" for lead in accepted_intake) or "NULL"
check("acknowledged intake pushes stored",
      f"SELECT count(*) FROM leads WHERE id IN ({intake_ids})", str(len(set(accepted_intake))))
if len(set(accepted_intake)) != len(accepted_intake):
    breaches.append("two acknowledged intake pushes (different people) share a lead")
if errors:
    breaches.append(f"{len(errors)} server errors or transport failures, e.g. {errors[:5]}")

summary = {
    "instances": len(BASES),
    "operations": done_ops,
    "seconds": round(elapsed, 1),
    "operations_per_second": round(done_ops / elapsed),
    "by_kind_and_status": {f"{k} {s}": n for (k, s), n in sorted(statuses.items())},
    "due_leads": len(made_due),
    "intake_acknowledged": len(accepted_intake),
    "breaches": breaches,
}
print(json.dumps(summary, indent=2, ensure_ascii=False))
print("multi: PASS" if not breaches else f"multi: FAIL ({len(breaches)} breaches)")
sys.exit(1 if breaches else 0)
