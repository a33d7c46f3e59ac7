// The Referral API (/api/v1): one class per resource, one method per operation. Bodies,
// queries and answers are the generated OpenAPI types; body fields keep their wire names.
import type { RequestOptions } from "../http.js";
import type { Answer, Query, RequestBody } from "../openapi.js";
import type { Paged } from "../pagination.js";
import { Resource } from "./resource.js";

type Options = RequestOptions;
type ItemOf<Page, K extends keyof Page> = Page[K] extends readonly (infer I)[] ? I : never;

/** `/api/v1/programs`: referral programs (commission, payout schedule, landing URL). */
export class Programs extends Resource {
  /** Create a program; `minimum_payout` is in minor units of `currency`. */
  create(body: RequestBody<"/api/v1/programs", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/programs", "post">, "POST">("POST", "/api/v1/programs", { body, options });
  }
  /** Retrieve a program. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/programs/{id}", "get">, "GET">("GET", "/api/v1/programs/{id}", { id, options });
  }
  /** Change the fields given; metadata merges, a `null` value removes its key. */
  update(id: string, body: RequestBody<"/api/v1/programs/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/programs/{id}", "put">, "PUT">("PUT", "/api/v1/programs/{id}", { id, body, options });
  }
  /** Programs, newest first: await for one page, `for await` for every program. */
  list(query?: Paged<Query<"/api/v1/programs", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/programs", "get">;
    return this.paginate<Page, ItemOf<Page, "programs">>("/api/v1/programs", "programs", query, options);
  }
  /** Set the logo its posters print: a PNG or JPEG image of at most 512 KB. */
  setLogo(id: string, image: Uint8Array, mediaType: "image/png" | "image/jpeg", options?: Options) {
    return this.send<Answer<"/api/v1/programs/{id}/logo", "put">, "PUT">("PUT", "/api/v1/programs/{id}/logo", {
      id,
      body: image,
      contentType: mediaType,
      options,
    });
  }
  /** The program's logo, as bytes (`logo_media_type` on the program says PNG or JPEG). */
  logo(id: string, options?: Options): Promise<Uint8Array> {
    return this.send<Uint8Array, "GET">("GET", "/api/v1/programs/{id}/logo", { id, options, as: "bytes" });
  }
  /** Remove the program's logo. */
  removeLogo(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/programs/{id}/logo", "delete">, "DELETE">("DELETE", "/api/v1/programs/{id}/logo", { id, options });
  }
  /** All the program's posters in one printable PDF, a page each, as bytes. */
  postersPdf(id: string, query?: Query<"/api/v1/programs/{id}/posters.pdf", "get">, options?: Options): Promise<Uint8Array> {
    return this.send<Uint8Array, "GET">("GET", "/api/v1/programs/{id}/posters.pdf", { id, query, options, as: "bytes" });
  }
}

/** `/api/v1/users`: ambassadors (students) of a program. */
export class Users extends Resource {
  /** Add an ambassador to a program (email unique per program). */
  create(body: RequestBody<"/api/v1/users", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/users", "post">, "POST">("POST", "/api/v1/users", { body, options });
  }
  /** Retrieve an ambassador. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/users/{id}", "get">, "GET">("GET", "/api/v1/users/{id}", { id, options });
  }
  /** Change an ambassador's fields (only those given). */
  update(id: string, body: RequestBody<"/api/v1/users/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/users/{id}", "put">, "PUT">("PUT", "/api/v1/users/{id}", { id, body, options });
  }
  /** Ambassadors (of a program), newest first. */
  list(query?: Paged<Query<"/api/v1/users", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/users", "get">;
    return this.paginate<Page, ItemOf<Page, "users">>("/api/v1/users", "users", query, options);
  }
}

/** `/api/v1/posters`: posters with a QR code leading to the program's landing page. */
export class Posters extends Resource {
  /** Create a poster for an ambassador; the answer has its `scan_url` and `qr_code_url`. */
  create(body: RequestBody<"/api/v1/posters", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/posters", "post">, "POST">("POST", "/api/v1/posters", { body, options });
  }
  /** Retrieve a poster. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/posters/{id}", "get">, "GET">("GET", "/api/v1/posters/{id}", { id, options });
  }
  /** Change a poster's location, destination or metadata. */
  update(id: string, body: RequestBody<"/api/v1/posters/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/posters/{id}", "put">, "PUT">("PUT", "/api/v1/posters/{id}", { id, body, options });
  }
  /** Posters matching the filters, newest first. */
  list(query?: Paged<Query<"/api/v1/posters", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/posters", "get">;
    return this.paginate<Page, ItemOf<Page, "posters">>("/api/v1/posters", "posters", query, options);
  }
  /** The poster, ready to print, as a one-page PDF (A4 or US Letter), as bytes. */
  pdf(id: string, query?: Query<"/api/v1/posters/{id}/poster.pdf", "get">, options?: Options): Promise<Uint8Array> {
    return this.send<Uint8Array, "GET">("GET", "/api/v1/posters/{id}/poster.pdf", { id, query, options, as: "bytes" });
  }
}

/** `/api/v1/impressions`: QR scans. A scan of `poster.scan_url` records one by itself. */
export class Impressions extends Resource {
  /** Record a scan yourself (when you run your own redirect). */
  create(body: RequestBody<"/api/v1/impressions", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/impressions", "post">, "POST">("POST", "/api/v1/impressions", { body, options });
  }
  /** Retrieve an impression. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/impressions/{id}", "get">, "GET">("GET", "/api/v1/impressions/{id}", { id, options });
  }
  /** Impressions matching the filters, newest first. */
  list(query?: Paged<Query<"/api/v1/impressions", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/impressions", "get">;
    return this.paginate<Page, ItemOf<Page, "impressions">>("/api/v1/impressions", "impressions", query, options);
  }
}

/** `/api/v1/referrals`: signups that followed a scan. */
export class Referrals extends Resource {
  /** Record a signup; `program_id` and `student_id` come from the impression. */
  create(body: RequestBody<"/api/v1/referrals", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/referrals", "post">, "POST">("POST", "/api/v1/referrals", { body, options });
  }
  /** Retrieve a referral. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/referrals/{id}", "get">, "GET">("GET", "/api/v1/referrals/{id}", { id, options });
  }
  /** Change a referral's details or move its status (pending → converted → verified, or rejected). */
  update(id: string, body: RequestBody<"/api/v1/referrals/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/referrals/{id}", "put">, "PUT">("PUT", "/api/v1/referrals/{id}", { id, body, options });
  }
  /** Referrals matching the filters (`status`, `program_id`, `student_id`), newest first. */
  list(query?: Paged<Query<"/api/v1/referrals", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/referrals", "get">;
    return this.paginate<Page, ItemOf<Page, "referrals">>("/api/v1/referrals", "referrals", query, options);
  }
}

/** `/api/v1/earnings`: ambassadors' commissions, in minor units. */
export class Earnings extends Resource {
  /** Create an earning: its `amount`, or the `sale_amount` the program's commission applies to. */
  create(body: RequestBody<"/api/v1/earnings", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/earnings", "post">, "POST">("POST", "/api/v1/earnings", { body, options });
  }
  /** Retrieve an earning. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/earnings/{id}", "get">, "GET">("GET", "/api/v1/earnings/{id}", { id, options });
  }
  /** Correct an earning or move its status (pending → processing → paid). */
  update(id: string, body: RequestBody<"/api/v1/earnings/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/earnings/{id}", "put">, "PUT">("PUT", "/api/v1/earnings/{id}", { id, body, options });
  }
  /** Earnings matching the filters, newest first. */
  list(query?: Paged<Query<"/api/v1/earnings", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/earnings", "get">;
    return this.paginate<Page, ItemOf<Page, "earnings">>("/api/v1/earnings", "earnings", query, options);
  }
  /** Reverse an earning: unpaid becomes `reversed`; a paid one gets a clawback netted off later payouts. */
  reverse(id: string, body: RequestBody<"/api/v1/earnings/{id}/reverse", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/earnings/{id}/reverse", "post">, "POST">("POST", "/api/v1/earnings/{id}/reverse", {
      id,
      body,
      options,
    });
  }
}

/** `/api/v1/payouts`: pending earnings grouped into one payment per ambassador. */
export class Payouts extends Resource {
  /** Group pending earnings (of one ambassador, or all) into payouts above the program's minimum. */
  create(body: RequestBody<"/api/v1/payouts", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/payouts", "post">, "POST">("POST", "/api/v1/payouts", { body, options });
  }
  /** Retrieve a payout. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/payouts/{id}", "get">, "GET">("GET", "/api/v1/payouts/{id}", { id, options });
  }
  /** Mark a payout `paid` or `failed` (its earnings follow), or change its metadata. */
  update(id: string, body: RequestBody<"/api/v1/payouts/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/payouts/{id}", "put">, "PUT">("PUT", "/api/v1/payouts/{id}", { id, body, options });
  }
  /** Payouts matching the filters, newest first. */
  list(query?: Paged<Query<"/api/v1/payouts", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/payouts", "get">;
    return this.paginate<Page, ItemOf<Page, "payouts">>("/api/v1/payouts", "payouts", query, options);
  }
  /** The payout's payment run as CSV text. */
  csv(id: string, options?: Options): Promise<string> {
    return this.send<string, "GET">("GET", "/api/v1/payouts/{id}.csv", { id, options, as: "text" });
  }
  /** A payout run's file for the provider (PayPal or Wise CSV, SEPA pain.001 XML), as bytes. */
  runFile(runId: string, query?: Query<"/api/v1/payout_runs/{id}/file", "get">, options?: Options): Promise<Uint8Array> {
    return this.send<Uint8Array, "GET">("GET", "/api/v1/payout_runs/{id}/file", { id: runId, query, options, as: "bytes" });
  }
  /** Mark a run's payouts paid or failed; a failed one's earnings become payable again. */
  reconcile(runId: string, body: RequestBody<"/api/v1/payout_runs/{id}/reconcile", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/payout_runs/{id}/reconcile", "post">, "POST">(
      "POST",
      "/api/v1/payout_runs/{id}/reconcile",
      { id: runId, body, options },
    );
  }
  /** Reconcile a run from the provider's result CSV (PayPal's payouts report, Wise's export). */
  uploadResults(runId: string, csv: string, options?: Options) {
    return this.send<Answer<"/api/v1/payout_runs/{id}/results", "post">, "POST">("POST", "/api/v1/payout_runs/{id}/results", {
      id: runId,
      body: new TextEncoder().encode(csv),
      contentType: "text/csv",
      options,
    });
  }
  /** How an ambassador is paid (the IBAN masked); `method: null` when they gave nothing. */
  getDetails(userId: string, options?: Options) {
    return this.send<Answer<"/api/v1/users/{id}/payout_details", "get">, "GET">("GET", "/api/v1/users/{id}/payout_details", {
      id: userId,
      options,
    });
  }
  /** Set how an ambassador is paid: a PayPal email, or an IBAN, BIC and account holder. */
  setDetails(userId: string, body: RequestBody<"/api/v1/users/{id}/payout_details", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/users/{id}/payout_details", "put">, "PUT">("PUT", "/api/v1/users/{id}/payout_details", {
      id: userId,
      body,
      options,
    });
  }
  /** Remove an ambassador's payout details. */
  deleteDetails(userId: string, options?: Options) {
    return this.send<Answer<"/api/v1/users/{id}/payout_details", "delete">, "DELETE">(
      "DELETE",
      "/api/v1/users/{id}/payout_details",
      { id: userId, options },
    );
  }
}

/** `/api/v1/webhook_endpoints`: where events are delivered, signed with a `whsec_` secret. */
export class WebhookEndpoints extends Resource {
  /** Subscribe a URL to events (`["*"]`: all); the answer holds its `secret`, shown only here. */
  create(body: RequestBody<"/api/v1/webhook_endpoints", "post">, options?: Options) {
    return this.send<Answer<"/api/v1/webhook_endpoints", "post">, "POST">("POST", "/api/v1/webhook_endpoints", { body, options });
  }
  /** Retrieve a webhook endpoint. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/webhook_endpoints/{id}", "get">, "GET">("GET", "/api/v1/webhook_endpoints/{id}", { id, options });
  }
  /** Change its URL, events or details, or disable/enable it. */
  update(id: string, body: RequestBody<"/api/v1/webhook_endpoints/{id}", "put">, options?: Options) {
    return this.send<Answer<"/api/v1/webhook_endpoints/{id}", "put">, "PUT">("PUT", "/api/v1/webhook_endpoints/{id}", { id, body, options });
  }
  /** Delete it: nothing more is delivered to it. */
  delete(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/webhook_endpoints/{id}", "delete">, "DELETE">("DELETE", "/api/v1/webhook_endpoints/{id}", { id, options });
  }
  /** Webhook endpoints, newest first. */
  list(query?: Paged<Query<"/api/v1/webhook_endpoints", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/webhook_endpoints", "get">;
    return this.paginate<Page, ItemOf<Page, "webhook_endpoints">>("/api/v1/webhook_endpoints", "webhook_endpoints", query, options);
  }
  /** A new signing secret (in the answer); the previous one keeps signing beside it for 24 h. */
  rotateSecret(id: string, options?: Options) {
    type Path = "/api/v1/webhook_endpoints/{id}/rotate_secret";
    return this.send<Answer<Path, "post">, "POST">("POST", "/api/v1/webhook_endpoints/{id}/rotate_secret", { id, body: {}, options });
  }
  /** End a rotation's grace period now: the new secret alone signs every header from then on. */
  endRotation(id: string, options?: Options) {
    type Path = "/api/v1/webhook_endpoints/{id}/rotate_secret/end";
    return this.send<Answer<Path, "post">, "POST">("POST", "/api/v1/webhook_endpoints/{id}/rotate_secret/end", { id, body: {}, options });
  }
}

/** `/api/v1/events`: every event, with its delivery attempts. */
export class Events extends Resource {
  /** Retrieve an event and its delivery attempts. */
  get(id: string, options?: Options) {
    return this.send<Answer<"/api/v1/events/{id}", "get">, "GET">("GET", "/api/v1/events/{id}", { id, options });
  }
  /** Events (of a `type`), newest first. */
  list(query?: Paged<Query<"/api/v1/events", "get">>, options?: Options) {
    type Page = Answer<"/api/v1/events", "get">;
    return this.paginate<Page, ItemOf<Page, "events">>("/api/v1/events", "events", query, options);
  }
  /** Send an event to its endpoints again (or to one: `{endpoint_id}`); the answer names them. */
  redeliver(id: string, body: RequestBody<"/api/v1/events/{id}/redeliver", "post"> = {}, options?: Options) {
    return this.send<Answer<"/api/v1/events/{id}/redeliver", "post">, "POST">("POST", "/api/v1/events/{id}/redeliver", { id, body, options });
  }
}

/**
 * `/api/v1/analytics`: the referral funnel, the leaderboard and poster performance. `from` and
 * `to` are dates (whole local days in `tz`) or ISO 8601 times; `tz` an IANA zone (default UTC).
 */
export class Analytics extends Resource {
  /** Scans → referrals → conversions → earnings per interval, with totals and rates. */
  funnel(query?: Query<"/api/v1/analytics/funnel", "get">, options?: Options) {
    return this.send<Answer<"/api/v1/analytics/funnel", "get">, "GET">("GET", "/api/v1/analytics/funnel", { query, options });
  }
  /** Ambassadors ranked by referrals, conversions or earnings. */
  leaderboard(query?: Paged<Query<"/api/v1/analytics/leaderboard", "get">>, options?: Options) {
    return this.send<Answer<"/api/v1/analytics/leaderboard", "get">, "GET">("GET", "/api/v1/analytics/leaderboard", { query, options });
  }
  /** Scans and conversion rate per poster and per location. */
  posters(query?: Query<"/api/v1/analytics/posters", "get">, options?: Options) {
    return this.send<Answer<"/api/v1/analytics/posters", "get">, "GET">("GET", "/api/v1/analytics/posters", { query, options });
  }
}
