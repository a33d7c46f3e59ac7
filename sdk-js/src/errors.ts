// Typed errors, parsed from either API surface's error body:
//   Referral API (/api/v1): {"error": "Not Found", "message": "...", "code": "snake_case", "details": ...}
//   Voucher API (/v1):      {"error": {"code": "UPPER_SNAKE", "message": "...", "details": ...}}
// One class per HTTP status family, and under it one class per documented error code.

export type Surface = "referral" | "voucher";

export interface VantioErrorInit {
  status?: number | undefined;
  code?: string | undefined;
  details?: unknown;
  requestId?: string | undefined;
  retryAfter?: number | undefined;
  body?: unknown;
  surface?: Surface | undefined;
  cause?: unknown;
}

/**
 * Any failed call. `status` is the HTTP status (undefined when no answer arrived), `code` the
 * server's stable error code exactly as that surface sends it (`duplicate_referral` on /api/v1,
 * `VOUCHER_NOT_FOUND` on /v1), `details` its structured details, `requestId` the id of the
 * request (the `X-Request-Id` this client sent, or the server's if it answered one).
 */
export class VantioError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly details: unknown;
  readonly requestId: string | undefined;
  /** Seconds the server asked to wait (`Retry-After`), when it did. */
  retryAfter: number | undefined;
  /** The parsed error body, when there was one. */
  readonly body: unknown;
  readonly surface: Surface | undefined;

  constructor(message: string, init: VantioErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.retryAfter = init.retryAfter;
    this.body = init.body;
    this.surface = init.surface;
  }

  /**
   * The answer in the shape axios-style code reads (`error.response.status`,
   * `error.response.data`), so the docs' hand-written `handleAPIRequest` maps these errors as it
   * meant to; undefined when no answer arrived.
   */
  get response(): { status: number; data: unknown } | undefined {
    return this.status === undefined ? undefined : { status: this.status, data: this.body };
  }
}

/** 400 (and 413, 422): the request was refused as invalid; `details` lists the failing fields. */
export class BadRequestError extends VantioError {}
/** 401: missing, malformed, unknown or revoked API key. */
export class AuthenticationError extends VantioError {}
/** 403: the key may not do this. */
export class PermissionDeniedError extends VantioError {}
/** 404: no such object for this key's account and mode. */
export class NotFoundError extends VantioError {}
/** 409: a conflict with the current state (duplicates, idempotency keys, applied vouchers). */
export class ConflictError extends VantioError {}
/** 410: the object existed but is gone (an expired export). */
export class GoneError extends VantioError {}
/** 429 after the retries ran out; `retryAfter` holds the server's Retry-After in seconds. */
export class RateLimitError extends VantioError {}
/** 5xx after the retries ran out. */
export class ServerError extends VantioError {}
/** No answer: the connection failed or broke (after the retries ran out). */
export class APIConnectionError extends VantioError {}
/** No answer within the `timeout` (after the retries ran out). */
export class APIConnectionTimeoutError extends APIConnectionError {}
/** The caller's `AbortSignal` aborted the call; `cause` is the signal's reason. */
export class APIUserAbortError extends VantioError {}
/** A webhook delivery's signature is missing or wrong, its timestamp too old, or its body not an event. */
export class WebhookVerificationError extends VantioError {}

// ---------------------------------------------------------------- one class per error code

// Shared by both surfaces (the Voucher API sends the code upper-cased).
export class InvalidRequestError extends BadRequestError {}
export class PayloadTooLargeError extends BadRequestError {}
export class InvalidApiKeyError extends AuthenticationError {}
export class MissingApiKeyError extends AuthenticationError {}
export class IdempotencyKeyReusedError extends ConflictError {}
export class IdempotencyKeyInFlightError extends ConflictError {}

// Referral API (/api/v1)
export class InvalidIdError extends BadRequestError {}
export class ImpressionNotFoundError extends BadRequestError {}
export class AttributionWindowExpiredError extends BadRequestError {}
export class SelfReferralError extends BadRequestError {}
export class InvalidStatusTransitionError extends BadRequestError {}
export class ReferralRejectedError extends BadRequestError {}
export class EarningLockedError extends BadRequestError {}
export class EarningNotReversibleError extends BadRequestError {}
export class CommissionWindowEndedError extends BadRequestError {}
export class InvalidRangeError extends BadRequestError {}
export class WebhookUrlNotAllowedError extends BadRequestError {}
export class LogoTooLargeError extends BadRequestError {}
export class DuplicateReferralError extends ConflictError {}
export class DuplicateUserError extends ConflictError {}
export class PayoutConflictError extends ConflictError {}
export class PayoutEarningsChangedError extends ConflictError {}
export class DuplicateConversionError extends ConflictError {}
export class EarningAlreadyReversedError extends ConflictError {}
export class WebhookEndpointDisabledError extends ConflictError {}
export class NoPostersError extends ConflictError {}
export class TooManyPostersError extends ConflictError {}

// Voucher API (/v1)
export class InvalidVoucherCodeError extends BadRequestError {}
export class InvalidDiscountConfigError extends BadRequestError {}
export class InvalidConfigurationError extends BadRequestError {}
export class InvalidConditionsError extends BadRequestError {}
export class VoucherInvalidError extends BadRequestError {}
export class VoucherExpiredError extends BadRequestError {}
export class UsageLimitExceededError extends BadRequestError {}
export class ConditionNotMetError extends BadRequestError {}
export class InvalidTimePeriodError extends BadRequestError {}
export class InsufficientPermissionsError extends PermissionDeniedError {}
export class VoucherNotFoundError extends NotFoundError {}
export class ApplicationNotFoundError extends NotFoundError {}
export class CampaignNotFoundError extends NotFoundError {}
export class ExportNotFoundError extends NotFoundError {}
export class DuplicateVoucherCodeError extends ConflictError {}
export class VoucherAlreadyUsedError extends ConflictError {}
export class VoucherAlreadyAppliedError extends ConflictError {}
export class StackingConflictError extends ConflictError {}
export class AlreadyRolledBackError extends ConflictError {}
export class ExportNotReadyError extends ConflictError {}
export class ExportExpiredError extends GoneError {}
export class ConcurrentLimitExceededError extends RateLimitError {}
export class ExportFailedError extends ServerError {}
export class ServiceUnavailableError extends ServerError {}
/** A bug on the server: quote `requestId` when you report it. */
export class InternalServerError extends ServerError {}

type ErrorClass = new (message: string, init?: VantioErrorInit) => VantioError;

const SHARED: Record<string, ErrorClass> = {
  invalid_request: InvalidRequestError,
  payload_too_large: PayloadTooLargeError,
  invalid_api_key: InvalidApiKeyError,
  missing_api_key: MissingApiKeyError,
  idempotency_key_reused: IdempotencyKeyReusedError,
  idempotency_key_in_flight: IdempotencyKeyInFlightError,
  invalid_id: InvalidIdError,
  rate_limit_exceeded: RateLimitError,
  unauthorized: AuthenticationError,
  not_found: NotFoundError,
  conflict: ConflictError,
  internal_error: InternalServerError,
  service_unavailable: ServiceUnavailableError,
};

/** The error code → class of each surface, with the code spelled as that surface sends it. */
export const ERROR_CODES: Record<Surface, Readonly<Record<string, ErrorClass>>> = {
  referral: {
    ...SHARED,
    impression_not_found: ImpressionNotFoundError,
    attribution_window_expired: AttributionWindowExpiredError,
    self_referral: SelfReferralError,
    invalid_status_transition: InvalidStatusTransitionError,
    referral_rejected: ReferralRejectedError,
    earning_locked: EarningLockedError,
    earning_not_reversible: EarningNotReversibleError,
    commission_window_ended: CommissionWindowEndedError,
    invalid_range: InvalidRangeError,
    webhook_url_not_allowed: WebhookUrlNotAllowedError,
    duplicate_referral: DuplicateReferralError,
    duplicate_user: DuplicateUserError,
    payout_conflict: PayoutConflictError,
    payout_earnings_changed: PayoutEarningsChangedError,
    duplicate_conversion: DuplicateConversionError,
    earning_already_reversed: EarningAlreadyReversedError,
    webhook_endpoint_disabled: WebhookEndpointDisabledError,
    logo_too_large: LogoTooLargeError,
    no_posters: NoPostersError,
    too_many_posters: TooManyPostersError,
  },
  voucher: {
    ...Object.fromEntries(Object.entries(SHARED).map(([code, cls]) => [code.toUpperCase(), cls])),
    AUTH_INVALID_KEY: InvalidApiKeyError, // the older spelling of INVALID_API_KEY
    INVALID_VOUCHER_CODE: InvalidVoucherCodeError,
    INVALID_DISCOUNT_CONFIG: InvalidDiscountConfigError,
    INVALID_CONFIGURATION: InvalidConfigurationError,
    INVALID_CONDITIONS: InvalidConditionsError,
    VOUCHER_INVALID: VoucherInvalidError,
    VOUCHER_EXPIRED: VoucherExpiredError,
    USAGE_LIMIT_EXCEEDED: UsageLimitExceededError,
    CONDITION_NOT_MET: ConditionNotMetError,
    INVALID_TIME_PERIOD: InvalidTimePeriodError,
    INSUFFICIENT_PERMISSIONS: InsufficientPermissionsError,
    VOUCHER_NOT_FOUND: VoucherNotFoundError,
    APPLICATION_NOT_FOUND: ApplicationNotFoundError,
    CAMPAIGN_NOT_FOUND: CampaignNotFoundError,
    EXPORT_NOT_FOUND: ExportNotFoundError,
    DUPLICATE_VOUCHER_CODE: DuplicateVoucherCodeError,
    VOUCHER_ALREADY_USED: VoucherAlreadyUsedError,
    VOUCHER_ALREADY_APPLIED: VoucherAlreadyAppliedError,
    STACKING_CONFLICT: StackingConflictError,
    ALREADY_ROLLED_BACK: AlreadyRolledBackError,
    EXPORT_NOT_READY: ExportNotReadyError,
    EXPORT_EXPIRED: ExportExpiredError,
    CONCURRENT_LIMIT_EXCEEDED: ConcurrentLimitExceededError,
    EXPORT_FAILED: ExportFailedError,
  },
};

/** The class for an HTTP status alone. */
export function statusClass(status: number): ErrorClass {
  if (status >= 500) return ServerError;
  switch (status) {
    case 400:
    case 413:
    case 422:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 410:
      return GoneError;
    case 429:
      return RateLimitError;
    default:
      return VantioError;
  }
}

/**
 * The class for a status and code: the code's own class, as long as it belongs under the
 * status's class (so `instanceof NotFoundError` always means 404); else the status's class.
 */
export function errorClass(status: number, code: string | undefined, surface: Surface): ErrorClass {
  const byStatus = statusClass(status);
  const byCode = code === undefined ? undefined : ERROR_CODES[surface][code];
  return byCode && (byCode === byStatus || byCode.prototype instanceof byStatus) ? byCode : byStatus;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The typed error for a non-2xx answer, from either surface's body (or a body that is not JSON). */
export function errorFromResponse(
  status: number,
  bodyText: string,
  init: { requestId?: string | undefined; retryAfter?: number | undefined; surface: Surface },
): VantioError {
  let body: unknown;
  try {
    body = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    body = undefined;
  }
  let code: string | undefined;
  let message: string | undefined;
  let details: unknown;
  let surface = init.surface;
  if (body !== null && typeof body === "object" && !Array.isArray(body)) {
    const fields = body as Record<string, unknown>;
    const error = fields.error;
    if (error !== null && typeof error === "object") {
      const inner = error as Record<string, unknown>; // the Voucher API's shape
      surface = "voucher";
      code = text(inner.code);
      message = text(inner.message);
      details = inner.details;
    } else {
      code = text(fields.code); // the Referral API's shape
      message = text(fields.message) ?? text(error);
      details = fields.details;
    }
  }
  message ??= bodyText.trim().slice(0, 500) || `HTTP ${status}`;
  const Class = errorClass(status, code, surface);
  return new Class(message, { ...init, status, code, details, body, surface });
}
