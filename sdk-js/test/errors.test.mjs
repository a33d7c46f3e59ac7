// Every error class: provoked on a live `vantio serve` where the server can be brought to send
// it, else parsed from the body the docs give; and every error code the server's source
// defines has a class here (so a code added by a later change is flagged at once).
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as sdk from "@vantio/client";
import { client, funnel, uniqueCode, uniqueEmail } from "./helpers/fixtures.mjs";
import { REPO_ROOT, sharedServer, startServer } from "./helpers/server.mjs";

const E = sdk;
let server;
// A second server: private webhook URLs refused, and one request an hour per key (or per
// address, for requests without a valid key) on each surface.
let strict;
let vantio;
before(async () => {
  [server, strict] = await Promise.all([
    sharedServer(),
    startServer({
      VANTIO_WEBHOOK_ALLOW_PRIVATE: "0",
      VANTIO_RATE_LIMIT_REFERRALS: "1/hour",
      VANTIO_RATE_LIMIT_VOUCHERS_DEFAULT: "1/hour",
    }),
  ]);
  vantio = client(server);
});
after(() => Promise.all([server.stop(), strict.stop()]));

const ORDER = { id: "order_err", value: 5000, currency: "USD" };
const days = (n) => new Date(Date.now() + n * 86_400_000).toISOString();

async function referral(fields = {}) {
  const { impression } = await funnel(vantio, fields);
  return vantio.referrals.create({ impression_id: impression.id, first_name: "A", last_name: "B", email: uniqueEmail() });
}

async function voucher(fields = {}) {
  return vantio.vouchers.create({ code: uniqueCode(), type: "percentage", value: 10, ...fields });
}

/** [class, code as sent, status, how to make the live server send it] */
const LIVE = [
  [E.InvalidRequestError, "invalid_request", 400, () => vantio.programs.create({ name: "x" })],
  [E.ImpressionNotFoundError, "impression_not_found", 400, () =>
    vantio.referrals.create({ impression_id: `imp_${"0".repeat(26)}`, first_name: "A", last_name: "B", email: uniqueEmail() })],
  [E.AttributionWindowExpiredError, "attribution_window_expired", 400, async () => {
    const { poster } = await funnel(vantio, { attribution_window_days: 1 });
    const old = await vantio.impressions.create({ poster_id: poster.id, scanned_at: days(-2) });
    return vantio.referrals.create({ impression_id: old.id, first_name: "A", last_name: "B", email: uniqueEmail() });
  }],
  [E.SelfReferralError, "self_referral", 400, async () => {
    const { user, impression } = await funnel(vantio);
    return vantio.referrals.create({ impression_id: impression.id, first_name: "A", last_name: "B", email: user.email });
  }],
  [E.InvalidStatusTransitionError, "invalid_status_transition", 400, async () => {
    const r = await referral();
    await vantio.referrals.update(r.id, { status: "rejected" });
    return vantio.referrals.update(r.id, { status: "converted" });
  }],
  [E.ReferralRejectedError, "referral_rejected", 400, async () => {
    const r = await referral();
    await vantio.referrals.update(r.id, { status: "rejected" });
    return vantio.earnings.create({ referral_id: r.id, amount: 100 });
  }],
  [E.EarningLockedError, "earning_locked", 400, async () => {
    const earning = await vantio.earnings.create({ referral_id: (await referral()).id, amount: 100 });
    await vantio.earnings.update(earning.id, { status: "processing" });
    return vantio.earnings.update(earning.id, { amount: 200 });
  }],
  [E.InvalidRangeError, "invalid_range", 400, () => vantio.analytics.funnel({ from: "2026-03-10", to: "2026-03-01" })],
  [E.WebhookUrlNotAllowedError, "webhook_url_not_allowed", 400, () =>
    client(strict).webhookEndpoints.create({ url: "http://127.0.0.1:9/hook", events: ["*"] })],
  [E.LogoTooLargeError, "logo_too_large", 400, async () => {
    const { program } = await funnel(vantio);
    return vantio.programs.setLogo(program.id, new Uint8Array(600 * 1024), "image/png");
  }],
  [E.NoPostersError, "no_posters", 409, async () => {
    const program = await vantio.programs.create({ name: "No posters yet", landing_url: "https://example.com" });
    return vantio.programs.postersPdf(program.id);
  }],
  [E.PayloadTooLargeError, "payload_too_large", 413, () =>
    vantio.programs.create({ name: "big", landing_url: "https://example.com", description: "x".repeat(2 * 1024 * 1024) })],
  [E.DuplicateReferralError, "duplicate_referral", 409, async () => {
    const r = await referral();
    const again = await vantio.referrals.get(r.id);
    return vantio.referrals.create({ impression_id: again.impression_id, first_name: "A", last_name: "B", email: r.email });
  }],
  [E.DuplicateUserError, "duplicate_user", 409, async () => {
    const { program, user } = await funnel(vantio);
    return vantio.users.create({ program_id: program.id, first_name: "A", last_name: "B", email: user.email });
  }],
  [E.WebhookEndpointDisabledError, "webhook_endpoint_disabled", 409, async () => {
    const endpoint = await vantio.webhookEndpoints.create({ url: "http://127.0.0.1:9/hook", events: ["referral.created"] });
    await referral();
    const [event] = (await vantio.events.list({ type: "referral.created", limit: 1 })).events;
    await vantio.webhookEndpoints.update(endpoint.id, { disabled: true });
    try {
      return await vantio.events.redeliver(event.id, { endpoint_id: endpoint.id });
    } finally {
      await vantio.webhookEndpoints.delete(endpoint.id);
    }
  }],
  [E.IdempotencyKeyReusedError, "idempotency_key_reused", 409, async () => {
    const key = uniqueCode("key");
    await vantio.programs.create({ name: "one", landing_url: "https://example.com" }, { idempotencyKey: key });
    return vantio.programs.create({ name: "two", landing_url: "https://example.com" }, { idempotencyKey: key });
  }],
  [E.IdempotencyKeyReusedError, "IDEMPOTENCY_KEY_REUSED", 409, async () => {
    const key = uniqueCode("key");
    await voucher({ idempotency_key: key });
    return voucher({ idempotency_key: key });
  }],
  [E.InvalidApiKeyError, "invalid_api_key", 401, () => client({ ...server, apiKey: "sk_test_wrong" }).programs.list()],
  [E.InvalidApiKeyError, "INVALID_API_KEY", 401, () => client({ ...server, apiKey: "sk_test_wrong" }).vouchers.list()],
  [E.MissingApiKeyError, "missing_api_key", 401, () => vantio.programs.list({}, { headers: { Authorization: "" } })],
  [E.NotFoundError, "not_found", 404, () => vantio.programs.get(`prog_${"0".repeat(26)}`)],
  // A wrong key: its requests count against the address's bucket, not the valid key's.
  [E.RateLimitError, "rate_limit_exceeded", 429, async () => {
    const limited = client({ ...strict, apiKey: "sk_test_unknown" }, { maxRetries: 0 });
    await limited.programs.list().then(() => {}, () => {});
    return limited.programs.list();
  }],
  [E.RateLimitError, "RATE_LIMIT_EXCEEDED", 429, async () => {
    const limited = client({ ...strict, apiKey: "sk_test_unknown" }, { maxRetries: 0 });
    await limited.vouchers.list().then(() => {}, () => {});
    return limited.vouchers.list();
  }],
  [E.InvalidRequestError, "INVALID_REQUEST", 400, () => vantio.vouchers.create({ code: uniqueCode() })],
  [E.InvalidVoucherCodeError, "INVALID_VOUCHER_CODE", 400, () => voucher({ code: "a b" })],
  [E.InvalidConfigurationError, "INVALID_CONFIGURATION", 400, () => voucher({ type: "bogo", value: undefined })],
  [E.InvalidConditionsError, "INVALID_CONDITIONS", 400, () => voucher({ conditions: { valid_from: days(400), valid_until: days(10) } })],
  [E.VoucherInvalidError, "VOUCHER_INVALID", 400, async () =>
    vantio.vouchers.validate({ code: (await voucher({ conditions: { min_order_value: 10_000 } })).code, order: ORDER })],
  [E.VoucherExpiredError, "VOUCHER_EXPIRED", 400, async () => {
    const v = await voucher({ conditions: { valid_from: days(-10), valid_until: days(-1) } });
    return vantio.vouchers.validate({ code: v.code, order: ORDER });
  }],
  [E.UsageLimitExceededError, "USAGE_LIMIT_EXCEEDED", 400, async () => {
    const v = await voucher({ conditions: { max_uses: 1 } });
    await vantio.vouchers.apply({ code: v.code, order_id: "order_a", order: ORDER });
    return vantio.vouchers.apply({ code: v.code, order_id: "order_b", order: ORDER });
  }],
  [E.ConditionNotMetError, "CONDITION_NOT_MET", 400, async () => {
    const v = await voucher({ conditions: { product_ids: ["item_1"] } });
    return vantio.vouchers.validate({ code: v.code, order: { value: 500, items: [{ id: "item_9", price: 500 }] } });
  }],
  [E.InvalidTimePeriodError, "INVALID_TIME_PERIOD", 400, async () =>
    vantio.voucherAnalytics.performance((await voucher()).id, { start_date: "2025-01-01", end_date: "2025-12-31" })],
  [E.VoucherNotFoundError, "VOUCHER_NOT_FOUND", 404, () => vantio.vouchers.get("v_0000000000000000")],
  [E.ApplicationNotFoundError, "APPLICATION_NOT_FOUND", 404, () => vantio.vouchers.getApplication("va_0000000000000000")],
  [E.CampaignNotFoundError, "CAMPAIGN_NOT_FOUND", 404, () => vantio.campaigns.get("camp_0000000000000000")],
  [E.ExportNotFoundError, "EXPORT_NOT_FOUND", 404, () => vantio.voucherAnalytics.getExport("export_0000000000000000")],
  [E.DuplicateVoucherCodeError, "DUPLICATE_VOUCHER_CODE", 409, async () => voucher({ code: (await voucher()).code })],
  [E.StackingConflictError, "STACKING_CONFLICT", 409, async () => {
    const stackable = await voucher({ type: "stackable", value: undefined, config: { base_discount: 10, stack_rules: { stackable_with: ["fixed"] } } });
    return vantio.vouchers.validate({ codes: [stackable.code, (await voucher()).code], order: ORDER });
  }],
  [E.VoucherAlreadyAppliedError, "VOUCHER_ALREADY_APPLIED", 409, async () => {
    const v = await voucher();
    await vantio.vouchers.apply({ code: v.code, order_id: "order_x", order: ORDER });
    return vantio.vouchers.apply({ code: v.code, order_id: "order_x", order: { ...ORDER, value: 9000 } });
  }],
  [E.AlreadyRolledBackError, "ALREADY_ROLLED_BACK", 409, async () => {
    const v = await voucher();
    const application = await vantio.vouchers.apply({ code: v.code, order_id: "order_r", order: ORDER });
    await vantio.vouchers.rollback(application.id);
    return vantio.vouchers.rollback(application.id);
  }],
];

for (const [Class, code, status, provoke] of LIVE) {
  test(`${Class.name}: the live server's ${status} ${code}`, async () => {
    await assert.rejects(provoke(), (error) => {
      assert.ok(error instanceof Class, `${error.name} (${error.code}: ${error.message}) is not a ${Class.name}`);
      assert.ok(error instanceof E.VantioError);
      assert.equal(error.constructor, Class);
      assert.equal(error.code, code);
      assert.equal(error.status, status);
      assert.equal(error.surface, code === code.toUpperCase() ? "voucher" : "referral");
      assert.ok(error.message.length > 0);
      assert.match(error.requestId, /^req_/);
      assert.deepEqual(error.response, { status, data: error.body });
      if (status === 429) assert.ok(error.retryAfter >= 1, "a 429 carries Retry-After");
      return true;
    });
  });
}

test("details come through: the failing fields of a 400, the existing id of a duplicate", async () => {
  await assert.rejects(vantio.programs.create({ name: "x" }), (error) => {
    assert.ok(error.details.some((d) => d.field === "landing_url"));
    return true;
  });
  const r = await referral();
  const again = await vantio.referrals.get(r.id);
  await assert.rejects(
    vantio.referrals.create({ impression_id: again.impression_id, first_name: "A", last_name: "B", email: r.email }),
    (error) => error.details.existing_id === r.id,
  );
});

/**
 * The classes the live server cannot be brought to send here: races, expiries, codes only the
 * voucher docs name, and failures of the client side. Each is built from the body its surface
 * would send, through the same parser, or by the client itself.
 */
const PARSED = [
  // Defined by the server (vantio/errors.py) but raised nowhere today: a bad ID is an invalid_request.
  [E.InvalidIdError, 400, { error: "Bad Request", message: "referral_id: expected an ID starting with 'ref_'", code: "invalid_id" }],
  [E.PayoutConflictError, 409, { error: "Conflict", message: "another payout run claimed these earnings", code: "payout_conflict" }],
  // A program of more than 1000 posters: too many to make for a test.
  [E.TooManyPostersError, 409, { error: "Conflict", message: "more than one PDF holds", code: "too_many_posters" }],
  [E.PayoutEarningsChangedError, 409, { error: "Conflict", message: "changed", code: "payout_earnings_changed" }],
  // The money rules (issue 15): tested against the server in tests/earnings/test_money_rules.py.
  [E.DuplicateConversionError, 409, { error: "Conflict", message: "external_id: earning earn_1 already pays it", code: "duplicate_conversion", details: { field: "external_id", existing_id: "earn_1" } }],
  [E.EarningAlreadyReversedError, 409, { error: "Conflict", message: "already reversed", code: "earning_already_reversed" }],
  [E.EarningNotReversibleError, 400, { error: "Bad Request", message: "a clawback cannot be reversed", code: "earning_not_reversible" }],
  [E.CommissionWindowEndedError, 400, { error: "Bad Request", message: "this sale earns nothing", code: "commission_window_ended" }],
  [E.IdempotencyKeyInFlightError, 409, { error: "Conflict", message: "still running", code: "idempotency_key_in_flight" }],
  [E.ExportNotReadyError, 409, { error: { code: "EXPORT_NOT_READY", message: "still processing" } }],
  [E.ExportExpiredError, 410, { error: { code: "EXPORT_EXPIRED", message: "expired" } }],
  [E.ExportFailedError, 500, { error: { code: "EXPORT_FAILED", message: "failed", details: { reason: "x" } } }],
  [E.ServiceUnavailableError, 503, { error: { code: "SERVICE_UNAVAILABLE", message: "later" } }],
  [E.ServiceUnavailableError, 503, { error: "Service Unavailable", message: "the database is unreachable", code: "service_unavailable" }],
  // A bug on the server: the answer names the request to quote, on both surfaces.
  [E.InternalServerError, 500, { error: "Internal Server Error", message: "quote req_1", code: "internal_error" }],
  [E.InternalServerError, 500, { error: { code: "INTERNAL_ERROR", message: "quote req_1" } }],
  [E.ConcurrentLimitExceededError, 429, { error: { code: "CONCURRENT_LIMIT_EXCEEDED", message: "too many" } }],
  [E.InsufficientPermissionsError, 403, { error: { code: "INSUFFICIENT_PERMISSIONS", message: "scope" } }],
  [E.InvalidDiscountConfigError, 400, { error: { code: "INVALID_DISCOUNT_CONFIG", message: "bad" } }],
  [E.VoucherAlreadyUsedError, 409, { error: { code: "VOUCHER_ALREADY_USED", message: "used" } }],
  [E.InvalidApiKeyError, 401, { error: { code: "AUTH_INVALID_KEY", message: "older spelling" } }],
  [E.AuthenticationError, 401, { error: "Unauthorized", message: "Invalid or missing API key", code: "unauthorized" }],
  [E.PermissionDeniedError, 403, { error: "Forbidden", message: "no" }],
  [E.ConflictError, 409, { error: "Conflict", message: "a new conflict code", code: "some_future_code" }],
  [E.GoneError, 410, { error: "Gone", message: "gone" }],
  [E.BadRequestError, 422, { error: "Unprocessable Entity", message: "x" }],
  [E.ServerError, 502, { error: "Bad Gateway", message: "upstream" }],
  [E.VantioError, 418, { error: "I'm a teapot", message: "x" }],
];

for (const [Class, status, body] of PARSED) {
  test(`${Class.name}: parsed from a ${status} body`, () => {
    const path = typeof body.error === "object" ? "voucher" : "referral";
    const error = E.errorFromResponse(status, JSON.stringify(body), { requestId: "req_1", surface: path });
    assert.equal(error.constructor, Class);
    assert.equal(error.status, status);
    assert.equal(error.code, typeof body.error === "object" ? body.error.code : body.code);
    assert.equal(error.message, typeof body.error === "object" ? body.error.message : body.message);
  });
}

test("a code whose class belongs under another status falls back to the status's class", () => {
  const error = E.errorFromResponse(500, JSON.stringify({ error: { code: "VOUCHER_NOT_FOUND", message: "odd" } }), { surface: "voucher" });
  assert.equal(error.constructor, E.ServerError); // never an instanceof NotFoundError with status 500
  const html = E.errorFromResponse(502, "<html>Bad gateway</html>", { surface: "referral" });
  assert.equal(html.message, "<html>Bad gateway</html>");
});

test("no answer: APIConnectionError, APIConnectionTimeoutError, APIUserAbortError (see retries.test.mjs)", () => {
  for (const Class of [E.APIConnectionError, E.APIConnectionTimeoutError, E.APIUserAbortError, E.WebhookVerificationError]) {
    assert.ok(new Class("x") instanceof E.VantioError);
  }
});

test("every exported error class is tested above, on the live server or parsed", () => {
  const covered = new Set([...LIVE.map(([c]) => c), ...PARSED.map(([c]) => c)]);
  // Raised by the client itself, and tested where that happens.
  for (const name of ["APIConnectionError", "APIConnectionTimeoutError", "APIUserAbortError", "WebhookVerificationError"]) {
    covered.add(E[name]);
  }
  const classes = Object.values(sdk).filter((v) => v === E.VantioError || v?.prototype instanceof E.VantioError);
  const missing = classes.filter((c) => !covered.has(c)).map((c) => c.name);
  assert.deepEqual(missing, []);
  assert.ok(classes.length >= 50, `${classes.length} classes`);
});

function pythonFiles(directory) {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return pythonFiles(path);
    return name.endsWith(".py") ? [path] : [];
  });
}

test("every error code in the server's source has a class on its surface", () => {
  // Codes of the dashboard's forms and of internal steps never reach an API client.
  const notApi = new Set(["sign_in_failed", "duplicate_operator", "scan_not_recorded", "batch_item_failed", "TEMPLATE", "http_error", "method_not_allowed", "no_event_yet"]);
  const codes = new Set();
  for (const file of pythonFiles(join(REPO_ROOT, "vantio"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/\bcode\s*=\s*"([A-Za-z_]+)"/g)) codes.add(match[1]);
  }
  assert.ok(codes.size > 30, `found ${codes.size} codes: is the server's source at ../vantio?`);
  const missing = [...codes].filter((code) => {
    if (notApi.has(code)) return false;
    const classes = [E.ERROR_CODES.referral[code.toLowerCase()], E.ERROR_CODES.voucher[code.toUpperCase()]];
    return classes.every((cls) => cls === undefined);
  });
  assert.deepEqual(missing, [], "add a class for each new code in sdk-js/src/errors.ts (and a case in this file)");
});
