// The SDK against the live server's /openapi.json: every operation has an SDK method (a route
// added by a later change fails here until it gets one), every SDK call is an operation, and
// the committed types are what the live document generates.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { client, recordingFetch } from "./helpers/fixtures.mjs";
import { SDK_ROOT, sharedServer } from "./helpers/server.mjs";
import { describeDrift, generate, operationsOf } from "../scripts/openapi-gen.mjs";

/**
 * Operations that are not API calls, with the reason. Nothing else may lack a method.
 * /s/{code}...: the public scan redirect and QR images a poster links to (no key; a browser or
 * an <img> tag calls them, and `poster.scan_url` / `poster.qr_code_url` hold their URLs).
 */
const NOT_SDK = [/^GET \/s\//];

const ID = "x_0000000000000000";
/** One call per SDK method: [the method's name, the call]. */
const CALLS = [
  ["programs.create", (v) => v.programs.create({ name: "", landing_url: "" })],
  ["programs.get", (v) => v.programs.get(ID)],
  ["programs.update", (v) => v.programs.update(ID, {})],
  ["programs.list", (v) => v.programs.list({ limit: 1 })],
  ["programs.setLogo", (v) => v.programs.setLogo(ID, new Uint8Array([1]), "image/png")],
  ["programs.logo", (v) => v.programs.logo(ID)],
  ["programs.removeLogo", (v) => v.programs.removeLogo(ID)],
  ["programs.postersPdf", (v) => v.programs.postersPdf(ID, { paper: "letter" })],
  ["users.create", (v) => v.users.create({ program_id: ID, first_name: "", last_name: "", email: "" })],
  ["users.get", (v) => v.users.get(ID)],
  ["users.update", (v) => v.users.update(ID, {})],
  ["users.list", (v) => v.users.list()],
  ["posters.create", (v) => v.posters.create({ program_id: ID, student_id: ID })],
  ["posters.get", (v) => v.posters.get(ID)],
  ["posters.update", (v) => v.posters.update(ID, {})],
  ["posters.list", (v) => v.posters.list()],
  ["posters.pdf", (v) => v.posters.pdf(ID, { paper: "a4", ambassador: false })],
  ["impressions.create", (v) => v.impressions.create({ poster_id: ID })],
  ["impressions.get", (v) => v.impressions.get(ID)],
  ["impressions.list", (v) => v.impressions.list()],
  ["referrals.create", (v) => v.referrals.create({ impression_id: ID, first_name: "", last_name: "", email: "" })],
  ["referrals.get", (v) => v.referrals.get(ID)],
  ["referrals.update", (v) => v.referrals.update(ID, {})],
  ["referrals.list", (v) => v.referrals.list()],
  ["earnings.create", (v) => v.earnings.create({ referral_id: ID, amount: 1 })],
  ["earnings.get", (v) => v.earnings.get(ID)],
  ["earnings.update", (v) => v.earnings.update(ID, {})],
  ["earnings.list", (v) => v.earnings.list()],
  ["earnings.reverse", (v) => v.earnings.reverse(ID, { reason: "refund" })],
  ["payouts.create", (v) => v.payouts.create({ program_id: ID })],
  ["payouts.get", (v) => v.payouts.get(ID)],
  ["payouts.update", (v) => v.payouts.update(ID, {})],
  ["payouts.list", (v) => v.payouts.list()],
  ["payouts.csv", (v) => v.payouts.csv(ID)],
  ["payouts.runFile", (v) => v.payouts.runFile(ID)],
  ["payouts.reconcile", (v) => v.payouts.reconcile(ID, { items: [] })],
  ["payouts.uploadResults", (v) => v.payouts.uploadResults(ID, "Reference,Status\n")],
  ["payouts.getDetails", (v) => v.payouts.getDetails(ID)],
  ["payouts.setDetails", (v) => v.payouts.setDetails(ID, { method: "paypal", paypal_email: "a@example.com" })],
  ["payouts.deleteDetails", (v) => v.payouts.deleteDetails(ID)],
  ["webhookEndpoints.create", (v) => v.webhookEndpoints.create({ url: "", events: [] })],
  ["webhookEndpoints.get", (v) => v.webhookEndpoints.get(ID)],
  ["webhookEndpoints.update", (v) => v.webhookEndpoints.update(ID, {})],
  ["webhookEndpoints.delete", (v) => v.webhookEndpoints.delete(ID)],
  ["webhookEndpoints.list", (v) => v.webhookEndpoints.list()],
  ["webhookEndpoints.rotateSecret", (v) => v.webhookEndpoints.rotateSecret(ID)],
  ["webhookEndpoints.endRotation", (v) => v.webhookEndpoints.endRotation(ID)],
  ["events.get", (v) => v.events.get(ID)],
  ["events.list", (v) => v.events.list()],
  ["events.redeliver", (v) => v.events.redeliver(ID)],
  ["analytics.funnel", (v) => v.analytics.funnel()],
  ["analytics.leaderboard", (v) => v.analytics.leaderboard()],
  ["analytics.posters", (v) => v.analytics.posters()],
  ["vouchers.create", (v) => v.vouchers.create({ code: "", type: "fixed" })],
  ["vouchers.get", (v) => v.vouchers.get(ID)],
  ["vouchers.update", (v) => v.vouchers.update(ID, {})],
  ["vouchers.delete", (v) => v.vouchers.delete(ID)],
  ["vouchers.list", (v) => v.vouchers.list()],
  ["vouchers.validate", (v) => v.vouchers.validate({ code: "", order: { value: 1 } })],
  ["vouchers.apply", (v) => v.vouchers.apply({ code: "", order_id: "" })],
  ["vouchers.remove", (v) => v.vouchers.remove({ code: "", order_id: "" })],
  ["vouchers.rollback", (v) => v.vouchers.rollback(ID)],
  ["vouchers.getApplication", (v) => v.vouchers.getApplication(ID)],
  ["vouchers.batchCreate", (v) => v.vouchers.batchCreate([])],
  ["vouchers.batchValidate", (v) => v.vouchers.batchValidate([])],
  ["campaigns.create", (v) => v.campaigns.create({ name: "", type: "fixed", code_pattern: { count: 1 } })],
  ["campaigns.get", (v) => v.campaigns.get(ID)],
  ["campaigns.list", (v) => v.campaigns.list()],
  ["campaigns.codes", (v) => v.campaigns.codes(ID)],
  ["voucherAnalytics.performance", (v) => v.voucherAnalytics.performance(ID)],
  ["voucherAnalytics.trends", (v) => v.voucherAnalytics.trends(ID)],
  ["voucherAnalytics.customers", (v) => v.voucherAnalytics.customers(ID)],
  ["voucherAnalytics.createExport", (v) => v.voucherAnalytics.createExport({ voucher_ids: [], metrics: [] })],
  ["voucherAnalytics.getExport", (v) => v.voucherAnalytics.getExport(ID)],
  ["voucherAnalytics.downloadExport", (v) => v.voucherAnalytics.downloadExport(ID)],
];

let server;
let live;
before(async () => {
  server = await sharedServer();
  live = await (await fetch(`${server.baseUrl}/openapi.json`)).json();
});
after(() => server.stop());

/** The operation ("METHOD /template") a request went to: the most specific template that matches. */
function operationOf(operations, method, path) {
  const matching = operations.filter((op) => {
    const [m, template] = op.split(" ");
    if (m !== method) return false;
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+");
    return new RegExp(`^${pattern}$`).test(path);
  });
  return matching.sort((a, b) => b.replace(/\{[^}]+\}/g, "").length - a.replace(/\{[^}]+\}/g, "").length)[0];
}

test("every operation of the live /openapi.json has an SDK method, and every method is an operation", async () => {
  const operations = operationsOf(live);
  const api = operations.filter((op) => !NOT_SDK.some((re) => re.test(op)));
  const seen = [];
  const vantio = client(server, { fetch: recordingFetch(seen), maxRetries: 0 });
  const methodOf = new Map();
  for (const [name, call] of CALLS) {
    const [resource, method] = name.split(".");
    assert.equal(typeof vantio[resource]?.[method], "function", `vantio.${name} is not a method`);
    const before = seen.length;
    await Promise.resolve(call(vantio)).catch(() => {}); // the answer does not matter, the route does
    assert.equal(seen.length, before + 1, `${name} sent ${seen.length - before} requests`);
    const { method: verb, path } = seen.at(-1);
    const operation = operationOf(operations, verb, path);
    assert.ok(operation, `vantio.${name} called ${verb} ${path}, which is no operation of /openapi.json`);
    methodOf.set(operation, name);
  }
  const missing = api.filter((op) => !methodOf.has(op));
  assert.deepEqual(missing, [], "these operations have no SDK method: add one (src/resources) and a line to CALLS here");
  assert.equal(methodOf.size, api.length);
});

test("the committed types are what the live /openapi.json generates (npm run gen)", async () => {
  const { snapshot, types } = await generate(live);
  const committed = readFileSync(join(SDK_ROOT, "openapi", "vantio.openapi.json"), "utf8");
  const drift = committed === snapshot ? [] : describeDrift(JSON.parse(committed), live);
  assert.deepEqual(drift, [], "the server's OpenAPI moved: run `npm run gen` in sdk-js/");
  assert.equal(types, readFileSync(join(SDK_ROOT, "src", "generated", "openapi.ts"), "utf8"));
});

test("the drift description names added and removed operations and changed schemas", () => {
  const committed = JSON.parse(readFileSync(join(SDK_ROOT, "openapi", "vantio.openapi.json"), "utf8"));
  const moved = structuredClone(committed);
  moved.paths["/api/v1/earnings/{id}/archive"] = { post: { responses: {} } };
  delete moved.paths["/v1/campaigns"].get;
  moved.components.schemas.ReferralOut.properties.extra = { type: "string" };
  assert.deepEqual(describeDrift(committed, moved), [
    "operation added: POST /api/v1/earnings/{id}/archive",
    "operation removed: GET /v1/campaigns",
    "schema changed: ReferralOut",
  ]);
});
