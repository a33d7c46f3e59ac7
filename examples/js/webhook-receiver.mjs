// An Express webhook receiver, with @vantio/client: the integration guides' handlers
// (x-vantio-signature and x-voucher-signature) rewritten so that they work. The guide's
// version HMACs `JSON.stringify(req.body)` of a raw Buffer and so refuses every delivery; the
// SDK's middleware reads the raw body itself and checks the Standard Webhooks signature and
// timestamp (replays older than 5 minutes are refused).
//
// Run (cd examples/js && npm install first), then register its URL as a webhook endpoint:
//   VANTIO_WEBHOOK_SECRET=whsec_... [PORT=4000] node webhook-receiver.mjs
import { pathToFileURL } from "node:url";
import express from "express";
import { webhookMiddleware } from "@vantio/client/node";

/** The receiver: one route, verified before any handler sees the event. */
export function createApp({ secret, onEvent = () => {} }) {
  const app = express();
  // No body parser before the middleware: it needs the bytes the server signed. (Behind
  // express.json() it still works, re-serializing the parsed event.)
  app.post("/webhooks/vantio", webhookMiddleware({ secret }), async (req, res) => {
    const event = req.vantioEvent;
    // Deliveries are at least once: make handling idempotent on event.id.
    switch (event.type) {
      case "referral.created":
        console.log(`new referral ${event.data.id} for ambassador ${event.data.student_id}`);
        break;
      case "earning.created":
        console.log(`earning ${event.data.id}: ${event.data.amount} ${event.data.currency}`);
        break;
      case "voucher.applied":
        console.log(`voucher ${event.data.voucher_id} applied to ${event.data.order_id}`);
        break;
      default:
        console.log(`${event.type} ${event.id}`);
    }
    await onEvent(event);
    res.json({ received: true });
  });
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const secret = process.env.VANTIO_WEBHOOK_SECRET;
  if (!secret) {
    console.error("set VANTIO_WEBHOOK_SECRET to the endpoint's whsec_ secret");
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 4000);
  createApp({ secret }).listen(port, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${port}/webhooks/vantio`));
}
