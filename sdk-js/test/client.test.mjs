// The client against a live `vantio serve`: the referral flow, both entry points (ESM and
// CommonJS), the docs' method names, the Voucher API's checkout, and `request` for any path.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";
import { Vantio, VouchersAPI, NotFoundError, DuplicateReferralError, ConflictError, VERSION } from "@vantio/client";
import { client, funnel, recordingFetch, uniqueCode, uniqueEmail } from "./helpers/fixtures.mjs";
import { sharedServer } from "./helpers/server.mjs";

let server;
let vantio;
before(async () => {
  server = await sharedServer();
  vantio = client(server);
});
after(() => server.stop());

test("the referral flow: scan, signup, earning, conversion, verification", async () => {
  const { program, user, impression } = await funnel(vantio);
  const referral = await vantio.referrals.create({
    impression_id: impression.id,
    first_name: "John",
    last_name: "Doe",
    email: uniqueEmail(),
  });
  assert.equal(referral.status, "pending");
  assert.equal(referral.program_id, program.id);
  assert.equal(referral.student_id, user.id);
  const earning = await vantio.earnings.create({ referral_id: referral.id, sale_amount: 10_000 });
  assert.equal(earning.amount, 1000); // the program's 10 % of 100.00, in cents
  assert.equal((await vantio.referrals.get(referral.id)).status, "converted");
  const verified = await vantio.referrals.update(referral.id, { status: "verified" });
  assert.equal(verified.status, "verified");
  assert.ok(verified.verified_at);
  await assert.rejects(vantio.earnings.get(`earn_${"0".repeat(26)}`), NotFoundError);
  await assert.rejects(
    vantio.referrals.create({ impression_id: impression.id, first_name: "J", last_name: "D", email: referral.email }),
    (error) => {
      assert.ok(error instanceof DuplicateReferralError && error instanceof ConflictError);
      assert.equal(error.code, "duplicate_referral");
      assert.equal(error.status, 409);
      assert.match(error.requestId, /^req_[0-9a-f]{32}$/);
      return true;
    },
  );
});

// A 1x1 PNG: the smallest image the server takes as a logo.
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

test("a program's logo goes up as bytes and comes back the same; its posters download as PDF", async () => {
  const { program, poster } = await funnel(vantio);
  const updated = await vantio.programs.setLogo(program.id, PNG, "image/png");
  assert.equal(updated.logo_media_type, "image/png");
  assert.deepEqual(await vantio.programs.logo(program.id), PNG);
  const pdf = await vantio.posters.pdf(poster.id, { paper: "letter", ambassador: false });
  assert.equal(new TextDecoder().decode(pdf.subarray(0, 5)), "%PDF-");
  const all = await vantio.programs.postersPdf(program.id);
  assert.equal(new TextDecoder().decode(all.subarray(0, 5)), "%PDF-");
  assert.equal((await vantio.programs.removeLogo(program.id)).logo_media_type, null);
  await assert.rejects(vantio.programs.logo(program.id), NotFoundError);
});

test("the docs' client method names are the resource methods", async () => {
  const { program, user, impression } = await funnel(vantio);
  assert.equal((await vantio.getUser(user.id)).id, user.id);
  assert.equal((await vantio.getProgram(program.id)).name, program.name);
  const referral = await vantio.createReferral({ impression_id: impression.id, first_name: "A", last_name: "B", email: uniqueEmail() });
  const earning = await vantio.createEarning({ referral_id: referral.id, amount: 250, currency: "USD", type: "purchase" });
  assert.equal(earning.amount, 250);
  assert.equal((await vantio.updateReferral(referral.id, { status: "verified" })).status, "verified");
  assert.equal((await vantio.updateEarning(earning.id, { status: "processing" })).status, "processing");
  const page = await vantio.listReferrals({ programId: program.id });
  assert.deepEqual(page.referrals.map((r) => r.id), [referral.id]);
  assert.equal(page.has_more, false);
});

test("an idempotency key in the body, as the docs send it, is the call's key", async () => {
  const { impression } = await funnel(vantio);
  const seen = [];
  const recording = client(server, { fetch: recordingFetch(seen) });
  const key = `ref_${uniqueCode()}`;
  const body = { impression_id: impression.id, first_name: "I", last_name: "K", email: uniqueEmail(), idempotency_key: key };
  const first = await recording.referrals.create(body);
  const again = await recording.referrals.create(body);
  assert.equal(again.id, first.id); // the stored answer, not a duplicate_referral
  assert.deepEqual(seen.map((s) => s.headers["Idempotency-Key"]), [key, key]);
  const other = await recording.impressions.create({ poster_id: (await vantio.impressions.get(impression.id)).poster_id });
  assert.match(seen.at(-1).headers["Idempotency-Key"], /^[0-9a-f-]{36}$/); // a fresh uuid per call
  assert.ok(other.id.startsWith("imp_"));
});

test("checkout on the Voucher API: validate, apply, replay, rollback", async () => {
  const code = uniqueCode("SAVE");
  const voucher = await vantio.vouchers.create({ code, type: "percentage", value: 20, conditions: { max_uses: 5 } });
  assert.equal(voucher.code, code);
  const order = { id: "order_1", value: 5000, currency: "USD" };
  const validation = await vantio.vouchers.validate({ code, order });
  assert.equal(validation.is_valid, true);
  assert.equal(validation.discount_amount, 1000);
  const applied = await vantio.vouchers.apply({ code, order_id: "order_1", order });
  assert.equal(applied.final_amount, 4000);
  const replayed = await vantio.vouchers.apply({ code, order_id: "order_1", order });
  assert.equal(replayed.id, applied.id);
  assert.equal((await vantio.vouchers.get(voucher.id)).usage_count, 1);
  const rollback = await vantio.vouchers.rollback(applied.id, { reason: "refund" });
  assert.equal(rollback.application_id, applied.id);
  assert.equal((await vantio.vouchers.getApplication(applied.id)).status, "rolled_back");
  const soft = await vantio.vouchers.validate({ code: "NOPE-NOPE", order, soft: true });
  assert.equal(soft.is_valid, false);
  assert.equal(soft.error.code, "VOUCHER_NOT_FOUND");
  // The docs' SDK object: the same methods on `new VouchersAPI({apiKey})`.
  const docs = new VouchersAPI({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  assert.equal((await docs.get(voucher.id)).id, voucher.id);
});

test("request() calls any path with the same auth, retries and typed errors", async () => {
  const page = await vantio.request("GET", "/api/v1/programs", { query: { limit: 1 } });
  assert.ok(Array.isArray(page.programs));
  await assert.rejects(vantio.request("GET", "/v1/vouchers/v_0000000000000000"), (error) => error.code === "VOUCHER_NOT_FOUND");
});

test("the CommonJS build answers the same client", async () => {
  const require = createRequire(import.meta.url);
  const cjs = require("@vantio/client");
  assert.equal(cjs.VERSION, VERSION);
  const viaRequire = new cjs.Vantio({ apiKey: server.apiKey, baseUrl: server.baseUrl });
  const page = await viaRequire.programs.list({ limit: 1 });
  assert.ok(Array.isArray(page.programs));
  assert.ok(new cjs.NotFoundError("x") instanceof cjs.VantioError);
  assert.equal(typeof require("@vantio/client/node").webhookMiddleware, "function");
});

test("an API key is required, from the options or VANTIO_API_KEY", () => {
  const saved = process.env.VANTIO_API_KEY;
  delete process.env.VANTIO_API_KEY;
  try {
    assert.throws(() => new Vantio(), /apiKey is required/);
    process.env.VANTIO_API_KEY = "sk_test_from_env";
    assert.ok(new Vantio());
  } finally {
    if (saved === undefined) delete process.env.VANTIO_API_KEY;
    else process.env.VANTIO_API_KEY = saved;
  }
});
