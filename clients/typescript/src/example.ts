// What a front end does first: sign in, browse a pool, claim a lead, record a follow-up. It must
// type-check against the types generated from the committed OpenAPI document.
import createClient from "openapi-fetch";
import type { paths } from "./api";

export async function firstMorning(baseUrl: string, email: string, password: string, poolId: string) {
  const client = createClient<paths>({ baseUrl });

  const { data: tokens, error: loginError } = await client.POST("/api/v1/auth/login", {
    body: { email, password },
  });
  if (loginError || !tokens) {
    throw new Error(`sign-in refused: ${loginError?.code ?? "no answer"}`);
  }
  const headers = { Authorization: `Bearer ${tokens.access_token}` };

  const { data: page } = await client.GET("/api/v1/pools/{id}/leads", {
    params: { path: { id: poolId }, query: { limit: 20, grade: "A" } },
    headers,
  });
  const first = page?.items[0];
  if (!first) {
    return null;
  }
  const masked: string | null | undefined = first.phone;

  const { data: taken, error: claimError } = await client.POST("/api/v1/leads/{id}/claim", {
    params: { path: { id: first.id } },
    headers,
  });
  if (claimError) {
    // Refusals explain themselves: a code and, for claims, the stored decision.
    return { refused: claimError.code, decision: claimError.decision_id ?? null, masked };
  }

  const { data: followUp } = await client.POST("/api/v1/leads/{id}/follow-ups", {
    params: { path: { id: first.id } },
    body: { type: "call", content: "介绍了产品，客户有兴趣", stage: "contacted" },
    headers,
  });
  return { lead: taken?.lead.id, stage: followUp?.lead.stage, masked };
}
