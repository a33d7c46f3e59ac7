// The objects of both APIs. Most are the generated OpenAPI schemas under a friendly name; the
// few answers the OpenAPI leaves untyped (the voucher object, validation, the batch answers)
// are written here by hand after the server's answers, and give way to a generated type as
// soon as the OpenAPI has one (see `Typed` in openapi.ts).
//
// Every amount is an integer in minor units of its `currency` (1000 = $10.00; JPY has none);
// every timestamp an ISO 8601 UTC string.
import type { Answer, Schemas, Typed } from "./openapi.js";

// ---------------------------------------------------------------- Referral API (/api/v1)

export type Program = Schemas["ProgramOut"];
export type User = Schemas["UserOut"];
export type Poster = Schemas["PosterOut"];
export type Impression = Schemas["ImpressionOut"];
export type Referral = Schemas["ReferralOut"];
export type Earning = Schemas["EarningOut"];
export type Payout = Schemas["PayoutOut"];
export type PayoutRun = Schemas["PayoutRun"];
export type WebhookEndpoint = Schemas["WebhookEndpointOut"];
export type WebhookEndpointWithSecret = Schemas["WebhookEndpointWithSecret"];
export type Event = Schemas["EventOut"];
export type Funnel = Schemas["FunnelOut"];
export type Leaderboard = Schemas["LeaderboardOut"];
export type PosterReport = Schemas["PostersOut"];
/** The statuses (from the update bodies: the answers' `status` is a plain string in the OpenAPI). */
export type ReferralStatus = NonNullable<Schemas["ReferralUpdate"]["status"]>;
export type EarningStatus = NonNullable<Schemas["EarningUpdate"]["status"]>;

// ---------------------------------------------------------------- Voucher API (/v1)

export type Application = Schemas["ApplicationOut"];
export type Rollback = Schemas["RollbackOut"];
export type Campaign = Schemas["CampaignOut"];
export type Export = Schemas["ExportOut"];
export type DeletedVoucher = Schemas["DeletedVoucher"];
export type Order = Schemas["Order"];
export type Customer = Schemas["Customer"];
export type VoucherType = Schemas["VoucherCreate"]["type"];
export type VoucherStatus = "active" | "inactive" | "expired";

export interface VoucherConditions {
  min_order_value?: number;
  max_uses?: number | null;
  valid_from?: string | null;
  valid_until?: string | null;
  customer_limit?: number | null;
  product_ids?: string[];
  excluded_product_ids?: string[];
  [more: string]: unknown;
}

/** A voucher, as `POST/GET/PUT /v1/vouchers...` answer it. */
export type Voucher = Typed<Answer<"/v1/vouchers/{id}", "get">, VoucherObject>;

/** The voucher object, written by hand while the OpenAPI leaves it untyped. */
export interface VoucherObject {
  id: string;
  code: string;
  type: VoucherType;
  value: number | null;
  currency: string;
  conditions: VoucherConditions;
  config: Record<string, unknown> | null;
  metadata: Record<string, unknown>;
  program_id: string | null;
  campaign_id?: string | null;
  status: VoucherStatus;
  usage_count: number;
  /** Only on `get`: the latest applications. */
  usage_history?: Record<string, unknown>[];
  created_at: string;
  updated_at: string;
  deleted_at?: string | null;
  [more: string]: unknown;
}

export interface VoucherError {
  code: string;
  message: string;
  details?: unknown;
}

/** What `POST /v1/vouchers/validate` answers. */
export type ValidationResult = Typed<Answer<"/v1/vouchers/validate", "post">, ValidationObject>;

/** The validation result, written by hand while the OpenAPI leaves it untyped. */
export interface ValidationObject {
  is_valid: boolean;
  voucher?: Record<string, unknown>;
  /** With stacked `codes`: one entry per code. */
  vouchers?: Record<string, unknown>[];
  discount_amount?: number;
  final_amount?: number;
  currency?: string;
  validation_details?: Record<string, unknown>;
  applied_to?: Record<string, unknown>[];
  conditions_met?: string[];
  /** With `soft: true`, why it is not valid. */
  error?: VoucherError;
  [more: string]: unknown;
}

export interface BatchCreateItem {
  index: number;
  success: boolean;
  voucher?: VoucherObject;
  error?: VoucherError & { status?: number };
}

/** What `POST /v1/vouchers/batch` answers: one result per input, in input order. */
export type BatchCreateResult = Typed<Answer<"/v1/vouchers/batch", "post">, BatchCreateObject>;

export interface BatchCreateObject {
  results: BatchCreateItem[];
  total: number;
  succeeded: number;
  failed: number;
}

/** What `POST /v1/vouchers/validate/batch` answers: one soft validation per input, in input order. */
export type BatchValidateResult = Typed<Answer<"/v1/vouchers/validate/batch", "post">, BatchValidateObject>;

export interface BatchValidateObject {
  validations: (ValidationObject & { index: number })[];
  total: number;
  valid: number;
  invalid: number;
}

/** The voucher analytics answers (generated; the fallback served while the OpenAPI had none). */
export type VoucherPerformance = Typed<Answer<"/v1/analytics/vouchers/{id}/performance", "get">, Record<string, unknown>>;
export type VoucherTrends = Typed<Answer<"/v1/analytics/vouchers/{id}/trends", "get">, Record<string, unknown>>;
export type VoucherCustomers = Typed<Answer<"/v1/analytics/vouchers/{id}/customers", "get">, Record<string, unknown>>;

// ---------------------------------------------------------------- webhook events

export type DeliveryAttempt = Schemas["DeliveryAttemptOut"];

interface EventEnvelope<T extends string, D> {
  id: string;
  /** The event type; `event` repeats it (the voucher docs' spelling). */
  type: T;
  event: T;
  created_at: string;
  livemode: boolean;
  data: D;
}

type WithPrevious<T> = T & { previous_status?: string };

/** The events the server sends, by type; `WebhookEvent` narrows on `event.type`. */
export interface EventData {
  "referral.created": Referral;
  "referral.status_changed": WithPrevious<Referral>;
  "earning.created": Earning;
  "earning.status_changed": WithPrevious<Earning>;
  "impression.created": Impression;
  "payout.created": Payout;
  "payout.paid": WithPrevious<Payout>;
  "payout.failed": WithPrevious<Payout>;
  "voucher.created": Voucher;
  "voucher.updated": Voucher;
  "voucher.deleted": { id: string; voucher_id: string; code: string; deleted_at: string };
  "voucher.validated": { voucher_id: string; code: string; is_valid: boolean; discount_amount: number; currency: string; [more: string]: unknown };
  "voucher.applied": Application & { voucher_id: string };
  "voucher.rollback": Rollback & { voucher_id: string };
  "voucher.expired": { id: string; voucher_id: string; code: string; expired_at: string };
  "webhook_endpoint.disabled": WebhookEndpoint & { failing_since?: string };
}

export type WebhookEventType = keyof EventData;

/** A delivered event: `switch (event.type)` narrows `event.data`. */
export type WebhookEvent = { [T in WebhookEventType]: EventEnvelope<T, EventData[T]> }[WebhookEventType];
