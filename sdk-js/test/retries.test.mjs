// Retries: 429 (honouring Retry-After) then success on a live server, 5xx and network errors
// with backoff and one idempotency key, a lost answer that still creates one object,
// timeouts, AbortSignal, and never a retry of another 4xx.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  NotFoundError,
  RateLimitError,
  RetryPolicy,
  ServerError,
  Vantio,
  parseRetryAfter,
} from "@vantio/client";
import { FAST, client, funnel, recordingFetch, uniqueEmail } from "./helpers/fixtures.mjs";
import { JSON_HEADERS, UNAVAILABLE, droppingProxy, scriptedServer, silentServer } from "./helpers/http.mjs";
import { freePort, sharedServer, startServer } from "./helpers/server.mjs";

let server;
let limited; // 2 requests a second on /api/v1, 1 an hour on /v1's default class
before(async () => {
  [server, limited] = await Promise.all([
    sharedServer(),
    startServer({ VANTIO_RATE_LIMIT_REFERRALS: "2/second", VANTIO_RATE_LIMIT_VOUCHERS_DEFAULT: "1/hour" }),
  ]);
});
after(() => Promise.all([server.stop(), limited.stop()]));

test("a 429 from the live server, then success after its Retry-After, with one idempotency key", async () => {
  const seen = [];
  const vantio = client(limited, { fetch: recordingFetch(seen) });
  // Six at once against 2 a second: however the limiter's window falls, some are refused.
  const names = ["one", "two", "three", "four", "five", "six"];
  const programs = await Promise.all(names.map((name) => vantio.programs.create({ name, landing_url: "https://example.com" })));
  assert.deepEqual(programs.map((p) => p.name), names);
  const refused = seen.filter((s) => s.status === 429);
  assert.ok(refused.length >= 2, `statuses ${seen.map((s) => s.status)}`);
  for (const attempt of refused) {
    // The same call's next attempt: same key, sent after the Retry-After (1 s), answered 200 in the end.
    const key = attempt.headers["Idempotency-Key"];
    const attempts = seen.filter((s) => s.headers["Idempotency-Key"] === key);
    assert.equal(attempts.at(-1).status, 200);
    const next = attempts[attempts.indexOf(attempt) + 1];
    assert.ok(next.at - attempt.at >= 900, `retried after ${next.at - attempt.at} ms`);
  }
  // Six calls, six programs: the refused attempts created nothing.
  const all = await vantio.programs.list().toArray();
  assert.deepEqual(all.map((p) => p.name).sort(), [...names].sort());
});

test("a Retry-After longer than maxRetryAfter is not waited for", async () => {
  const seen = [];
  const vantio = client(limited, { fetch: recordingFetch(seen) });
  await vantio.vouchers.list().then(() => {}, () => {}); // spends the hour's one request
  seen.length = 0;
  await assert.rejects(vantio.vouchers.list(), (error) => {
    assert.ok(error instanceof RateLimitError);
    assert.ok(error.retryAfter > 60, `Retry-After ${error.retryAfter}`);
    return true;
  });
  assert.deepEqual(seen.map((s) => s.status), [429]); // thrown at once, not retried
});

test("503 twice, then 200: backoff with jitter, the same key and body on every attempt", async () => {
  const scripted = await scriptedServer([UNAVAILABLE, UNAVAILABLE]);
  try {
    const vantio = new Vantio({ apiKey: "sk_test_x", baseUrl: scripted.url, retry: FAST });
    assert.deepEqual(await vantio.request("POST", "/api/v1/referrals", { body: { a: 1 } }), { ok: true });
    assert.equal(scripted.seen.length, 3);
    const keys = new Set(scripted.seen.map((s) => s.headers["idempotency-key"]));
    assert.equal(keys.size, 1);
    assert.match([...keys][0], /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(new Set(scripted.seen.map((s) => s.body)), new Set(['{"a":1}']));
    const [first, second, third] = scripted.seen.map((s) => s.at);
    assert.ok(second - first >= FAST.initialDelay / 2 - 5);
    assert.ok(third - second >= FAST.initialDelay - 5, "the second wait at least doubles the first's floor");
  } finally {
    await scripted.close();
  }
});

test("5xx until the retries run out: a ServerError after 1 + maxRetries attempts", async () => {
  const scripted = await scriptedServer(Array(10).fill(UNAVAILABLE));
  try {
    const vantio = new Vantio({ apiKey: "sk_test_x", baseUrl: scripted.url, retry: FAST, maxRetries: 2 });
    await assert.rejects(vantio.programs.list(), (error) => error instanceof ServerError && error.status === 503);
    assert.equal(scripted.seen.length, 3);
  } finally {
    await scripted.close();
  }
});

test("another 4xx is never retried", async () => {
  const scripted = await scriptedServer([[404, JSON_HEADERS, '{"error": "Not Found", "message": "no", "code": "not_found"}']]);
  try {
    const vantio = new Vantio({ apiKey: "sk_test_x", baseUrl: scripted.url, retry: FAST });
    await assert.rejects(vantio.programs.get("prog_1"), NotFoundError);
    assert.equal(scripted.seen.length, 1);
  } finally {
    await scripted.close();
  }
});

test("a POST whose answer is lost is retried with its key and creates one object", async () => {
  const proxy = await droppingProxy(server.baseUrl, 1);
  try {
    const direct = client(server);
    const { program, impression } = await funnel(direct);
    const email = uniqueEmail();
    const viaProxy = client({ ...server, baseUrl: proxy.url });
    const referral = await viaProxy.referrals.create({ impression_id: impression.id, first_name: "L", last_name: "A", email });
    const posts = proxy.seen.filter((s) => s.method === "POST");
    assert.equal(posts.length, 2); // the lost answer, and the retry
    assert.equal(posts[0].key, posts[1].key);
    assert.equal(posts[0].status, 200);
    assert.equal(posts[1].replayed, "true"); // the stored answer, not a second referral
    const all = await direct.referrals.list({ program_id: program.id }).toArray();
    assert.deepEqual(all.map((r) => r.id), [referral.id]);
    assert.equal(all[0].email, email);
  } finally {
    await proxy.close();
  }
});

test("network errors are retried, then thrown as APIConnectionError", async () => {
  const port = await freePort(); // nothing listens there
  const vantio = new Vantio({ apiKey: "sk_test_x", baseUrl: `http://127.0.0.1:${port}`, retry: FAST });
  const started = performance.now();
  await assert.rejects(vantio.users.list(), (error) => {
    assert.ok(error instanceof APIConnectionError);
    assert.equal(error.status, undefined);
    assert.match(error.requestId, /^req_/);
    return true;
  });
  assert.ok(performance.now() - started >= (3 * FAST.initialDelay) / 2, "it backed off three times");
});

test("a timeout per attempt: APIConnectionTimeoutError once the retries are spent", async () => {
  const silent = await silentServer();
  try {
    const vantio = new Vantio({ apiKey: "sk_test_x", baseUrl: silent.url, retry: FAST, maxRetries: 1, timeout: 150 });
    await assert.rejects(vantio.programs.list(), APIConnectionTimeoutError);
    assert.equal(silent.seen.length, 2);
    await assert.rejects(vantio.programs.list({}, { timeout: 50, maxRetries: 0 }), /no answer within 50 ms/);
  } finally {
    await silent.close();
  }
});

test("an AbortSignal stops the call in flight, between retries, or before it starts", async () => {
  const silent = await silentServer();
  const scripted = await scriptedServer(Array(10).fill(UNAVAILABLE));
  try {
    const hanging = new Vantio({ apiKey: "sk_test_x", baseUrl: silent.url, retry: FAST });
    const inFlight = new AbortController();
    setTimeout(() => inFlight.abort(new Error("user left")), 100);
    await assert.rejects(hanging.programs.list({}, { signal: inFlight.signal }), (error) => {
      assert.ok(error instanceof APIUserAbortError);
      assert.equal(error.cause.message, "user left");
      return true;
    });
    assert.equal(silent.seen.length, 1); // not retried

    const backingOff = new Vantio({ apiKey: "sk_test_x", baseUrl: scripted.url, retry: { initialDelay: 10_000 } });
    const between = new AbortController();
    const started = performance.now();
    setTimeout(() => between.abort(), 200);
    await assert.rejects(backingOff.programs.list({}, { signal: between.signal }), APIUserAbortError);
    assert.ok(performance.now() - started < 5000, "did not sit out the 5-10 s backoff");

    await assert.rejects(hanging.programs.list({}, { signal: AbortSignal.abort() }), APIUserAbortError);
    assert.equal(silent.seen.length, 1);
  } finally {
    await Promise.all([silent.close(), scripted.close()]);
  }
});

test("the retry policy: equal jitter under a doubling ceiling, Retry-After in both forms", () => {
  const policy = new RetryPolicy({ initialDelay: 100, maxDelay: 400, maxRetries: 3 });
  for (let retry = 0; retry < 5; retry++) {
    const ceiling = Math.min(400, 100 * 2 ** retry);
    for (let i = 0; i < 50; i++) {
      const delay = policy.delay(retry);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `${delay} for retry ${retry}`);
    }
  }
  assert.equal(policy.delay(0, 2), 2000);
  assert.equal(policy.shouldRetry(3, 503), false);
  assert.equal(policy.shouldRetry(0, 409), false);
  assert.equal(policy.shouldRetry(0, 429, 61), false);
  assert.equal(policy.shouldRetry(0, undefined), true);
  assert.equal(parseRetryAfter("3"), 3);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now), 30);
  assert.equal(parseRetryAfter("soon"), undefined);
});
