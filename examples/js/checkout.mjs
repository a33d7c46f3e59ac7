// Checkout with a voucher, with @vantio/client: the Voucher API integration pattern (cart →
// validate → apply → refund), with the typed errors a shop shows its customer.
//
// Run against a running `vantio serve` (cd examples/js && npm install first):
//   VANTIO_API_KEY=sk_test_... [VANTIO_BASE_URL=http://127.0.0.1:3000] node checkout.mjs
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import {
  ConditionNotMetError,
  UsageLimitExceededError,
  Vantio,
  VantioError,
  VoucherExpiredError,
  VoucherInvalidError,
  VoucherNotFoundError,
} from "@vantio/client";

const money = (cents) => `$${(cents / 100).toFixed(2)}`;

/** What the customer reads when a code does not apply: one message per documented error. */
export function explain(error) {
  if (error instanceof VoucherNotFoundError) return "That code does not exist.";
  if (error instanceof VoucherExpiredError) return "That code has expired.";
  if (error instanceof UsageLimitExceededError) return "That code has been used up.";
  if (error instanceof VoucherInvalidError) return `Add ${money(error.details.min_required - error.details.current_value)} more to use that code.`;
  if (error instanceof ConditionNotMetError) return "That code does not apply to these items.";
  throw error; // anything else is not the customer's to fix
}

export class Checkout {
  constructor(vantio, cart) {
    this.vantio = vantio;
    this.cart = cart;
  }

  get order() {
    const value = this.cart.items.reduce((sum, item) => sum + item.price * item.quantity, 0);
    return { id: this.cart.orderId, value, currency: "USD", items: this.cart.items };
  }

  /** In the cart, as the customer types: a preview that records nothing and uses nothing up. */
  async preview(code) {
    try {
      const result = await this.vantio.vouchers.validate({ code, order: this.order, preview: true });
      return { ok: true, discount: result.discount_amount, total: result.final_amount };
    } catch (error) {
      return { ok: false, message: explain(error) };
    }
  }

  /** At payment: apply (re-validated, usage consumed atomically). The order id makes a retry safe. */
  async pay(code, customerEmail) {
    const application = await this.vantio.vouchers.apply({
      code,
      order_id: this.cart.orderId,
      order: this.order,
      customer: { email: customerEmail },
    });
    return application;
  }

  /** A refund gives the usage back. */
  refund(applicationId) {
    return this.vantio.vouchers.rollback(applicationId, { reason: "customer refund" });
  }
}

async function main() {
  const vantio = new Vantio(); // VANTIO_API_KEY, VANTIO_BASE_URL
  const run = randomUUID().slice(0, 6).toUpperCase();
  const code = `SPRING-${run}`;
  await vantio.vouchers.create({ code, type: "percentage", value: 20, conditions: { min_order_value: 5000, max_uses: 1 } });

  const cart = { orderId: `order_${run}`, items: [{ id: "mug", price: 1500, quantity: 2 }] };
  const checkout = new Checkout(vantio, cart);
  const tooSmall = await checkout.preview(code);
  console.log(`cart ${money(checkout.order.value)} with ${code}: ${tooSmall.message}`);
  cart.items.push({ id: "teapot", price: 4000, quantity: 1 });
  const preview = await checkout.preview(code);
  console.log(`cart ${money(checkout.order.value)} with ${code}: -${money(preview.discount)} → ${money(preview.total)}`);
  console.log(`unknown code: ${(await checkout.preview("NOPE-0000")).message}`);

  const paid = await checkout.pay(code, `ada.${run}@example.com`);
  const replay = await checkout.pay(code, `ada.${run}@example.com`); // the payment page retried
  console.log(`paid ${money(paid.final_amount)} (application ${paid.id}, replay → ${replay.id})`);
  const other = new Checkout(vantio, { orderId: `order_${run}_2`, items: cart.items });
  console.log(`a second order with the same code: ${(await other.preview(code)).message}`);

  await checkout.refund(paid.id);
  const afterRefund = await other.preview(code);
  console.log(`after the refund the code applies again: -${money(afterRefund.discount)}`);
  return { paid, replay, afterRefund };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    ({ paid, replay, afterRefund }) =>
      console.log(JSON.stringify({ ok: true, final_amount: paid.final_amount, replayed: replay.id === paid.id, reusable: afterRefund.ok })),
    (error) => {
      console.error(error instanceof VantioError ? `${error.name} [${error.status} ${error.code}]: ${error.message}` : error);
      process.exit(1);
    },
  );
}
