// Lists: `await resource.list(query)` is one page (the server's envelope, as typed by the
// OpenAPI); `for await (const item of resource.list(query))` walks every item, page by page,
// fetching each page only as the loop reaches it.
import { VantioError } from "./errors.js";

/** The largest page both surfaces serve. */
export const MAX_PAGE_SIZE = 100;

export interface ListQuery {
  limit?: number | null | undefined;
  offset?: number | null | undefined;
}

/**
 * A list's query with `limit` and `offset` as numbers: the OpenAPI declares them as strings
 * (the server parses them itself, to answer its own 400), but they are counts.
 */
export type Paged<Q> = Omit<Q, "limit" | "offset"> & ListQuery;

export class ListRequest<Page, Item> implements PromiseLike<Page>, AsyncIterable<Item> {
  readonly [Symbol.toStringTag] = "ListRequest";
  private first: Promise<Page> | undefined;

  constructor(
    private readonly fetchPage: (query: { limit?: number; offset?: number }) => Promise<Page>,
    /** The envelope's key holding the items: `referrals`, `users`, ... or `data` on /v1. */
    private readonly key: string,
    private readonly query: ListQuery = {},
  ) {}

  then<A = Page, B = never>(
    onFulfilled?: ((page: Page) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.first ??= this.fetchPage(definedOnly({ limit: this.query.limit, offset: this.query.offset }));
    return this.first.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<Page | B> {
    return this.then(undefined, onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<Page> {
    return this.then().finally(onFinally);
  }

  /**
   * Every item from `offset` on, in pages of `limit` (default and at most 100). The list is
   * read while it may change: an item created meanwhile can shift the offsets of older ones.
   */
  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    for await (const page of this.pages()) yield* itemsOf<Item>(page, this.key).items;
  }

  /** Every page, fetched one at a time as the loop asks for it. */
  async *pages(): AsyncGenerator<Page> {
    const size = Math.min(this.query.limit ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    let offset = this.query.offset ?? 0;
    for (;;) {
      const page = await this.fetchPage({ limit: size, offset });
      yield page;
      const { items, hasMore } = itemsOf<Item>(page, this.key);
      offset += items.length;
      if (items.length === 0 || hasMore === false || (hasMore === undefined && items.length < size)) return;
    }
  }

  /** Every item in an array (at most `max`, default 10,000: a guard against loading a huge list by mistake). */
  async toArray(max = 10_000): Promise<Item[]> {
    const result: Item[] = [];
    for await (const item of this) {
      if (result.length === max) throw new RangeError(`more than ${max} items: iterate with for await instead`);
      result.push(item);
    }
    return result;
  }
}

function definedOnly(query: ListQuery): { limit?: number; offset?: number } {
  const result: { limit?: number; offset?: number } = {};
  if (query.limit != null) result.limit = query.limit;
  if (query.offset != null) result.offset = query.offset;
  return result;
}

function itemsOf<Item>(page: unknown, key: string): { items: Item[]; hasMore: boolean | undefined } {
  const envelope = page as Record<string, unknown> | null;
  const items = envelope?.[key];
  if (!Array.isArray(items)) throw new VantioError(`expected a list envelope with "${key}"`, { body: page });
  const hasMore = envelope?.has_more;
  return { items: items as Item[], hasMore: typeof hasMore === "boolean" ? hasMore : undefined };
}
