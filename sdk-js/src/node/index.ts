// `@vantio/client/node`: helpers for Node's http servers and Express. Only here may code rely on
// Node (its request streams and Buffers); everything else in the package is runtime-neutral.
import "./webcrypto.js";
import type { IncomingMessage, ServerResponse } from "node:http";
import { WebhookVerificationError } from "../errors.js";
import type { WebhookEvent } from "../types.js";
import { verify, type VerifyOptions, type WebhookBody, type WebhookSecret } from "../webhooks.js";

declare module "node:http" {
  interface IncomingMessage {
    /** The verified event, set by webhookMiddleware (Express's Request extends IncomingMessage). */
    vantioEvent?: WebhookEvent;
  }
}

/** A request as Express and body parsers leave it. */
export type WebhookRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };
type Next = (error?: unknown) => void;

export interface WebhookMiddlewareOptions extends VerifyOptions {
  /** The endpoint's secret, several during a rotation, or a function answering them. */
  secret: WebhookSecret | (() => WebhookSecret | Promise<WebhookSecret>);
  /** The largest body read from the stream, in bytes (default 5 MiB). */
  limit?: number;
  /**
   * What to do with a delivery that fails verification (default: answer 400 with
   * `{"error": "invalid_webhook", "message": ...}`, which the server records as a failed attempt).
   */
  onError?: (error: WebhookVerificationError, req: WebhookRequest, res: ServerResponse, next: Next) => void;
}

/**
 * Express/Connect middleware verifying a Vantio delivery: the event is `req.vantioEvent` (and
 * `res.locals.vantioEvent`) in the next handler. It reads the raw body itself, or takes the one
 * a body parser left: `express.raw()` and `express.text()` bodies, `req.rawBody`, or the object
 * of `express.json()` (re-serialized, which gives the bytes the server signed).
 */
export function webhookMiddleware(options: WebhookMiddlewareOptions) {
  const { secret, limit, onError, ...verifyOptions } = options;
  return (req: WebhookRequest, res: ServerResponse, next: Next): void => {
    (async () => {
      const body = await bodyOf(req, limit ?? 5 * 1024 * 1024);
      const secrets = typeof secret === "function" ? await secret() : secret;
      req.vantioEvent = await verify(body, req.headers as Record<string, string>, secrets, verifyOptions);
      const locals = (res as ServerResponse & { locals?: Record<string, unknown> }).locals;
      if (locals) locals.vantioEvent = req.vantioEvent;
    })().then(
      () => next(),
      (error: unknown) => {
        if (!(error instanceof WebhookVerificationError)) return next(error);
        if (onError) return onError(error, req, res, next);
        res.statusCode = 400;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ error: "invalid_webhook", message: error.message }));
      },
    );
  };
}

/** The request's body: the raw bytes a parser kept, its parsed object, or the stream read to its end. */
async function bodyOf(req: WebhookRequest, limit: number): Promise<WebhookBody> {
  if (req.rawBody instanceof Uint8Array || typeof req.rawBody === "string") return req.rawBody;
  if (req.body instanceof Uint8Array || typeof req.body === "string") return req.body;
  // body-parser marks a request whose stream it consumed with `_body`.
  const parsed = (req as { _body?: boolean })._body === true || req.readableEnded;
  if (parsed) {
    if (req.body !== null && typeof req.body === "object") return req.body as Record<string, unknown>;
    throw new WebhookVerificationError("the request body was consumed, and no raw or parsed body is left to verify");
  }
  return readRawBody(req, limit);
}

/** Reads a Node request stream to its end, as bytes (refusing more than `limit` bytes). */
export function readRawBody(req: IncomingMessage, limit = 5 * 1024 * 1024): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let size = 0;
    req.on("data", (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
      size += bytes.length;
      if (size > limit) {
        reject(new WebhookVerificationError(`the body is larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(bytes);
    });
    req.on("end", () => {
      const body = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        body.set(chunk, at);
        at += chunk.length;
      }
      resolve(body);
    });
    req.on("error", reject);
  });
}
