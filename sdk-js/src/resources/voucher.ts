// The Voucher API (/v1). Bodies and queries are the generated OpenAPI types; the answers the
// OpenAPI leaves untyped use the hand-written types of types.ts until it types them.
import type { RequestOptions } from "../http.js";
import type { Answer, Query, RequestBody } from "../openapi.js";
import type {
  BatchCreateResult,
  BatchValidateResult,
  ValidationResult,
  Voucher,
  VoucherCustomers,
  VoucherPerformance,
  VoucherTrends,
} from "../types.js";
import type { Paged } from "../pagination.js";
import { Resource } from "./resource.js";

type Options = RequestOptions;
type VoucherPage = Omit<Answer<"/v1/vouchers", "get">, "data"> & { data: Voucher[] };
type BatchCreateItem = Omit<RequestBody<"/v1/vouchers", "post">, "idempotency_key">;

/** `/v1/vouchers`: discount codes; validate (a dry run) and apply (a redemption). */
export class Vouchers extends Resource {
  /** Create a voucher; `value` is a percent (0-100), or minor units for `fixed`. */
  create(body: RequestBody<"/v1/vouchers", "post">, options?: Options) {
    return this.send<Voucher, "POST">("POST", "/v1/vouchers", { body, options });
  }
  /** Retrieve a voucher with its `usage_history`. */
  get(id: string, options?: Options) {
    return this.send<Voucher, "GET">("GET", "/v1/vouchers/{id}", { id, options });
  }
  /** Change its value, conditions (merged), config or status; code and type are fixed. */
  update(id: string, body: RequestBody<"/v1/vouchers/{id}", "put">, options?: Options) {
    return this.send<Voucher, "PUT">("PUT", "/v1/vouchers/{id}", { id, body, options });
  }
  /** Deactivate a voucher for good (a soft delete: its history is kept). */
  delete(id: string, options?: Options) {
    return this.send<Answer<"/v1/vouchers/{id}", "delete">, "DELETE">("DELETE", "/v1/vouchers/{id}", { id, options });
  }
  /** Vouchers matching the filters: await for one page `{data, total, limit, offset, has_more}`. */
  list(query?: Paged<Query<"/v1/vouchers", "get">>, options?: Options) {
    return this.paginate<VoucherPage, Voucher>("/v1/vouchers", "data", query, options);
  }
  /**
   * Check a `code` (or stacked `codes`) against an order without using it up. A failed
   * validation throws its typed error (VoucherExpiredError, ConditionNotMetError, ...), unless
   * `soft: true`: then `{is_valid: false, error}`.
   */
  validate(body: RequestBody<"/v1/vouchers/validate", "post">, options?: Options) {
    return this.send<ValidationResult, "POST">("POST", "/v1/vouchers/validate", { body, options });
  }
  /** Redeem a code on an order (re-validated, usage consumed); the same `order_id` replays. */
  apply(body: RequestBody<"/v1/vouchers/apply", "post">, options?: Options) {
    return this.send<Answer<"/v1/vouchers/apply", "post">, "POST">("POST", "/v1/vouchers/apply", { body, options });
  }
  /** Undo the application of `code` to `order_id`, giving its usage back. */
  remove(body: RequestBody<"/v1/vouchers/remove", "post">, options?: Options) {
    return this.send<Answer<"/v1/vouchers/remove", "post">, "POST">("POST", "/v1/vouchers/remove", { body, options });
  }
  /** Roll back an application (`va_...`), giving its usage back. */
  rollback(applicationId: string, body: RequestBody<"/v1/vouchers/applications/{id}/rollback", "post"> = {}, options?: Options) {
    type Path = "/v1/vouchers/applications/{id}/rollback";
    return this.send<Answer<Path, "post">, "POST">("POST", "/v1/vouchers/applications/{id}/rollback", { id: applicationId, body, options });
  }
  /** Retrieve an application (`va_...`): its discount, status and rollback time. */
  getApplication(applicationId: string, options?: Options) {
    type Path = "/v1/vouchers/applications/{id}";
    return this.send<Answer<Path, "get">, "GET">("GET", "/v1/vouchers/applications/{id}", { id: applicationId, options });
  }
  /** Create up to 1,000 vouchers in one call: one result per input, in order; one failure stops nothing. */
  batchCreate(vouchers: readonly BatchCreateItem[], options?: Options) {
    return this.send<BatchCreateResult, "POST">("POST", "/v1/vouchers/batch", { body: { vouchers }, options });
  }
  /** Validate up to 100 `{code, order, customer?}` at once, each answered softly (never a throw). */
  batchValidate(validations: readonly RequestBody<"/v1/vouchers/validate", "post">[], options?: Options) {
    return this.send<BatchValidateResult, "POST">("POST", "/v1/vouchers/validate/batch", { body: { validations }, options });
  }
}

/** `/v1/campaigns`: many unique codes from a pattern, sharing one voucher definition. */
export class Campaigns extends Resource {
  /** Create a campaign of `code_pattern.count` codes; large ones are generated in the background. */
  create(body: RequestBody<"/v1/campaigns", "post">, options?: Options) {
    return this.send<Answer<"/v1/campaigns", "post">, "POST">("POST", "/v1/campaigns", { body, options });
  }
  /** Retrieve a campaign with its generation progress (`codes_generated`, `status`). */
  get(id: string, options?: Options) {
    return this.send<Answer<"/v1/campaigns/{id}", "get">, "GET">("GET", "/v1/campaigns/{id}", { id, options });
  }
  /** Campaigns: await for one page, `for await` for every campaign. */
  list(query?: Paged<Query<"/v1/campaigns", "get">>, options?: Options) {
    type Page = Answer<"/v1/campaigns", "get">;
    return this.paginate<Page, Page["data"][number]>("/v1/campaigns", "data", query, options);
  }
  /** A campaign's codes (its vouchers): await for one page, `for await` for every code. */
  codes(id: string, query?: Paged<Query<"/v1/campaigns/{id}/codes", "get">>, options?: Options) {
    return this.paginate<VoucherPage, Voucher>("/v1/campaigns/{id}/codes", "data", query, options, id);
  }
}

/** `/v1/analytics`: per-voucher performance, trends, customers, and exports. */
export class VoucherAnalytics extends Resource {
  /** Uses, discount given, conversion and revenue impact of a voucher (at most 90 days). */
  performance(voucherId: string, query?: Query<"/v1/analytics/vouchers/{id}/performance", "get">, options?: Options) {
    return this.send<VoucherPerformance, "GET">("GET", "/v1/analytics/vouchers/{id}/performance", { id: voucherId, query, options });
  }
  /** A voucher's uses, discount and orders per interval (`metrics[]` picks the series). */
  trends(voucherId: string, query?: Query<"/v1/analytics/vouchers/{id}/trends", "get">, options?: Options) {
    return this.send<VoucherTrends, "GET">("GET", "/v1/analytics/vouchers/{id}/trends", { id: voucherId, query, options });
  }
  /** Who used a voucher: new vs returning customers, segments. */
  customers(voucherId: string, query?: Query<"/v1/analytics/vouchers/{id}/customers", "get">, options?: Options) {
    return this.send<VoucherCustomers, "GET">("GET", "/v1/analytics/vouchers/{id}/customers", { id: voucherId, query, options });
  }
  /** Start an export of vouchers' metrics (CSV or JSON), built by the worker. */
  createExport(body: RequestBody<"/v1/analytics/export", "post">, options?: Options) {
    return this.send<Answer<"/v1/analytics/export", "post">, "POST">("POST", "/v1/analytics/export", { body, options });
  }
  /** An export's status and, once completed, its `download_url`. */
  getExport(exportId: string, options?: Options) {
    return this.send<Answer<"/v1/analytics/export/{id}", "get">, "GET">("GET", "/v1/analytics/export/{id}", { id: exportId, options });
  }
  /** A completed export's file, as bytes. */
  downloadExport(exportId: string, options?: Options): Promise<Uint8Array> {
    return this.send<Uint8Array, "GET">("GET", "/v1/analytics/export/{id}/download", { id: exportId, options, as: "bytes" });
  }
}
