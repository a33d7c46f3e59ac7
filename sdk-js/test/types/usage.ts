// Compiled by test/types.test.mjs (tsc --noEmit): what the generated types allow and refuse.
// Each @ts-expect-error must be an error, so a type that became too loose fails the build.
import Vantio, {
  DuplicateReferralError,
  VouchersAPI,
  webhooks,
  type Referral,
  type ReferralStatus,
  type Voucher,
  type WebhookEvent,
} from "@vantio/client";
import { webhookMiddleware } from "@vantio/client/node";

export async function usage(vantio: Vantio): Promise<void> {
  const referral: Referral = await vantio.referrals.create({ impression_id: "imp_1", first_name: "A", last_name: "B", email: "a@b.c" });
  const status: ReferralStatus = "converted";
  await vantio.referrals.update(referral.id, { status });
  // @ts-expect-error: email is required
  await vantio.referrals.create({ impression_id: "imp_1", first_name: "A", last_name: "B" });
  // @ts-expect-error: not a referral status
  await vantio.referrals.update(referral.id, { status: "paid" });
  // @ts-expect-error: a typo in a body field
  await vantio.earnings.create({ referral_id: referral.id, amonut: 100 });
  await vantio.earnings.create({ referral_id: referral.id, amount: 100, idempotency_key: "earn_1" }, { idempotencyKey: "k" });

  for await (const r of vantio.referrals.list({ status: "converted", program_id: "prog_1", limit: 100 })) {
    const id: string = r.id;
    void id;
  }
  const page = await vantio.referrals.list({ offset: 50 });
  const more: boolean = page.has_more;
  // @ts-expect-error: limit is a number
  vantio.referrals.list({ limit: "10" });

  const voucher: Voucher = await vantio.vouchers.create({ code: "X", type: "percentage", value: 10 });
  // @ts-expect-error: not a voucher type
  await vantio.vouchers.create({ code: "X", type: "half-price" });
  const check = await vantio.vouchers.validate({ code: voucher.code, order: { value: 1000 }, soft: true });
  const valid: boolean = check.is_valid;
  for await (const v of vantio.vouchers.list({ status: "active" })) {
    const code: string = v.code;
    void code;
  }
  const csv: string = await vantio.payouts.csv("payout_1");
  const file: Uint8Array = await vantio.voucherAnalytics.downloadExport("export_1");
  void [status, more, valid, csv, file];

  try {
    await vantio.createReferral({ impression_id: "imp_1", first_name: "A", last_name: "B", email: "a@b.c" });
  } catch (error) {
    if (error instanceof DuplicateReferralError) {
      const code: string | undefined = error.code;
      const rid: string | undefined = error.requestId;
      void [code, rid];
    }
  }
}

export async function events(body: Uint8Array, headers: Record<string, string>): Promise<void> {
  const event: WebhookEvent = await webhooks.verify(body, headers, "whsec_x");
  if (event.type === "voucher.created") {
    const code: string = event.data.code;
    void code;
  }
  if (event.type === "earning.created") {
    const amount: number = event.data.amount;
    // @ts-expect-error: an earning has no code
    void event.data.code;
    void amount;
  }
  const handler = new VouchersAPI({ apiKey: "sk_test_x" }).createWebhookHandler({ secret: "whsec_x" });
  await handler.verify({ id: "evt_1" }, headers["x-voucher-signature"]);
  // @ts-expect-error: a secret is required
  new VouchersAPI({ apiKey: "sk_test_x" }).createWebhookHandler({});
  void webhookMiddleware({ secret: () => ["whsec_new", "whsec_old"] });
}

export function express(app: import("express").Express): void {
  app.post("/hooks", webhookMiddleware({ secret: "whsec_x" }), (req, res) => {
    const type: string | undefined = req.vantioEvent?.type;
    res.json({ type });
  });
}
