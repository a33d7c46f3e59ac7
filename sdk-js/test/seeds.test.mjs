// The seeds' hand-written JavaScript (test/seeds/, see its README) run against a live server
// with only its import changed: the docs' `vantioClient` calls and the voucher docs'
// `createWebhookHandler(...).verify(req.body, req.headers['x-voucher-signature'])`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import express from "express";
import { webhooks } from "@vantio/client";
import { webhookMiddleware } from "@vantio/client/node";
import { client, funnel, uniqueEmail } from "./helpers/fixtures.mjs";
import { RECORDING_CONSOLE, runSeed } from "./helpers/seeds.mjs";
import { sharedServer } from "./helpers/server.mjs";

const CLIENT = `import { Vantio } from "@vantio/client";
const vantioClient = new Vantio();`;

let server;
let vantio;
before(async () => {
  server = await sharedServer();
  vantio = client(server);
  // The seeds' `new Vantio()` reads these, as a deployed integration would.
  process.env.VANTIO_API_KEY = server.apiKey;
  process.env.VANTIO_BASE_URL = server.baseUrl;
});
after(() => server.stop());

test("000 referral flow: ReferralFlowHandler with createReferral, createEarning, updateReferral", async () => {
  const { impression, program } = await funnel(vantio);
  globalThis.SEED = { qrCodeData: { impression_id: impression.id }, email: uniqueEmail("john") };
  const seed = await runSeed("000-referral-flow.js", {
    prologue: `${CLIENT}\nconst qrCodeData = globalThis.SEED.qrCodeData;`,
    replace: [["'[email protected]'", "globalThis.SEED.email"]],
    epilogue: "export { impressionId, referral, earning };",
  });
  assert.equal(seed.impressionId, impression.id);
  assert.equal(seed.referral.program_id, program.id);
  assert.equal(seed.referral.email, globalThis.SEED.email);
  assert.equal(seed.earning.amount, 1000); // 10 % of $100.00, in cents
  assert.equal(seed.earning.metadata.order_id, "order_456");
  assert.equal((await vantio.referrals.get(seed.referral.id)).status, "converted");
});

test("000 idempotency: the snippet's key, sent as idempotency_key, makes the server replay", async () => {
  const { impression } = await funnel(vantio);
  const referral = await vantio.referrals.create({ impression_id: impression.id, first_name: "I", last_name: "D", email: uniqueEmail() });
  globalThis.SEED = { referralId: referral.id };
  const seed = await runSeed("000-idempotency.js", {
    prologue: `${CLIENT}
${RECORDING_CONSOLE}
const orderId = "order_789";
const earningData = { referral_id: globalThis.SEED.referralId, amount: 1500, currency: "USD" };`,
    epilogue: `const skipped = await idempotent.execute(key, async () => vantioClient.createEarning({ ...earningData, idempotency_key: key }));
// Another process (no local Set) sending the same key twice gets one earning.
const first = await vantioClient.createEarning({ ...earningData, idempotency_key: key });
const second = await vantioClient.createEarning({ ...earningData, idempotency_key: key });
export { key, skipped, first, second, LOG };`,
  });
  assert.match(seed.key, /^earn_order_789_\d+$/);
  assert.equal(seed.skipped, null);
  assert.deepEqual(seed.LOG, [["log", `Request ${seed.key} already processed, skipping`]]);
  assert.equal(seed.first.id, seed.second.id);
  const { earnings } = await vantio.earnings.list({ referral_id: referral.id });
  assert.deepEqual(earnings.map((e) => e.id), [seed.first.id]); // the snippet's call was that one too
});

test("000 error handling: handleAPIRequest maps the SDK's errors by error.response", async () => {
  globalThis.SEED = { referralData: { impression_id: `imp_${"0".repeat(26)}`, first_name: "E", last_name: "H", email: uniqueEmail() } };
  const seed = await runSeed("000-error-handling.js", {
    prologue: `${CLIENT}\n${RECORDING_CONSOLE}\nconst referralData = globalThis.SEED.referralData;`,
    epilogue: "export { LOG, handleAPIRequest, VantioError };",
  });
  assert.equal(seed.LOG.length, 1);
  assert.match(seed.LOG[0][1], /^Vantio Error \[BAD_REQUEST\]: impression_id: /);
  await assert.rejects(
    seed.handleAPIRequest(() => new (vantio.constructor)({ apiKey: "sk_test_wrong", baseUrl: server.baseUrl }).getUser("user_1")),
    (error) => error instanceof seed.VantioError && error.code === "UNAUTHORIZED" && error.status === 401,
  );
});

test("000 retry: retryWithBackoff around createReferral", async () => {
  const { impression } = await funnel(vantio);
  globalThis.SEED = { referralData: { impression_id: impression.id, first_name: "R", last_name: "B", email: uniqueEmail() } };
  const seed = await runSeed("000-retry.js", {
    prologue: `${CLIENT}\nconst referralData = globalThis.SEED.referralData;`,
    epilogue: "export { referral };",
  });
  assert.equal(seed.referral.email, globalThis.SEED.referralData.email);
});

test("000 batch processing: processBatch over createReferral, results and errors", async () => {
  const { impression, program } = await funnel(vantio);
  globalThis.SEED = {
    signups: [
      { impressionId: impression.id, firstName: "John", lastName: "Doe", email: uniqueEmail() },
      { impressionId: impression.id, firstName: "Jane", lastName: "Roe", email: "not an email" },
      ...Array.from({ length: 6 }, (_, i) => ({ impressionId: impression.id, firstName: "S", lastName: String(i), email: uniqueEmail() })),
    ],
  };
  const seed = await runSeed("000-batch-processing.js", {
    prologue: CLIENT,
    replace: [["{ impressionId: 'imp_1', firstName: 'John', ... },\n{ impressionId: 'imp_2', firstName: 'Jane', ... },", "...globalThis.SEED.signups,"]],
    epilogue: "export { results, errors };",
  });
  assert.equal(seed.results.length, 7);
  assert.equal(seed.errors.length, 1);
  assert.equal(seed.errors[0].item.email, "not an email");
  assert.equal(seed.errors[0].error.status, 400);
  assert.equal((await vantio.referrals.list({ program_id: program.id }).toArray()).length, 7);
});

test("000 caching: getCachedUser calls getUser once per TTL", async () => {
  const { user } = await funnel(vantio);
  globalThis.SEED = { userId: user.id, calls: 0 };
  const seed = await runSeed("000-caching.js", {
    prologue: `import { Vantio } from "@vantio/client";
const vantioClient = new Vantio({ fetch: (url, init) => { globalThis.SEED.calls += 1; return fetch(url, init); } });
const userId = globalThis.SEED.userId;`,
    epilogue: "export { getCachedUser };",
  });
  assert.equal((await seed.getCachedUser(user.id)).email, user.email);
  assert.equal((await seed.getCachedUser(user.id)).email, user.email);
  assert.equal(globalThis.SEED.calls, 1);
});

async function listen(app) {
  const server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

test("000 webhook validation fails as written; the SDK's middleware accepts the same delivery", async () => {
  const secret = "whsec_" + Buffer.from("the endpoint secret, 24 b").toString("base64");
  process.env.VANTIO_WEBHOOK_SECRET = secret;
  const seed = await runSeed("000-webhook-validation.js", {
    prologue: "const express = require('express');\nconst app = express();",
    epilogue: "module.exports = { app };",
  });
  const body = JSON.stringify({ id: "evt_1", type: "referral.created", event: "referral.created", created_at: "2026-01-01T00:00:00Z", livemode: false, data: { id: "ref_1" } });
  const headers = { "content-type": "application/json", ...(await webhooks.sign(body, secret, { msgId: "evt_1" })) };
  const hand = await listen(seed.app);
  const sdkApp = express();
  sdkApp.post("/webhooks/vantio", webhookMiddleware({ secret }), (req, res) => res.json({ received: req.vantioEvent.id }));
  const withSdk = await listen(sdkApp);
  try {
    const refused = await fetch(`${hand.url}/webhooks/vantio`, { method: "POST", headers, body });
    assert.equal(refused.status, 401); // it signs JSON.stringify(<Buffer>), never the body
    const accepted = await fetch(`${withSdk.url}/webhooks/vantio`, { method: "POST", headers, body });
    assert.deepEqual(await accepted.json(), { received: "evt_1" });
  } finally {
    await Promise.all([hand.close(), withSdk.close()]);
  }
});

const VOUCHER_EVENT = {
  id: "evt_2",
  type: "voucher.applied",
  event: "voucher.applied",
  created_at: "2026-01-01T00:00:00Z",
  livemode: false,
  data: { id: "va_1", voucher_id: "v_1", order_id: "order_1", discount_amount: 500 },
};

async function postSeed001(app, { body, signature }) {
  const server = await listen(app);
  try {
    const headers = { "content-type": "application/json" };
    if (signature) headers["x-voucher-signature"] = signature;
    const response = await fetch(`${server.url}/webhooks/voucher`, { method: "POST", headers, body });
    return { status: response.status, text: await response.text() };
  } finally {
    await server.close();
  }
}

for (const [parser, name] of [
  ["express.json()", "the parsed object"],
  ["express.text({ type: 'application/json' })", "a string"],
  ["express.raw({ type: 'application/json' })", "a Buffer"],
]) {
  test(`001 createWebhookHandler(...).verify(req.body, x-voucher-signature) with ${name}`, async () => {
    const seed = await runSeed("001-webhook-handler.mjs", {
      prologue: `import express from "express";\n${RECORDING_CONSOLE}\nconst app = express();\napp.use(${parser});`,
      replace: [["from '@voucher/vouchers-sdk'", "from '@vantio/client'"]],
      epilogue: "export { app, LOG };",
    });
    const body = JSON.stringify(VOUCHER_EVENT);
    // The snippet's secret is 'your-webhook-secret': an endpoint with that secret signs so.
    const signature = await webhooks.hexSignature(body, "your-webhook-secret");
    assert.deepEqual(await postSeed001(seed.app, { body, signature }), { status: 200, text: "Webhook processed" });
    assert.deepEqual(seed.LOG, [["log", "Voucher applied:", VOUCHER_EVENT.data]]);
    const forged = await webhooks.hexSignature(body, "another secret");
    assert.deepEqual(await postSeed001(seed.app, { body, signature: forged }), { status: 400, text: "Invalid webhook" });
    assert.equal(seed.LOG.at(-1)[0], "error");
    assert.equal(seed.LOG.at(-1)[2].name, "WebhookVerificationError");
  });
}

test("001 (Node.js, require) without a body parser: a typed error, answered 400", async () => {
  const seed = await runSeed("001-webhook-handler.cjs", {
    prologue: RECORDING_CONSOLE,
    replace: [["require('@voucher/vouchers-sdk')", "require('@vantio/client')"]],
    epilogue: "module.exports = { app, LOG };",
  });
  const body = JSON.stringify(VOUCHER_EVENT);
  const signature = await webhooks.hexSignature(body, "your-webhook-secret");
  assert.deepEqual(await postSeed001(seed.app, { body, signature }), { status: 400, text: "Invalid webhook" });
  const [, label, error] = seed.LOG[0];
  assert.equal(label, "Webhook error:");
  assert.equal(error.name, "WebhookVerificationError"); // req.body is undefined: nothing to verify
  assert.match(error.message, /cannot verify a body of type undefined/);
});
