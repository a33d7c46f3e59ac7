// The request loop: auth, one idempotency key per call, timeouts, abort, retries.
import { randomUUID } from "./crypto.js";
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  VantioError,
  errorFromResponse,
  type Surface,
} from "./errors.js";
import { RetryPolicy, parseRetryAfter, sleep, type RetryOptions } from "./retry.js";

export const VERSION = "0.1.0";
export const DEFAULT_BASE_URL = "http://127.0.0.1:3000";

export interface ClientOptions {
  /** An `sk_test_...` or `sk_live_...` secret key; default `$VANTIO_API_KEY` where there is an environment. */
  apiKey?: string | undefined;
  /** Default `$VANTIO_BASE_URL`, else http://127.0.0.1:3000 (what `vantio serve` listens on). */
  baseUrl?: string | undefined;
  /** Milliseconds one attempt may take, answer included (default 30000). */
  timeout?: number | undefined;
  /** Retries after the first attempt (default 3); shorthand for `retry.maxRetries`. */
  maxRetries?: number | undefined;
  retry?: RetryOptions | RetryPolicy | undefined;
  /** Headers added to every request. */
  headers?: Record<string, string> | undefined;
  /** A `fetch` to use instead of the global one (a proxy agent, instrumentation). */
  fetch?: typeof fetch | undefined;
}

/** Per-call options, the last argument of every method. */
export interface RequestOptions {
  /** The call's idempotency key (POST): your own makes it idempotent across processes and restarts. */
  idempotencyKey?: string | undefined;
  /** Aborts the call, its retries and the waits between them. */
  signal?: AbortSignal | undefined;
  /** Milliseconds one attempt may take (overrides the client's). */
  timeout?: number | undefined;
  /** Retries for this call (overrides the client's). */
  maxRetries?: number | undefined;
  headers?: Record<string, string> | undefined;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";
export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];

export interface Call {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue> | undefined;
  /** A JSON body, or the bytes of a file (an image upload) sent as `contentType`. */
  body?: unknown;
  contentType?: string | undefined;
  options?: RequestOptions | undefined;
  /** Answer the body as text or bytes instead of parsed JSON (CSV and file downloads). */
  as?: "json" | "text" | "bytes";
}

function environment(name: string): string | undefined {
  // Read only where there is a `process` (Node, Bun, Deno's Node compatibility), never imported.
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/** The query string of a call: unset values left out, arrays repeated, booleans as true/false. */
export function queryString(query: Record<string, QueryValue> | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(name, String(one));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** `/v1/...` is the Voucher API; everything else the Referral API. */
export function surfaceOf(path: string): Surface {
  return path.startsWith("/v1/") || path === "/v1" ? "voucher" : "referral";
}

export class HttpClient {
  readonly baseUrl: string;
  readonly retry: RetryPolicy;
  private readonly apiKey: string;
  private readonly timeout: number;
  private readonly headers: Record<string, string>;
  private readonly fetchImpl: typeof fetch;

  constructor(options: ClientOptions = {}) {
    const apiKey = options.apiKey ?? environment("VANTIO_API_KEY");
    if (!apiKey) throw new Error("apiKey is required (an sk_test_... or sk_live_... secret key)");
    this.apiKey = apiKey;
    this.baseUrl = (options.baseUrl ?? environment("VANTIO_BASE_URL") ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    const retry = options.retry instanceof RetryPolicy ? options.retry : new RetryPolicy(options.retry);
    this.retry =
      options.maxRetries === undefined ? retry : new RetryPolicy({ ...retry, maxRetries: options.maxRetries });
    this.timeout = options.timeout ?? 30_000;
    this.headers = { ...options.headers };
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") throw new Error("no global fetch: pass options.fetch");
    this.fetchImpl = fetchImpl;
  }

  /** One call: the decoded answer, or a typed VantioError once the retries are spent. */
  async request<T>(call: Call): Promise<T> {
    const options = call.options ?? {};
    const policy =
      options.maxRetries === undefined ? this.retry : new RetryPolicy({ ...this.retry, maxRetries: options.maxRetries });
    const requestId = `req_${randomUUID().replace(/-/g, "")}`;
    let body = call.body;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: "application/json",
      "User-Agent": `vantio-client-js/${VERSION}`,
      "X-Request-Id": requestId,
      ...this.headers,
      ...options.headers,
    };
    if (call.method === "POST") {
      // Built once: every retry of this call sends the same key, so a retry after a lost answer
      // gets the stored answer, never a second object. A key in the body (as the docs show it)
      // is the caller's: it goes in the header, which the server reads first.
      let fromBody: string | undefined;
      if (isRecord(body) && typeof body.idempotency_key === "string") {
        const { idempotency_key, ...rest } = body;
        fromBody = idempotency_key;
        body = rest;
      }
      headers["Idempotency-Key"] = options.idempotencyKey ?? fromBody ?? randomUUID();
    }
    const payload = body === undefined || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (payload !== undefined) {
      headers["Content-Type"] = body instanceof Uint8Array ? (call.contentType ?? "application/octet-stream") : "application/json";
    }
    const url = this.baseUrl + call.path + queryString(call.query);
    const surface = surfaceOf(call.path);
    const timeout = options.timeout ?? this.timeout;

    for (let retry = 0; ; retry++) {
      let failure: VantioError;
      let status: number | undefined;
      try {
        const answer = await this.attempt(url, call, headers, payload, timeout, options.signal, requestId);
        status = answer.status;
        if (status < 400) return decode<T>(answer, call, requestId);
        failure = errorFromResponse(status, answer.text, {
          requestId: answer.requestId ?? requestId,
          retryAfter: parseRetryAfter(answer.retryAfter),
          surface,
        });
      } catch (error) {
        if (!(error instanceof APIConnectionError)) throw error;
        failure = error;
      }
      if (!policy.shouldRetry(retry, status, failure.retryAfter)) throw failure;
      try {
        await sleep(policy.delay(retry, failure.retryAfter), options.signal);
      } catch (reason) {
        throw new APIUserAbortError(`${call.method} ${call.path}: aborted`, { requestId, cause: reason });
      }
    }
  }

  private async attempt(
    url: string,
    call: Call,
    headers: Record<string, string>,
    payload: string | Uint8Array | undefined,
    timeout: number,
    signal: AbortSignal | undefined,
    requestId: string,
  ): Promise<Attempt> {
    const label = `${call.method} ${call.path}`;
    if (signal?.aborted) throw new APIUserAbortError(`${label}: aborted`, { requestId, cause: signal.reason });
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeout);
    const onAbort = () => controller.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await this.fetchImpl(url, {
        method: call.method,
        headers,
        // A Uint8Array may view a SharedArrayBuffer, which fetch's types refuse; ours never does.
        body: (payload ?? null) as BodyInit | null,
        signal: controller.signal,
      });
      // The timeout covers the body too: a server that stalls mid-answer is a failed attempt.
      const bytes = new Uint8Array(await response.arrayBuffer());
      return {
        status: response.status,
        bytes,
        text: call.as === "bytes" && response.ok ? "" : new TextDecoder().decode(bytes),
        contentType: response.headers.get("content-type"),
        requestId: response.headers.get("x-request-id") ?? undefined,
        retryAfter: response.headers.get("retry-after"),
      };
    } catch (error) {
      if (signal?.aborted) throw new APIUserAbortError(`${label}: aborted`, { requestId, cause: signal.reason });
      if (timedOut) {
        throw new APIConnectionTimeoutError(`${label}: no answer within ${timeout} ms`, { requestId, cause: error });
      }
      const reason = error instanceof Error ? `${error.message}${causeText(error)}` : String(error);
      throw new APIConnectionError(`${label}: ${reason}`, { requestId, cause: error });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }
}

interface Attempt {
  status: number;
  bytes: Uint8Array;
  text: string;
  contentType: string | null;
  requestId: string | undefined;
  retryAfter: string | null;
}

function decode<T>(answer: Attempt, call: Call, requestId: string): T {
  if (call.as === "bytes") return answer.bytes as T;
  if (call.as === "text") return answer.text as T;
  if (answer.text === "") return undefined as T;
  try {
    return JSON.parse(answer.text) as T;
  } catch (error) {
    throw new VantioError(`${call.method} ${call.path}: expected JSON, got ${answer.contentType ?? "no content type"}`, {
      status: answer.status,
      requestId: answer.requestId ?? requestId,
      cause: error,
    });
  }
}

function causeText(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? ` (${cause.message})` : "";
}


export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
