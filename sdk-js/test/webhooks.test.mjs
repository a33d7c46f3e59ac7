// Webhooks: real deliveries of a live `vantio serve` verified through a secret rotation with
// all three signature schemes, the Express middleware behind each body parser, and the
// verifier's refusals (tampering, replays, wrong secrets, bodies it cannot check).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import express from "express";
import { VouchersAPI, WebhookHandler, WebhookVerificationError, webhooks } from "@vantio/client";
import { webhookMiddleware } from "@vantio/client/node";
import { client, uniqueCode } from "./helpers/fixtures.mjs";
import { sharedServer } from "./helpers/server.mjs";

let server;
let vantio;
let receiver;
let receiverUrl;
const deliveries = []; // every request the receiver got: {path, raw (Buffer), headers, event}
const secrets = {}; // path -> secret(s) the middleware verifies with

function record(req, res) {
  deliveries.push({ path: req.path, raw: req.body, headers: req.headers, event: req.vantioEvent });
  res.json({ received: true });
}

before(async () => {
  server = await sharedServer();
  vantio = client(server);
  const app = express();
  // The raw bytes, for verifying offline with each secret.
  app.post("/raw", express.raw({ type: "application/json" }), record);
  // The middleware behind each kind of body parser (or none).
  const verifier = (path) => webhookMiddleware({ secret: () => secrets[path] });
  app.post("/mw/json", express.json(), verifier("/mw/json"), record);
  app.post("/mw/text", express.text({ type: "application/json" }), verifier("/mw/text"), record);
  app.post("/mw/none", verifier("/mw/none"), record);
  await new Promise((resolve) => {
    receiver = app.listen(0, "127.0.0.1", resolve);
  });
  receiverUrl = `http://127.0.0.1:${receiver.address().port}`;
});

after(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
  await server.stop();
});

async function delivered(path, predicate, seconds = 20) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = deliveries.find((d) => d.path === path && predicate(d));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no delivery to ${path} within ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const voucherNamed = (code) => (d) => JSON.parse(d.raw.toString()).data?.code === code;

test("real deliveries verify through a secret rotation, with every scheme", async () => {
  const endpoint = await vantio.webhookEndpoints.create({ url: `${receiverUrl}/raw`, events: ["voucher.created"] });
  const before = endpoint.secret;
  const firstCode = uniqueCode("WH");
  await vantio.vouchers.create({ code: firstCode, type: "fixed", value: 100 });
  const first = await delivered("/raw", voucherNamed(firstCode));

  const event = await webhooks.verify(first.raw, first.headers, before);
  assert.equal(event.type, "voucher.created");
  assert.equal(event.event, "voucher.created");
  assert.equal(event.data.code, firstCode);
  assert.equal(first.headers["webhook-id"], event.id);
  // The voucher docs' call: the hex header alone, the raw body or the parsed one.
  const handler = new VouchersAPI({ apiKey: server.apiKey, baseUrl: server.baseUrl }).createWebhookHandler({ secret: before });
  assert.equal((await handler.verify(first.raw, first.headers["x-voucher-signature"])).id, event.id);
  assert.equal((await handler.verify(JSON.parse(first.raw), first.headers["x-voucher-signature"])).id, event.id);
  assert.equal((await handler.verify(first.raw.toString(), first.headers["x-vantio-signature"])).id, event.id);

  const rotated = await vantio.webhookEndpoints.rotateSecret(endpoint.id);
  const now = rotated.secret;
  assert.notEqual(now, before);
  const secondCode = uniqueCode("WH");
  await vantio.vouchers.create({ code: secondCode, type: "fixed", value: 100 });
  const second = await delivered("/raw", voucherNamed(secondCode));

  // Standard Webhooks: one signature per valid secret, so both the new and the old verify.
  assert.equal(second.headers["webhook-signature"].split(" ").length, 2);
  assert.equal((await webhooks.verify(second.raw, second.headers, now)).data.code, secondCode);
  assert.equal((await webhooks.verify(second.raw, second.headers, before)).data.code, secondCode);
  // The hex headers stay on the previous secret until the grace ends, so a receiver that
  // compares one hex HMAC keeps working until it switches; one holding both always verifies.
  const hex = second.headers["x-voucher-signature"];
  assert.equal((await webhooks.verifySignature(second.raw, hex, before)).data.code, secondCode);
  await assert.rejects(webhooks.verifySignature(second.raw, hex, now), WebhookVerificationError);
  assert.equal((await new WebhookHandler([now, before]).verify(second.raw, hex)).data.code, secondCode);
  // A stranger's secret, a changed byte, a replay after the tolerance: refused.
  const stranger = (await vantio.webhookEndpoints.rotateSecret(endpoint.id)).secret;
  await assert.rejects(webhooks.verify(second.raw, second.headers, stranger), /webhook-signature does not match/);
  const tampered = Buffer.from(second.raw.toString().replace(secondCode, `${secondCode}X`));
  await assert.rejects(webhooks.verify(tampered, second.headers, now), WebhookVerificationError);
  await assert.rejects(webhooks.verifySignature(tampered, hex, now), WebhookVerificationError);
  const late = Number(second.headers["webhook-timestamp"]) + 301;
  await assert.rejects(webhooks.verify(second.raw, second.headers, now, { now: late }), /stale or replayed/);
  assert.ok(await webhooks.verify(second.raw, second.headers, now, { now: late, tolerance: 600 }));
  await vantio.webhookEndpoints.delete(endpoint.id);
});

test("the Express middleware verifies real deliveries behind express.json, express.text or no parser", async () => {
  const paths = ["/mw/json", "/mw/text", "/mw/none"];
  for (const path of paths) {
    const endpoint = await vantio.webhookEndpoints.create({ url: receiverUrl + path, events: ["voucher.created"] });
    secrets[path] = endpoint.secret;
  }
  const code = uniqueCode("MW");
  await vantio.vouchers.create({ code, type: "percentage", value: 15, metadata: { note: "café ☕ – ünïcode" } });
  for (const path of paths) {
    const delivery = await delivered(path, (d) => d.event?.data?.code === code);
    assert.equal(delivery.event.type, "voucher.created");
    assert.equal(delivery.event.data.metadata.note, "café ☕ – ünïcode");
  }
});

test("the middleware answers 400 to a delivery it cannot verify, and the server records it", async () => {
  const path = "/mw/none";
  const endpoint = await vantio.webhookEndpoints.create({ url: receiverUrl + path, events: ["voucher.updated"] });
  const saved = secrets[path];
  secrets[path] = "whsec_" + Buffer.from("not the endpoint's secret!").toString("base64");
  try {
    const voucher = await vantio.vouchers.create({ code: uniqueCode("BAD"), type: "fixed", value: 100 });
    await vantio.vouchers.update(voucher.id, { metadata: { changed: "yes" } });
    const { events } = await vantio.events.list({ type: "voucher.updated", limit: 100 });
    const event = events.find((e) => e.data.id === voucher.id);
    const deadline = Date.now() + 20_000;
    let attempts = [];
    while (attempts.length === 0 && Date.now() < deadline) {
      attempts = (await vantio.events.get(event.id)).delivery_attempts.filter((a) => a.endpoint_id === endpoint.id);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(attempts[0]?.status_code, 400);
    assert.match(attempts[0].response_body, /invalid_webhook/);
  } finally {
    secrets[path] = saved;
    await vantio.webhookEndpoints.delete(endpoint.id);
  }
});

const SECRET = "whsec_" + Buffer.from("a test secret of 24 bytes").toString("base64");
const EVENT = { id: "evt_1", type: "referral.created", event: "referral.created", created_at: "2026-01-01T00:00:00Z", livemode: false, data: { id: "ref_1", note: "ü" } };
const BODY = JSON.stringify(EVENT);

test("verify takes the body as a string, Buffer, Uint8Array, ArrayBuffer or parsed object", async () => {
  const headers = await webhooks.sign(BODY, SECRET, { msgId: "evt_1" });
  const bytes = new TextEncoder().encode(BODY);
  for (const body of [BODY, Buffer.from(BODY), bytes, bytes.buffer, new DataView(bytes.buffer), EVENT]) {
    assert.deepEqual(await webhooks.verify(body, headers, SECRET), EVENT);
  }
  assert.deepEqual(await webhooks.verify(BODY, new Headers(headers), SECRET), EVENT);
  const upper = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), [v]]));
  assert.deepEqual(await webhooks.verify(BODY, upper, SECRET), EVENT);
});

test("verify refuses what it cannot check, naming why", async () => {
  const headers = await webhooks.sign(BODY, SECRET, { msgId: "evt_1" });
  for (const body of [undefined, null, 42, true, [1, 2]]) {
    await assert.rejects(webhooks.verify(body, headers, SECRET), (e) => e instanceof WebhookVerificationError && /cannot verify a body/.test(e.message));
  }
  await assert.rejects(webhooks.verify(BODY, {}, SECRET), /no signature header/);
  await assert.rejects(webhooks.verify(BODY, { "webhook-signature": "v1,abc" }, SECRET), /without webhook-id/);
  await assert.rejects(webhooks.verify(BODY, { ...headers, "webhook-timestamp": "yesterday" }, SECRET), /not a number/);
  const future = Math.floor(Date.now() / 1000) + 3600;
  await assert.rejects(webhooks.verify(BODY, await webhooks.sign(BODY, SECRET, { msgId: "e", timestamp: future }), SECRET), /in the future/);
  const hexOnly = { "x-vantio-signature": headers["x-vantio-signature"] };
  await assert.rejects(webhooks.verify(BODY, hexOnly, SECRET), /requireTimestamp/);
  assert.deepEqual(await webhooks.verify(BODY, hexOnly, SECRET, { requireTimestamp: false }), EVENT);
  await assert.rejects(webhooks.verify(BODY, { "x-vantio-signature": "zz" }, SECRET, { requireTimestamp: false }), /does not match/);
  await assert.rejects(webhooks.verify(BODY, headers, "whsec_not base64!"), /not a Standard Webhooks secret/);
  await assert.rejects(webhooks.verify(BODY, headers, []), /no webhook secret/);
  const array = "[1,2]";
  await assert.rejects(webhooks.verify(array, await webhooks.sign(array, SECRET, { msgId: "e" }), SECRET), /not a JSON object/);
  await assert.rejects(new WebhookHandler(SECRET).verify(BODY, undefined), /no signature given/);
  assert.equal(await new WebhookHandler(SECRET).sign(EVENT), headers["x-vantio-signature"]);
});
