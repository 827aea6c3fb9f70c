// What front ends do with leadpool, written the way a strict TypeScript code base writes it: every
// value read from an answer is assigned to the type the screen needs, without casts or `!`. It
// must compile under `tsc --strict` against the types openapi-typescript generates from the
// committed document (scripts/check-ts-client), so a loose schema fails CI here.
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Schemas = components["schemas"];
type Client = ReturnType<typeof createClient<paths>>;
type Headers = { Authorization: string };

/** Signs in and keeps who is signed in, as the login answer gives it. */
export async function signIn(client: Client, email: string, password: string) {
  const { data, error } = await client.POST("/api/v1/auth/login", { body: { email, password } });
  if (error) {
    const code: Schemas["ErrorCode"] = error.code;
    throw new Error(`sign-in refused: ${code}`);
  }
  const who: { id: string; name: string; role: Schemas["Role"] } = data.user;
  const headers: Headers = { Authorization: `Bearer ${data.access_token}` };
  const seconds: number = data.expires_in;
  return { who, headers, seconds, refresh: data.refresh_token };
}

/** A lead card: every field is present (null when empty), custom values typed by kind. */
export function leadCard(lead: Schemas["LeadResponse"]) {
  const phone: string | null = lead.phone;
  const owner: string | null = lead.owner_id;
  const due: string | null = lead.recycle_at;
  const why: Schemas["ClaimEnd"] | null = lead.recycle_reason;
  const custom: string[] = Object.entries(lead.custom).map(([key, value]) => {
    if (value === null) return `${key}: -`;
    if (Array.isArray(value)) return `${key}: ${value.join(", ")}`;
    if (typeof value === "number") return `${key}: ${value.toFixed(0)}`;
    return `${key}: ${value}`;
  });
  return { title: lead.name ?? lead.company ?? lead.id, phone, owner, due, why, custom };
}

/** Defines a custom field, creates a lead with it and finds it by that field. */
export async function leadsWithCustomFields(client: Client, headers: Headers) {
  const { data: field } = await client.POST("/api/v1/lead-fields", {
    body: { key: "budget", label: "预算", type: "number" },
    headers,
  });
  const { data: fields } = await client.GET("/api/v1/lead-fields", { headers });
  const keys: string[] = fields ? fields.items.map((f) => f.key) : [];
  const budget: Schemas["CustomValue"] = 50000;
  const { data: lead, error } = await client.POST("/api/v1/leads", {
    body: { name: "王女士", phone: "13912345678", source_channel: "website", custom: { budget } },
    headers,
  });
  if (error) {
    const existing: string | null | undefined = error.existing_lead_id;
    const bad: string[] = (error.errors ?? []).map((e) => `${e.field}: ${e.code}`);
    return { duplicateOf: existing ?? null, bad, keys };
  }
  const edited = await client.PATCH("/api/v1/leads/{id}", {
    params: { path: { id: lead.id } },
    body: { custom: { budget: null }, tags: ["展会"] },
    headers,
  });
  const { data: page } = await client.GET("/api/v1/leads", {
    params: { query: { state: "pooled", limit: 50 } },
    headers,
  });
  const cards = page ? page.items.map(leadCard) : [];
  const next: string | null = page ? page.next_cursor : null;
  return { field: field?.key, lead: leadCard(lead), edited: edited.data?.tags, cards, next };
}

/** Browses a pool, claims a lead, follows up; refusals explain themselves. */
export async function claimAndFollowUp(client: Client, headers: Headers, poolId: string) {
  const { data: pool } = await client.GET("/api/v1/pools/{id}/leads", {
    params: { path: { id: poolId }, query: { limit: 20, grade: "A" } },
    headers,
  });
  const first = pool?.items[0];
  if (!first) return null;
  const { data: taken, error } = await client.POST("/api/v1/leads/{id}/claim", {
    params: { path: { id: first.id } },
    headers,
  });
  if (error) {
    const decision: string | null = error.decision_id ?? null;
    const reasons: string[] = (error.explanation ?? []).map((c) => c.user_id);
    return { refused: error.code, decision, reasons };
  }
  const claim: Schemas["ClaimResponse"] = taken.claim;
  const how: Schemas["ClaimStart"] = claim.started_how;
  const { data: followUp } = await client.POST("/api/v1/leads/{id}/follow-ups", {
    params: { path: { id: first.id } },
    body: { type: "call", content: "介绍了产品，客户有兴趣", stage: "contacted" },
    headers,
  });
  const stage: Schemas["Stage"] | null = followUp ? followUp.lead.stage : null;
  const { data: timeline } = await client.GET("/api/v1/leads/{id}/timeline", {
    params: { path: { id: first.id } },
    headers,
  });
  const story: string[] = (timeline?.items ?? []).map(describe);
  const { data: agenda } = await client.GET("/api/v1/agenda", { headers });
  const dueSoon: string[] = (agenda?.items ?? []).map((i) => `${i.kind} ${i.at} ${i.overdue}`);
  return { lead: taken.lead.id, how, stage, story, dueSoon };
}

/** Every timeline kind, checked exhaustively: a kind the document misses fails to compile. */
export function describe(entry: Schemas["TimelineEntry"]): string {
  const kind: Schemas["LeadEventKind"] = entry.kind;
  switch (kind) {
    case "created":
    case "touched":
    case "updated":
      return `${kind}: ${Object.keys(entry.details).join(", ")}`;
    case "claimed":
    case "claim_ended":
    case "transferred":
      return `${kind} by ${entry.actor_id ?? "the system"}`;
    case "follow_up":
      return "follow-up";
    case "approval_requested":
    case "approval_approved":
    case "approval_rejected":
    case "approval_cancelled":
    case "approval_obsolete":
      return kind.replace("approval_", "request ");
    case "recycle_warning":
      return `due back at ${String(entry.details["recycle_at"])}`;
    case "closed":
      return "closed";
    case "reopened":
      return `reopened for ${String(entry.details["user_id"])}`;
    default: {
      const unknown: never = kind;
      return unknown;
    }
  }
}

/** A release that needs approval, and the manager's decision with the lead's new state. */
export async function approvals(client: Client, sales: Headers, manager: Headers, leadId: string) {
  const { data: asked, response } = await client.POST("/api/v1/leads/{id}/release", {
    params: { path: { id: leadId } },
    body: { reason_code: "unreachable", note: null },
    headers: sales,
  });
  if (!asked) return null;
  const pending: Schemas["ApprovalResponse"] | null = asked.approval;
  if (response.status !== 202 || !pending) {
    return { released: asked.lead?.state };
  }
  const { data: queue } = await client.GET("/api/v1/approvals", {
    params: { query: { role: "approver", status: "pending", lead_id: leadId } },
    headers: manager,
  });
  const waiting: number = queue ? queue.items.length : 0;
  const { data: decided } = await client.POST("/api/v1/approvals/{id}/approve", {
    params: { path: { id: pending.id } },
    body: { comment: "同意" },
    headers: manager,
  });
  const status: Schemas["ApprovalStatus"] | undefined = decided?.approval?.status;
  const state: Schemas["LeadState"] | undefined = decided?.lead?.state;
  return { waiting, status, state };
}

/** Uploads a CSV, follows the import, and lists recent imports after a reload. */
export async function imports(client: Client, headers: Headers, csv: Blob) {
  const { data: started } = await client.POST("/api/v1/imports", {
    params: { query: { dry_run: true } },
    body: { file: "", mapping: JSON.stringify({ 姓名: "name", 手机: "phone" }) },
    bodySerializer: (body) => {
      const form = new FormData();
      form.append("file", csv, "leads.csv");
      if (body.mapping) form.append("mapping", body.mapping);
      return form;
    },
    headers,
  });
  if (!started) return null;
  const { data: now } = await client.GET("/api/v1/imports/{id}", {
    params: { path: { id: started.id } },
    headers,
  });
  const progress: number = now ? now.progress : 0;
  const status: Schemas["ImportStatus"] | undefined = now?.status;
  const mapping: Record<string, string> = now ? now.mapping : {};
  const { data: recent } = await client.GET("/api/v1/imports", { headers });
  const ids: string[] = (recent?.items ?? []).map((i) => i.id);
  const { data: rejected } = await client.GET("/api/v1/imports/{id}/rejected", {
    params: { path: { id: started.id } },
    parseAs: "text",
    headers,
  });
  const rejectedCsv: string = rejected ?? "";
  return { progress, status, mapping, ids, rejectedCsv };
}

/** A report as JSON for the screen and as CSV for the download button. */
export async function reports(client: Client, headers: Headers) {
  const query = { from: "2026-11-01", to: "2026-11-30", group_by: "source" as const };
  const { data: report } = await client.GET("/api/v1/reports/conversion", {
    params: { query },
    headers,
  });
  const asOf: string | undefined = report?.as_of;
  const rows: string[] = (report?.groups ?? []).map(
    (g) => `${g.label ?? g.key ?? "-"}: ${g.converted}/${g.created} (${(g.conversion_rate ?? 0).toFixed(2)})`,
  );
  const { data: csv } = await client.GET("/api/v1/reports/conversion.csv", {
    params: { query },
    parseAs: "text",
    headers,
  });
  const download: string = csv ?? "";
  const { data: people } = await client.GET("/api/v1/reports/salespeople", { headers });
  const names: string[] = (people?.people ?? []).map((p) => p.name ?? p.user_id);
  const { data: leadsCsv } = await client.GET("/api/v1/leads.csv", {
    params: { query: { state: "owned" } },
    parseAs: "text",
    headers,
  });
  return { asOf, rows, download, names, leadsCsv: leadsCsv ?? "" };
}

/** The audit trail: what changed, before and after. */
export async function audit(client: Client, headers: Headers, leadId: string) {
  const { data: page } = await client.GET("/api/v1/audit", {
    params: { query: { lead_id: leadId, limit: 100 } },
    headers,
  });
  const lines: string[] = (page?.items ?? []).map((e) => {
    const before: Record<string, Schemas["AnyValue"]> = e.before ?? {};
    const after: Record<string, Schemas["AnyValue"]> = e.after ?? {};
    const changed = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    return `${e.created_at} ${e.action} ${e.actor_id ?? "system"}: ${changed.join(", ")}`;
  });
  const { data: csv } = await client.GET("/api/v1/audit.csv", {
    params: { query: { lead_id: leadId } },
    parseAs: "text",
    headers,
  });
  return { lines, csv: csv ?? "" };
}

export async function businessDay(baseUrl: string, email: string, password: string, poolId: string) {
  const client = createClient<paths>({ baseUrl });
  const { headers, who } = await signIn(client, email, password);
  const made = await leadsWithCustomFields(client, headers);
  const claimed = await claimAndFollowUp(client, headers, poolId);
  const figures = await reports(client, headers);
  return { who: who.name, made, claimed, figures };
}
