// The voucher docs' JavaScript SDK entry point, so their code runs with its import changed:
//   const vouchers = new VouchersAPI({ apiKey: 'sk_test_...' });
//   await vouchers.validate({ code, order });
//   const handler = vouchers.createWebhookHandler({ secret: 'whsec_...' });
//   const event = await handler.verify(req.body, req.headers['x-voucher-signature']);
import { HttpClient, type ClientOptions } from "./http.js";
import { Vouchers } from "./resources/voucher.js";
import { WebhookHandler, type VerifyOptions, type WebhookSecret } from "./webhooks.js";

/** The `vouchers` resource of `Vantio` on its own, plus `createWebhookHandler`. */
export class VouchersAPI extends Vouchers {
  constructor(options: ClientOptions = {}) {
    super(new HttpClient(options));
  }

  /** A verifier for the deliveries of a webhook endpoint with this `secret` (or secrets, during a rotation). */
  createWebhookHandler(options: { secret: WebhookSecret } & VerifyOptions): WebhookHandler {
    const { secret, ...verifyOptions } = options;
    return new WebhookHandler(secret, verifyOptions);
  }
}
