// Webhook signatures, with Web Crypto only (runs on Node, Deno, Bun and edge runtimes).
//
// Every delivery carries three signatures of the exact body bytes, all keyed by the endpoint's
// `whsec_...` secret:
//   Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256
//     of `${id}.${timestamp}.${body}`>" keyed with the base64-decoded part after `whsec_`;
//     after a rotation it lists one signature per secret still valid, space-separated.
//   x-vantio-signature, and on voucher events x-voucher-signature: hex HMAC-SHA256 of the body
//     keyed with the whole secret string, by the current secret only.
import { webCrypto } from "./crypto.js";
import { WebhookVerificationError } from "./errors.js";
import type { WebhookEvent } from "./types.js";

/** Seconds a delivery's webhook-timestamp may differ from now, either way. */
export const DEFAULT_TOLERANCE = 300;
const HEX_HEADERS = ["x-vantio-signature", "x-voucher-signature"] as const;

/**
 * The body as it arrived: a string, a Buffer/Uint8Array/ArrayBuffer (the raw bytes), or the
 * event already parsed by a JSON body parser (re-serialized compactly, which gives the bytes
 * the server sent: it serializes every event so that JSON.stringify(JSON.parse(body)) === body).
 */
export type WebhookBody = string | Uint8Array | ArrayBuffer | ArrayBufferView | Record<string, unknown>;
export type WebhookHeaders =
  | Headers
  | { get(name: string): string | null }
  | Record<string, string | readonly string[] | undefined>;
/** One secret, or several while a rotation is under way (any of them may match). */
export type WebhookSecret = string | readonly string[];

export interface VerifyOptions {
  /** Seconds of clock difference accepted for webhook-timestamp (default 300): older deliveries are replays. */
  tolerance?: number;
  /**
   * With only a hex signature header there is no timestamp, so nothing stops a replay: such a
   * delivery is refused unless this is false (default true).
   */
  requireTimestamp?: boolean;
  /** "Now" in seconds since the epoch (tests). */
  now?: number;
}

const encoder = new TextEncoder();

/**
 * Checks a delivery's signatures and answers the parsed event; throws WebhookVerificationError
 * naming what failed. The Standard Webhooks headers decide when present (signature, and a
 * timestamp within `tolerance`); a hex header alone is checked only with `requireTimestamp: false`.
 */
export async function verify<E extends WebhookEvent = WebhookEvent>(
  body: WebhookBody,
  headers: WebhookHeaders,
  secret: WebhookSecret,
  options: VerifyOptions = {},
): Promise<E> {
  const raw = rawBytes(body);
  const secrets = secretList(secret);
  const standard = header(headers, "webhook-signature");
  if (standard !== undefined) {
    await verifyStandard(raw, headers, standard, secrets, options);
  } else {
    const hex = HEX_HEADERS.map((name) => [name, header(headers, name)] as const).find(([, value]) => value);
    if (!hex) {
      throw new WebhookVerificationError(
        "no signature header (webhook-signature, x-vantio-signature or x-voucher-signature)",
      );
    }
    if (options.requireTimestamp ?? true) {
      throw new WebhookVerificationError(
        "no webhook-timestamp/webhook-signature headers, so the delivery cannot be checked against " +
          "replays; pass requireTimestamp: false to accept a hex signature alone",
      );
    }
    if (!(await hexMatches(raw, hex[1] as string, secrets))) {
      throw new WebhookVerificationError(`${hex[0]} does not match the body`);
    }
  }
  return parseEvent<E>(raw);
}

/**
 * Checks one hex HMAC-SHA256 signature (the value of x-vantio-signature or x-voucher-signature,
 * optionally `sha256=`-prefixed) and answers the parsed event. There is no timestamp in this
 * scheme, so it cannot refuse a replayed delivery: prefer `verify` with all the headers.
 */
export async function verifySignature<E extends WebhookEvent = WebhookEvent>(
  body: WebhookBody,
  signature: string | readonly string[] | null | undefined,
  secret: WebhookSecret,
): Promise<E> {
  const raw = rawBytes(body);
  const secrets = secretList(secret);
  const value = Array.isArray(signature) ? signature[0] : signature;
  if (typeof value !== "string" || value === "") throw new WebhookVerificationError("no signature given");
  if (!(await hexMatches(raw, value, secrets))) throw new WebhookVerificationError("the signature does not match the body");
  return parseEvent<E>(raw);
}

/** The headers the server would send with `body` (for the tests of your webhook handler). */
export async function sign(
  body: WebhookBody,
  secret: string,
  options: { msgId: string; timestamp?: number },
): Promise<Record<string, string>> {
  const raw = rawBytes(body);
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const standard = await hmac(standardKey(secret), concat(encoder.encode(`${options.msgId}.${timestamp}.`), raw));
  const hex = toHex(await hmac(encoder.encode(secret), raw));
  return {
    "webhook-id": options.msgId,
    "webhook-timestamp": timestamp,
    "webhook-signature": `v1,${toBase64(standard)}`,
    "x-vantio-signature": hex,
    "x-voucher-signature": hex,
  };
}

/** The hex HMAC-SHA256 of a body, as x-vantio-signature and x-voucher-signature carry it. */
export async function hexSignature(body: WebhookBody, secret: string): Promise<string> {
  return toHex(await hmac(encoder.encode(secret), rawBytes(body)));
}

async function verifyStandard(
  raw: Uint8Array,
  headers: WebhookHeaders,
  signatures: string,
  secrets: readonly string[],
  options: VerifyOptions,
): Promise<void> {
  const msgId = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  if (!msgId || !timestamp) throw new WebhookVerificationError("webhook-signature without webhook-id and webhook-timestamp");
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError(`webhook-timestamp is not a number: ${JSON.stringify(timestamp)}`);
  const sent = Number(timestamp);
  const now = options.now ?? Date.now() / 1000;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  if (sent < now - tolerance) {
    throw new WebhookVerificationError(
      `webhook-timestamp is ${Math.floor(now - sent)} s old (tolerance ${tolerance} s): a stale or replayed delivery`,
    );
  }
  if (sent > now + tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is ${Math.floor(sent - now)} s in the future (tolerance ${tolerance} s)`);
  }
  const signed = concat(encoder.encode(`${msgId}.${timestamp}.`), raw);
  const given = signatures
    .split(" ")
    .map((part) => part.split(","))
    .filter(([version, value]) => version === "v1" && value)
    .map(([, value]) => fromBase64(value as string))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined);
  for (const secret of secrets) {
    const key = await importKey(standardKey(secret));
    for (const signature of given) {
      // subtle.verify compares in constant time.
      if (await webCrypto().subtle.verify("HMAC", key, signature as BufferSource, signed as BufferSource)) return;
    }
  }
  throw new WebhookVerificationError("webhook-signature does not match the body");
}

async function hexMatches(raw: Uint8Array, value: string, secrets: readonly string[]): Promise<boolean> {
  const signature = fromHex(value.trim().toLowerCase().replace(/^sha256=/, ""));
  if (!signature) return false;
  for (const secret of secrets) {
    const key = await importKey(encoder.encode(secret));
    if (await webCrypto().subtle.verify("HMAC", key, signature as BufferSource, raw as BufferSource)) return true;
  }
  return false;
}

function parseEvent<E>(raw: Uint8Array): E {
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new WebhookVerificationError("the body is not JSON");
  }
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new WebhookVerificationError("the body is not a JSON object");
  }
  return event as E;
}

function rawBytes(body: WebhookBody): Uint8Array {
  if (typeof body === "string") return encoder.encode(body);
  if (body instanceof Uint8Array) return body; // Node's Buffer too
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body !== null && typeof body === "object" && !Array.isArray(body)) return encoder.encode(JSON.stringify(body));
  throw new WebhookVerificationError(
    `cannot verify a body of type ${body === null ? "null" : Array.isArray(body) ? "array" : typeof body}: ` +
      "pass the raw body (string, Buffer, Uint8Array) or the parsed event object",
  );
}

function secretList(secret: WebhookSecret): readonly string[] {
  const secrets = typeof secret === "string" ? [secret] : [...secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s === "")) {
    throw new WebhookVerificationError("no webhook secret given");
  }
  return secrets;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    const one = Array.isArray(value) ? value[0] : value;
    return typeof one === "string" ? one : undefined;
  }
  return undefined;
}

/** The Standard Webhooks key: the base64-decoded part after `whsec_`. */
function standardKey(secret: string): Uint8Array {
  const key = fromBase64(secret.startsWith("whsec_") ? secret.slice(6) : secret);
  if (!key) throw new WebhookVerificationError("the secret is not a Standard Webhooks secret (whsec_ followed by base64)");
  return key;
}

function importKey(key: Uint8Array): Promise<CryptoKey> {
  return webCrypto().subtle.importKey("raw", key as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

async function hmac(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await webCrypto().subtle.sign("HMAC", await importKey(key), data as BufferSource));
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const result = new Uint8Array(a.length + b.length);
  result.set(a);
  result.set(b, a.length);
  return result;
}

function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromHex(text: string): Uint8Array | undefined {
  if (!/^([0-9a-f]{2})+$/.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g) as string[], (pair) => Number.parseInt(pair, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * A receiver's verifier bound to its secret(s), as the voucher docs' SDK names it:
 * `vouchers.createWebhookHandler({ secret }).verify(req.body, req.headers['x-voucher-signature'])`.
 */
export class WebhookHandler {
  readonly secret: WebhookSecret;
  private readonly options: VerifyOptions;

  constructor(secret: WebhookSecret, options: VerifyOptions = {}) {
    secretList(secret);
    this.secret = secret;
    this.options = options;
  }

  /**
   * The verified event. `signature` is either one hex signature header's value (the docs'
   * call; no timestamp, so no replay protection) or all the request's headers (Standard
   * Webhooks, with the timestamp tolerance). `body` is the raw body or the parsed object.
   */
  verify<E extends WebhookEvent = WebhookEvent>(
    body: WebhookBody,
    signature: string | readonly string[] | WebhookHeaders | null | undefined,
  ): Promise<E> {
    if (signature !== null && typeof signature === "object" && !Array.isArray(signature)) {
      return verify<E>(body, signature as WebhookHeaders, this.secret, this.options);
    }
    return verifySignature<E>(body, signature as string | readonly string[] | null | undefined, this.secret);
  }

  /** The hex signature of `payload` with the current (first) secret: for your handler's tests. */
  sign(payload: WebhookBody): Promise<string> {
    return hexSignature(payload, secretList(this.secret)[0] as string);
  }
}
