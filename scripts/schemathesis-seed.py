#!/usr/bin/env python3
"""Seeds a fresh leadpool for the schemathesis run: a team with its manager and two salespeople,
a default pool with custom fields, leads (pooled and owned, with follow-ups), an intake source
and a pending approval, all through the API as a client would. Prints one `role=token` line per
caller the run uses (admin, manager, sales, intake).

    scripts/schemathesis-seed.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD CONFIG_DIR

Writes CONFIG_DIR/<caller>.toml: schemathesis settings that give the operations taking an id a
real object that caller may act on.
"""

import json
import sys
import urllib.error
import urllib.request

BASE, ADMIN_EMAIL, ADMIN_PASSWORD = sys.argv[1:4]
PASSWORD = "seed-password-0123"


def call(method, path, token=None, body=None, expect=(200, 201, 202, 204)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req) as res:
            status, text = res.status, res.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    if status not in expect:
        sys.exit(f"seed: {method} {path} answered {status}: {text}")
    return json.loads(text) if text else None


def login(email, password):
    return call("POST", "/api/v1/auth/login", body={"email": email, "password": password})[
        "access_token"
    ]


admin = login(ADMIN_EMAIL, ADMIN_PASSWORD)


def user(role, name, team_id=None):
    email = f"{role}.{name.replace(' ', '.').lower()}@seed.example.com"
    body = {"name": name, "email": email, "role": role, "password": PASSWORD}
    if team_id:
        body["team_id"] = team_id
    created = call("POST", "/api/v1/users", admin, body)
    return created["id"], login(email, PASSWORD)


manager_id, manager = user("manager", "Wang Fang")
team = call("POST", "/api/v1/teams", admin, {"name": "华东一组", "manager_id": manager_id})["id"]
sales_id, sales = user("sales", "Li Na", team)
other_id, _ = user("sales", "Zhao Lei", team)
call("PATCH", f"/api/v1/users/{manager_id}", admin, {"team_id": team})

call(
    "POST",
    "/api/v1/lead-fields",
    admin,
    {"key": "budget", "label": "预算", "type": "number", "searchable": True},
)
call(
    "POST",
    "/api/v1/lead-fields",
    admin,
    {"key": "product", "label": "意向产品", "type": "select", "options": ["CRM", "ERP"]},
)
pool = call(
    "POST",
    "/api/v1/pools",
    admin,
    {"name": "公海", "is_default": True, "member_team_ids": [team], "member_user_ids": []},
)["id"]

leads = []
for i in range(12):
    lead = call(
        "POST",
        "/api/v1/leads",
        admin,
        {
            "pool_id": pool,
            "source_channel": "website",
            "name": f"客户{i}",
            "company": f"上海示例{i}有限公司",
            "phone": f"1381234{i:04d}",
            "email": f"buyer{i}@example.com",
            "province": "上海",
            "industry": "制造业",
            "custom": {"budget": 1000 * i, "product": "CRM"},
        },
    )
    leads.append(lead["id"])

# Owned leads with follow-ups, a release waiting for approval and a transfer request.
for lead in leads[:3]:
    call("POST", f"/api/v1/leads/{lead}/claim", sales)
    call(
        "POST",
        f"/api/v1/leads/{lead}/follow-ups",
        sales,
        {"type": "call", "content": "首次电话沟通", "stage": "contacted"},
    )
call("POST", f"/api/v1/leads/{leads[3]}/claim", manager, expect=(200, 404, 409, 422))
call(
    "POST",
    f"/api/v1/leads/{leads[0]}/transfer",
    sales,
    {"to_user_id": other_id, "reason": "客户在对方区域"},
)

source = call(
    "POST",
    "/api/v1/intake-sources",
    admin,
    {"name": "官网表单", "channel": "website", "rate_limit_per_minute": 100000},
)
spare_source = call(
    "POST",
    "/api/v1/intake-sources",
    admin,
    {"name": "展会名单", "channel": "event", "rate_limit_per_minute": 100000},
)
# A bot's submission (the honeypot is filled): held in quarantine.
held = call(
    "POST",
    "/api/v1/intake/leads",
    source["token"],
    {"name": "bot", "phone": "13900000000", "honeypot": "http://spam.example"},
)
release = call(
    "POST",
    f"/api/v1/leads/{leads[1]}/release",
    sales,
    {"reason_code": "no_need"},
    expect=(200, 202),
)
approval = (release.get("approval") or {}).get("id")
decision = call("POST", f"/api/v1/leads/{leads[5]}/claim", sales)["decision_id"]
notes = call("GET", "/api/v1/notifications", sales)["items"]

# Real objects for the operations that take an id, one set per caller, so that schemathesis
# reaches past 404 (it still generates every other part of each request).
OUT = sys.argv[4]
ids = {
    "admin": {
        "leads": leads[6], "pools": pool, "users": other_id, "teams": team,
        "approvals": approval, "claim-decisions": decision,
        "intake-sources": spare_source["id"], "intake/quarantine": held.get("quarantine_id"),
        "lead-fields": "budget",
    },
    "manager": {
        "leads": leads[2], "pools": pool, "users": sales_id, "teams": team,
        "approvals": approval, "claim-decisions": decision,
    },
    "sales": {
        "leads": leads[0], "pools": pool, "users": sales_id, "approvals": approval,
        "claim-decisions": decision,
        "notifications": notes[0]["id"] if notes else None,
    },
    "intake": {},
}
for role, by_prefix in ids.items():
    with open(f"{OUT}/{role}.toml", "w") as f:
        for prefix, value in by_prefix.items():
            if value is None:
                continue
            param = "key" if prefix == "lead-fields" else "id"
            # A TOML literal string: the regex reaches schemathesis as written.
            pattern = "^/api/v1/" + prefix + "/\\{" + param + "\\}"
            f.write(f"[[operations]]\ninclude-path-regex = '{pattern}'\n")
            f.write(f'parameters = {{ "{param}" = "{value}" }}\n\n')

print(f"admin={admin}")
print(f"manager={manager}")
print(f"sales={sales}")
print(f"intake={source['token']}")
