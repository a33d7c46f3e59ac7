// Run by Deno and Bun (test/runtimes.test.mjs): the runtime-neutral ESM build against a live
// server, with no Node API in sight. Prints one JSON line of results.
import { NotFoundError, Vantio, webhooks } from "../../dist/esm/index.js";

const [baseUrl, apiKey] = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const vantio = new Vantio({ apiKey, baseUrl, retry: { initialDelay: 50 } });
const tag = crypto.randomUUID().slice(0, 8);

const program = await vantio.programs.create({ name: `runtime ${tag}`, landing_url: "https://example.com" });
const user = await vantio.users.create({ program_id: program.id, first_name: "R", last_name: "T", email: `amb-${tag}@example.com` });
const poster = await vantio.posters.create({ program_id: program.id, student_id: user.id });
const impression = await vantio.impressions.create({ poster_id: poster.id });
for (let i = 0; i < 3; i++) {
  await vantio.referrals.create({ impression_id: impression.id, first_name: "R", last_name: String(i), email: `r${i}-${tag}@example.com` });
}
const listed = [];
for await (const r of vantio.referrals.list({ program_id: program.id, limit: 2 })) listed.push(r.id);
let notFound = false;
try {
  await vantio.vouchers.get("v_0000000000000000");
} catch (error) {
  notFound = error instanceof NotFoundError && error.code === "VOUCHER_NOT_FOUND";
}
const secret = "whsec_" + btoa("a secret for the runtimes");
const body = JSON.stringify({ id: "evt_1", type: "referral.created", data: { id: "ref_1" } });
const headers = await webhooks.sign(body, secret, { msgId: "evt_1" });
const event = await webhooks.verify(new TextEncoder().encode(body), headers, secret);
let refused = false;
try {
  await webhooks.verify(body.replace("ref_1", "ref_2"), headers, secret);
} catch (error) {
  refused = error.name === "WebhookVerificationError";
}
console.log(JSON.stringify({ listed: listed.length, notFound, verified: event.id, refused }));
