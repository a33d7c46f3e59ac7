// `vantio.batch(items, fn)`: one call per item with bounded concurrency, results in input order.

export interface BatchItemError<I> {
  /** The item's position in the input. */
  index: number;
  item: I;
  error: unknown;
}

export interface BatchResult<I, R> {
  /** `results[i]` is what `fn(items[i])` returned, `undefined` where it failed. */
  results: (R | undefined)[];
  /** The failed items, in input order. */
  errors: BatchItemError<I>[];
  /** Whether every item succeeded. */
  ok: boolean;
  /** The results of the items that succeeded, in input order. */
  succeeded(): R[];
}

export interface BatchOptions {
  /** At most this many calls at once (default 5). */
  concurrency?: number;
  /** Stops starting new items once aborted; the items not started fail with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Calls `fn(item, index)` for every item, at most `concurrency` at a time; one failure never
 * stops the others. Each call is one SDK call, with its own retries and idempotency key.
 */
export async function batch<I, R>(
  items: Iterable<I>,
  fn: (item: I, index: number) => Promise<R>,
  options: BatchOptions = {},
): Promise<BatchResult<I, R>> {
  const concurrency = options.concurrency ?? 5;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be an integer of at least 1");
  const inputs = Array.from(items);
  const results: (R | undefined)[] = new Array(inputs.length).fill(undefined);
  const failed: (BatchItemError<I> | undefined)[] = new Array(inputs.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      const item = inputs[index] as I;
      try {
        if (options.signal?.aborted) throw options.signal.reason;
        results[index] = await fn(item, index);
      } catch (error) {
        failed[index] = { index, item, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  const errors = failed.filter((e): e is BatchItemError<I> => e !== undefined);
  const failedAt = new Set(errors.map((e) => e.index));
  return {
    results,
    errors,
    ok: errors.length === 0,
    succeeded: () => results.filter((_, i) => !failedAt.has(i)) as R[],
  };
}
