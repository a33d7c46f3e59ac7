// Lists: 250 referrals walked with `for await` in pages of 100, one page by `await`, the
// Voucher API's envelope, and batch helpers with bounded concurrency and per-item results.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { BadRequestError, ListRequest, batch } from "@vantio/client";
import { client, funnel, recordingFetch, uniqueCode, uniqueEmail } from "./helpers/fixtures.mjs";
import { sharedServer } from "./helpers/server.mjs";

let server;
let vantio;
let program;
let created;
before(async () => {
  server = await sharedServer();
  vantio = client(server);
  const f = await funnel(vantio);
  program = f.program;
  const signups = Array.from({ length: 250 }, (_, i) => ({ email: uniqueEmail(`p${i}`), n: i }));
  const outcome = await vantio.batch(
    signups,
    (s) => vantio.referrals.create({ impression_id: f.impression.id, first_name: "P", last_name: String(s.n), email: s.email }),
    { concurrency: 8 },
  );
  assert.ok(outcome.ok, JSON.stringify(outcome.errors.slice(0, 2)));
  created = outcome.results;
});
after(() => server.stop());

test("for await walks 250 rows in pages of 100, newest first, each exactly once", async () => {
  const seen = [];
  const recording = client(server, { fetch: recordingFetch(seen) });
  const ids = [];
  const list = recording.referrals.list({ program_id: program.id, status: "pending" });
  assert.ok(list instanceof ListRequest);
  for await (const referral of list) ids.push(referral.id);
  assert.equal(ids.length, 250);
  assert.equal(new Set(ids).size, 250);
  assert.deepEqual([...ids].sort(), created.map((r) => r.id).sort());
  assert.deepEqual(ids, [...ids].sort().reverse()); // IDs sort by creation time
  const queries = seen.map((s) => new URLSearchParams(s.query));
  assert.deepEqual(queries.map((q) => [q.get("limit"), q.get("offset")]), [["100", "0"], ["100", "100"], ["100", "200"]]);
  assert.ok(queries.every((q) => q.get("program_id") === program.id && q.get("status") === "pending"));
});

test("await is one page: the server's envelope, with has_more", async () => {
  const page = await vantio.referrals.list({ program_id: program.id, limit: 20, offset: 240 });
  assert.equal(page.referrals.length, 10);
  assert.equal(page.has_more, false);
  const first = await vantio.referrals.list({ programId: program.id, limit: 5 });
  assert.equal(first.referrals.length, 5);
  assert.equal(first.has_more, true);
});

test("iteration starts at offset and pages by limit; pages() gives whole pages", async () => {
  const ids = [];
  for await (const r of vantio.referrals.list({ program_id: program.id, limit: 40, offset: 200 })) ids.push(r.id);
  assert.equal(ids.length, 50);
  const sizes = [];
  for await (const page of vantio.referrals.list({ program_id: program.id, limit: 100 }).pages()) sizes.push(page.referrals.length);
  assert.deepEqual(sizes, [100, 100, 50]);
  await assert.rejects(vantio.referrals.list({ program_id: program.id }).toArray(100), RangeError);
  const empty = await vantio.referrals.list({ program_id: program.id, status: "verified" }).toArray();
  assert.deepEqual(empty, []);
});

test("the Voucher API's lists: {data, total, limit, offset, has_more}, iterated the same way", async () => {
  const prefix = uniqueCode("PG");
  const campaign = await vantio.campaigns.create({
    name: "pages",
    type: "fixed",
    value: 500,
    code_pattern: { prefix: `${prefix}-`, length: 6, count: 120 },
  });
  const page = await vantio.campaigns.codes(campaign.id, { limit: 10 });
  assert.equal(page.data.length, 10);
  assert.equal(page.total, 120);
  assert.equal(page.has_more, true);
  const codes = [];
  for await (const v of vantio.campaigns.codes(campaign.id)) codes.push(v.code);
  assert.equal(codes.length, 120);
  assert.equal(new Set(codes).size, 120);
  assert.ok(codes.every((c) => c.startsWith(`${prefix}-`)));
  let campaigns = 0;
  for await (const c of vantio.campaigns.list()) campaigns += c.id === campaign.id ? 1 : 0;
  assert.equal(campaigns, 1);
});

test("batch: at most `concurrency` calls at once, results and errors in input order", async () => {
  let running = 0;
  let most = 0;
  const { impression } = await funnel(vantio);
  const emails = Array.from({ length: 12 }, () => uniqueEmail());
  emails.splice(4, 0, "not an email");
  emails.splice(9, 0, "also not one");
  const outcome = await batch(
    emails,
    async (email) => {
      running += 1;
      most = Math.max(most, running);
      try {
        return await vantio.referrals.create({ impression_id: impression.id, first_name: "B", last_name: "C", email });
      } finally {
        running -= 1;
      }
    },
    { concurrency: 3 },
  );
  assert.equal(most, 3);
  assert.equal(outcome.ok, false);
  assert.deepEqual(outcome.errors.map((e) => [e.index, e.item]), [[4, "not an email"], [9, "also not one"]]);
  assert.ok(outcome.errors.every((e) => e.error instanceof BadRequestError));
  assert.equal(outcome.results[4], undefined);
  assert.deepEqual(outcome.succeeded().map((r) => r.email), emails.filter((e) => e.includes("@")));
  await assert.rejects(batch([1], async (x) => x, { concurrency: 0 }), RangeError);
  const aborted = await batch([1, 2, 3], async (x) => x, { signal: AbortSignal.abort(new Error("stop")) });
  assert.equal(aborted.errors.length, 3);
});

test("the server's own batch endpoints: per-item results in input order", async () => {
  const good = uniqueCode("B");
  const created = await vantio.vouchers.batchCreate([
    { code: good, type: "percentage", value: 10 },
    { code: "bad code", type: "percentage", value: 10 },
    { code: uniqueCode("B"), type: "fixed", value: 300 },
  ]);
  assert.deepEqual(created.results.map((r) => r.success), [true, false, true]);
  assert.equal(created.results[1].error.code, "INVALID_VOUCHER_CODE");
  assert.equal(created.failed, 1);
  const order = { value: 2000, currency: "USD" };
  const checked = await vantio.vouchers.batchValidate([{ code: good, order }, { code: "NOPE-NOPE", order }]);
  assert.deepEqual(checked.validations.map((v) => v.is_valid), [true, false]);
  assert.equal(checked.validations[1].error.code, "VOUCHER_NOT_FOUND");
});
