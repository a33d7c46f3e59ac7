// The referral flow at signup, with @vantio/client: the integration guide's ReferralFlowHandler
// (and its retry, idempotency and error-handling helpers), written with the SDK.
//
//   poster QR scan → impression → signup (referral) → purchase (earning, referral converted)
//
// Run against a running `vantio serve` (cd examples/js && npm install first):
//   VANTIO_API_KEY=sk_test_... [VANTIO_BASE_URL=http://127.0.0.1:3000] node referral-signup.mjs
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { DuplicateReferralError, Vantio, VantioError } from "@vantio/client";

/**
 * The guide's ReferralFlowHandler. What it hand-wrote is the SDK's job now: retries with
 * backoff, typed errors, and idempotency keys. Its keys were `ref_${userId}_${Date.now()}`,
 * new on every attempt, so a retry could create a second referral; these are stable per signup
 * and per order, so a retry (or a replay of the whole handler) gets the stored answer.
 */
export class ReferralFlowHandler {
  constructor(vantio) {
    this.vantio = vantio;
  }

  /** The landing page's URL carries the scan's impression: `?impression_id=imp_...`. */
  impressionOf(landingUrl) {
    return new URL(landingUrl).searchParams.get("impression_id");
  }

  async handleSignup(impressionId, user) {
    try {
      return await this.vantio.referrals.create(
        {
          impression_id: impressionId,
          first_name: user.firstName,
          last_name: user.lastName,
          email: user.email,
          metadata: { source: "poster_qr_code", shop_user_id: user.userId },
        },
        { idempotencyKey: `signup_${user.userId}` },
      );
    } catch (error) {
      // The same person signing up twice is not an error for the shop: keep the first referral.
      if (error instanceof DuplicateReferralError) return this.vantio.referrals.get(error.details.existing_id);
      throw error;
    }
  }

  /** An earning from the order's total: the program's commission (10 %) is applied by Vantio. */
  async handlePurchase(referralId, order) {
    // Creating an earning on a pending referral converts it; no separate updateReferral call.
    return this.vantio.earnings.create(
      {
        referral_id: referralId,
        sale_amount: order.totalCents,
        type: "purchase",
        description: `Commission from order #${order.orderId}`,
        metadata: { order_id: order.orderId },
      },
      { idempotencyKey: `earn_${order.orderId}` },
    );
  }
}

/** What a phone does when it scans the poster: open the QR code's URL and follow no further. */
async function scan(scanUrl) {
  const phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
  const answer = await fetch(scanUrl, { redirect: "manual", headers: { "User-Agent": phone } });
  if (answer.status !== 302) throw new Error(`scan of ${scanUrl} answered ${answer.status}`);
  return answer.headers.get("location");
}

const money = (cents, currency) => new Intl.NumberFormat("en-US", { style: "currency", currency }).format(cents / 100);

async function main() {
  const vantio = new Vantio(); // VANTIO_API_KEY, VANTIO_BASE_URL
  const run = randomUUID().slice(0, 6);
  // Set-up the dashboard would normally do: a program, an ambassador, her poster.
  const program = await vantio.programs.create({
    name: `Campus Ambassadors ${run}`,
    landing_url: "https://shop.example.com/signup",
    commission: { type: "percentage", rate: 10 },
  });
  const ambassador = await vantio.users.create({
    program_id: program.id,
    first_name: "Maya",
    last_name: "Okafor",
    email: `maya.${run}@university.example`,
  });
  const poster = await vantio.posters.create({ program_id: program.id, student_id: ambassador.id, location: "Library" });
  console.log(`poster ${poster.id}: QR code → ${poster.scan_url}`);

  const flow = new ReferralFlowHandler(vantio);
  const landing = await scan(poster.scan_url);
  const impressionId = flow.impressionOf(landing);
  console.log(`1. scan recorded as ${impressionId}`);

  const user = { userId: `shop_user_${run}`, firstName: "John", lastName: "Doe", email: `john.${run}@example.com` };
  const referral = await flow.handleSignup(impressionId, user);
  const again = await flow.handleSignup(impressionId, user); // a retry of the whole signup
  console.log(`2. signup → referral ${referral.id} (${referral.status}); again → ${again.id}`);

  const earning = await flow.handlePurchase(referral.id, { orderId: `order_${run}`, totalCents: 10_000 });
  await flow.handlePurchase(referral.id, { orderId: `order_${run}`, totalCents: 10_000 }); // replayed, not doubled
  const converted = await vantio.referrals.get(referral.id);
  console.log(`3. purchase → earning ${earning.id} of ${money(earning.amount, earning.currency)}; referral ${converted.status}`);

  let earnings = 0;
  for await (const e of vantio.earnings.list({ referral_id: referral.id })) earnings += e.amount;
  console.log(`the ambassador has earned ${money(earnings, earning.currency)} from this referral`);
  return { referral: converted, earning, earnings };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (result) => console.log(JSON.stringify({ ok: true, referral: result.referral.id, status: result.referral.status, earnings: result.earnings })),
    (error) => {
      console.error(error instanceof VantioError ? `${error.name} [${error.status} ${error.code}]: ${error.message}` : error);
      process.exit(1);
    },
  );
}
