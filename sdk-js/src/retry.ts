// When and how long to wait before retrying a call: the same rules as the Python SDK.

export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries?: number;
  /** Milliseconds before the first retry, doubled for each next one (default 500). */
  initialDelay?: number;
  /** The ceiling of that doubling, in milliseconds (default 8000). */
  maxDelay?: number;
  /** A `Retry-After` longer than this many seconds is not waited for: the error is thrown at once (default 60). */
  maxRetryAfter?: number;
}

/**
 * Retries happen on network errors and timeouts (no answer), 429 and 5xx, never on other 4xx.
 * The wait before retry `n` (0-based) is `min(maxDelay, initialDelay * 2**n)` with "equal
 * jitter" (a uniformly random half of it added to the other half), unless the server sent
 * `Retry-After`: then exactly that long.
 */
export class RetryPolicy {
  readonly maxRetries: number;
  readonly initialDelay: number;
  readonly maxDelay: number;
  readonly maxRetryAfter: number;

  constructor(options: RetryOptions = {}) {
    this.maxRetries = options.maxRetries ?? 3;
    this.initialDelay = options.initialDelay ?? 500;
    this.maxDelay = options.maxDelay ?? 8000;
    this.maxRetryAfter = options.maxRetryAfter ?? 60;
    if (!(this.maxRetries >= 0)) throw new RangeError("maxRetries must be 0 or more");
  }

  /** Milliseconds to wait before retry number `retry` (0-based). */
  delay(retry: number, retryAfterSeconds?: number): number {
    if (retryAfterSeconds !== undefined) return Math.max(0, retryAfterSeconds * 1000);
    const ceiling = Math.min(this.maxDelay, this.initialDelay * 2 ** retry);
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  /** Whether a call that ended with `status` (undefined: no answer) is retried now. */
  shouldRetry(retry: number, status: number | undefined, retryAfterSeconds?: number): boolean {
    if (retry >= this.maxRetries) return false;
    if (status !== undefined && status !== 429 && status < 500) return false;
    return retryAfterSeconds === undefined || retryAfterSeconds <= this.maxRetryAfter;
  }
}

/** `Retry-After` in seconds, from either of its forms (seconds, or an HTTP date). */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const when = Date.parse(trimmed);
  return Number.isNaN(when) ? undefined : Math.max(0, (when - now) / 1000);
}

/** Wait `ms`, or throw the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
