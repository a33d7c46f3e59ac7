// examples/js, each run as its own process against the live server, as a reader would run it.
// Their `@vantio/client` and `express` resolve through links this test makes in
// examples/js/node_modules (what `npm install` there would put), to this package and its
// dev dependencies.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { client, funnel, uniqueEmail } from "./helpers/fixtures.mjs";
import { REPO_ROOT, SDK_ROOT, freePort, sharedServer } from "./helpers/server.mjs";

const EXAMPLES = join(REPO_ROOT, "examples", "js");
const run = promisify(execFile);
let server;
let env;

function link(target, path) {
  mkdirSync(join(path, ".."), { recursive: true });
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path, "dir");
}

before(async () => {
  server = await sharedServer();
  env = { ...process.env, VANTIO_API_KEY: server.apiKey, VANTIO_BASE_URL: server.baseUrl };
  link(SDK_ROOT, join(EXAMPLES, "node_modules", "@vantio", "client"));
  link(join(SDK_ROOT, "node_modules", "express"), join(EXAMPLES, "node_modules", "express"));
});
after(() => server.stop());

test("referral-signup.mjs: scan, signup (twice), purchase (twice), one referral, one earning", async () => {
  const { stdout } = await run(process.execPath, [join(EXAMPLES, "referral-signup.mjs")], { env, timeout: 60_000 });
  const lines = stdout.trim().split("\n");
  const result = JSON.parse(lines.pop());
  assert.deepEqual({ ok: result.ok, status: result.status, earnings: result.earnings }, { ok: true, status: "converted", earnings: 1000 });
  assert.match(lines.join("\n"), /1\. scan recorded as imp_/);
  const signup = lines.find((l) => l.startsWith("2."));
  const [first, again] = signup.match(/ref_\w+/g);
  assert.equal(first, again);
});

test("checkout.mjs: preview, typed refusals, apply, replay, refund", async () => {
  const { stdout } = await run(process.execPath, [join(EXAMPLES, "checkout.mjs")], { env, timeout: 60_000 });
  const lines = stdout.trim().split("\n");
  assert.deepEqual(JSON.parse(lines.pop()), { ok: true, final_amount: 5600, replayed: true, reusable: true });
  assert.match(lines[0], /Add \$20\.00 more to use that code\./);
  assert.match(lines[2], /That code does not exist\./);
  assert.match(lines[4], /That code has been used up\./);
});

test("webhook-receiver.mjs: real deliveries verified and handled, answered 200", async () => {
  const vantio = client(server);
  const port = await freePort();
  const endpoint = await vantio.webhookEndpoints.create({ url: `http://127.0.0.1:${port}/webhooks/vantio`, events: ["referral.created"] });
  const receiver = spawn(process.execPath, [join(EXAMPLES, "webhook-receiver.mjs")], {
    env: { ...env, PORT: String(port), VANTIO_WEBHOOK_SECRET: endpoint.secret },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  receiver.stdout.on("data", (chunk) => (output += chunk));
  receiver.stderr.on("data", (chunk) => (output += chunk));
  try {
    const deadline = Date.now() + 20_000;
    while (!output.includes("listening")) {
      assert.ok(Date.now() < deadline && receiver.exitCode === null, output);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const { impression, user } = await funnel(vantio);
    const referral = await vantio.referrals.create({ impression_id: impression.id, first_name: "W", last_name: "H", email: uniqueEmail() });
    while (!output.includes(referral.id)) {
      assert.ok(Date.now() < deadline, `no delivery handled: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(output, new RegExp(`new referral ${referral.id} for ambassador ${user.id}`));
    const { events } = await vantio.events.list({ type: "referral.created", limit: 50 });
    const eventId = events.find((e) => e.data.id === referral.id).id;
    let attempt;
    while (!attempt) {
      assert.ok(Date.now() < deadline, "no delivery attempt recorded");
      const event = await vantio.events.get(eventId);
      attempt = event.delivery_attempts.find((a) => a.endpoint_id === endpoint.id);
      if (!attempt) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(attempt.status_code, 200);
    assert.equal(attempt.succeeded, true);
  } finally {
    receiver.kill("SIGTERM"); // the process this test started, by its handle
    await vantio.webhookEndpoints.delete(endpoint.id);
  }
});
