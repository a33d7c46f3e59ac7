"""The voucher engine: the Voucher API (`/v1`) of voucher-docs.md, with API.md's decisions.

Design, for whoever builds on it (campaigns, batch, analytics, the referral loop):

- `Voucher` (`v_...`, table `vouchers`) is one redeemable code AND the definition it redeems
  (`type`, `value`, `conditions`, `config`, `currency`). A campaign's codes are vouchers that
  share one definition: check it once with `definitions.build(...)`, then insert one row per code
  with `service.voucher_row(auth, code=..., definition=..., campaign_id=...)` (bulk insert; the
  unique constraint on `(account_id, livemode, code_normalized)` catches collisions, and
  `service.normalize_code` is the normal form). `campaign_id` is indexed for listing and analytics.
- Counters live in the database (`counters.py`): `vouchers.usage_count` is bumped by one
  conditional UPDATE (`usage_count < max_uses`), on SQLite checked by rowcount, on PostgreSQL run
  at COMMIT by a deferred trigger (migration 0015) whose refusal is the same
  USAGE_LIMIT_EXCEEDED; `voucher_customer_usages` holds one counter row per (voucher, customer)
  bumped against `customer_limit` and checked by rowcount. The columns
  `max_uses`, `customer_limit`, `valid_from`, `valid_until` mirror the conditions for that.
- `VoucherApplication` (`va_...`) is a redemption: voucher, code, campaign, order_id, customer
  (id/email/key/segment), order value, discount, final amount, currency, per-item breakdown,
  status `applied | rolled_back`. One standing application per (voucher, order) is a unique
  constraint on `active_order_id` (cleared by a rollback). Analytics read uses, discounts,
  customers and orders from here (`created_at` is `applied_at`).
- `VoucherRollback` (`vr_...`) undoes an application once (unique `application_id`).
- `VoucherValidation` is one recorded validate (not for `preview`): the denominator of
  conversion rates, with the outcome (`is_valid`, `error_code`) and the order and customer.
- The modules by job: `service.py` defines, reads, changes, deletes and expires vouchers;
  `validation.py` prices codes against an order and records the attempt; `redemption.py` applies,
  rolls back and removes; `counters.py` counts uses and gives them back. `engine.py` is pure (stacking, and `evaluate`, the entry point) over
  `cart.py` (what it works on), `eligibility.py` (the checks in the documented order) and
  `pricing.py` (one function per type, on its typed config from `definitions.py`). `schemas.py`
  and `answers.py` shape the bodies; `endpoints.py` only speaks HTTP.
- Events `voucher.created|updated|deleted|validated|applied|rollback|expired` (`EventType`) are
  rows written in the same transaction (`vantio.events.service.record`).
"""
