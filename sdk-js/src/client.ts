// `Vantio`: one client per API key, both API surfaces.
import { batch, type BatchOptions, type BatchResult } from "./batch.js";
import { HttpClient, type ClientOptions, type HttpMethod, type QueryValue, type RequestOptions } from "./http.js";
import type { Query, RequestBody } from "./openapi.js";
import type { Paged } from "./pagination.js";
import {
  Analytics,
  Earnings,
  Events,
  Impressions,
  Payouts,
  Posters,
  Programs,
  Referrals,
  Users,
  WebhookEndpoints,
} from "./resources/referral.js";
import { Campaigns, VoucherAnalytics, Vouchers } from "./resources/voucher.js";

/**
 * ```ts
 * const vantio = new Vantio({ apiKey: "sk_test_...", baseUrl: "http://127.0.0.1:3000" });
 * const referral = await vantio.referrals.create({ impression_id, first_name, last_name, email });
 * for await (const r of vantio.referrals.list({ status: "converted" })) { ... }
 * ```
 */
export class Vantio {
  // Referral API (/api/v1)
  readonly programs: Programs;
  readonly users: Users;
  readonly posters: Posters;
  readonly impressions: Impressions;
  readonly referrals: Referrals;
  readonly earnings: Earnings;
  readonly payouts: Payouts;
  readonly webhookEndpoints: WebhookEndpoints;
  readonly events: Events;
  readonly analytics: Analytics;
  // Voucher API (/v1)
  readonly vouchers: Vouchers;
  readonly campaigns: Campaigns;
  readonly voucherAnalytics: VoucherAnalytics;

  protected readonly http: HttpClient;

  constructor(options: ClientOptions = {}) {
    this.http = new HttpClient(options);
    this.programs = new Programs(this.http);
    this.users = new Users(this.http);
    this.posters = new Posters(this.http);
    this.impressions = new Impressions(this.http);
    this.referrals = new Referrals(this.http);
    this.earnings = new Earnings(this.http);
    this.payouts = new Payouts(this.http);
    this.webhookEndpoints = new WebhookEndpoints(this.http);
    this.events = new Events(this.http);
    this.analytics = new Analytics(this.http);
    this.vouchers = new Vouchers(this.http);
    this.campaigns = new Campaigns(this.http);
    this.voucherAnalytics = new VoucherAnalytics(this.http);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Call any path (e.g. a route this version has no method for) with the same auth and retries. */
  request<T = unknown>(
    method: HttpMethod,
    path: string,
    init: { query?: Record<string, QueryValue>; body?: unknown; as?: "json" | "text" | "bytes" } & RequestOptions = {},
  ): Promise<T> {
    const { query, body, as, ...options } = init;
    return this.http.request<T>({ method, path, query, body, options, as: as ?? "json" });
  }

  /**
   * Call `fn(item)` for each item, `concurrency` (default 5) at a time. Answers `results` in
   * input order (`undefined` where an item failed) and `errors` ({index, item, error}) in input
   * order; one failure never stops the others.
   */
  batch<I, R>(items: Iterable<I>, fn: (item: I, index: number) => Promise<R>, options?: BatchOptions): Promise<BatchResult<I, R>> {
    return batch(items, fn, options);
  }

  // ------------------------------------------------------------------------------------------
  // The names the Vantio docs' hand-written `vantioClient` uses (createReferral, createEarning,
  // updateReferral, getUser...): each is the resource method above under another name.

  createProgram(body: RequestBody<"/api/v1/programs", "post">, options?: RequestOptions) {
    return this.programs.create(body, options);
  }
  getProgram(id: string, options?: RequestOptions) {
    return this.programs.get(id, options);
  }
  updateProgram(id: string, body: RequestBody<"/api/v1/programs/{id}", "put">, options?: RequestOptions) {
    return this.programs.update(id, body, options);
  }
  listPrograms(query?: Paged<Query<"/api/v1/programs", "get">>, options?: RequestOptions) {
    return this.programs.list(query, options);
  }
  createUser(body: RequestBody<"/api/v1/users", "post">, options?: RequestOptions) {
    return this.users.create(body, options);
  }
  getUser(id: string, options?: RequestOptions) {
    return this.users.get(id, options);
  }
  updateUser(id: string, body: RequestBody<"/api/v1/users/{id}", "put">, options?: RequestOptions) {
    return this.users.update(id, body, options);
  }
  listUsers(query?: Paged<Query<"/api/v1/users", "get">>, options?: RequestOptions) {
    return this.users.list(query, options);
  }
  createPoster(body: RequestBody<"/api/v1/posters", "post">, options?: RequestOptions) {
    return this.posters.create(body, options);
  }
  getPoster(id: string, options?: RequestOptions) {
    return this.posters.get(id, options);
  }
  updatePoster(id: string, body: RequestBody<"/api/v1/posters/{id}", "put">, options?: RequestOptions) {
    return this.posters.update(id, body, options);
  }
  listPosters(query?: Paged<Query<"/api/v1/posters", "get">>, options?: RequestOptions) {
    return this.posters.list(query, options);
  }
  createImpression(body: RequestBody<"/api/v1/impressions", "post">, options?: RequestOptions) {
    return this.impressions.create(body, options);
  }
  getImpression(id: string, options?: RequestOptions) {
    return this.impressions.get(id, options);
  }
  listImpressions(query?: Paged<Query<"/api/v1/impressions", "get">>, options?: RequestOptions) {
    return this.impressions.list(query, options);
  }
  createReferral(body: RequestBody<"/api/v1/referrals", "post">, options?: RequestOptions) {
    return this.referrals.create(body, options);
  }
  getReferral(id: string, options?: RequestOptions) {
    return this.referrals.get(id, options);
  }
  updateReferral(id: string, body: RequestBody<"/api/v1/referrals/{id}", "put">, options?: RequestOptions) {
    return this.referrals.update(id, body, options);
  }
  listReferrals(query?: Paged<Query<"/api/v1/referrals", "get">>, options?: RequestOptions) {
    return this.referrals.list(query, options);
  }
  createEarning(body: RequestBody<"/api/v1/earnings", "post">, options?: RequestOptions) {
    return this.earnings.create(body, options);
  }
  getEarning(id: string, options?: RequestOptions) {
    return this.earnings.get(id, options);
  }
  updateEarning(id: string, body: RequestBody<"/api/v1/earnings/{id}", "put">, options?: RequestOptions) {
    return this.earnings.update(id, body, options);
  }
  listEarnings(query?: Paged<Query<"/api/v1/earnings", "get">>, options?: RequestOptions) {
    return this.earnings.list(query, options);
  }
}
