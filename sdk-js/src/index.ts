// @vantio/client: the Referral API (/api/v1), the Voucher API (/v1) and webhook verification.
// Runtime-neutral: global fetch, Web Crypto, AbortController, TextEncoder, setTimeout; nothing
// from node:. The Node-only helpers are in ./node (the `@vantio/client/node` entry).
import * as webhooks from "./webhooks.js";

export { Vantio } from "./client.js";
export { VouchersAPI } from "./vouchers-api.js";
export { VERSION, DEFAULT_BASE_URL, type ClientOptions, type RequestOptions, type HttpMethod } from "./http.js";
export { RetryPolicy, parseRetryAfter, type RetryOptions } from "./retry.js";
export { ListRequest, MAX_PAGE_SIZE } from "./pagination.js";
export { batch, type BatchItemError, type BatchOptions, type BatchResult } from "./batch.js";
export { installCrypto } from "./crypto.js";
export * from "./errors.js";
export type * from "./types.js";
export type { Schemas, Answer, Query, RequestBody, Path, PathFor } from "./openapi.js";
export type { paths, components, operations } from "./generated/openapi.js";
export { webhooks };
export { WebhookHandler, type VerifyOptions, type WebhookBody, type WebhookHeaders, type WebhookSecret } from "./webhooks.js";
export { Vantio as default } from "./client.js";
