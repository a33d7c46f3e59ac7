"""The HTTP layer of both API surfaces, one module per job.

- `routes`: the route classes (`ReferralRoute` for `/api/v1`, `VoucherRoute` for `/v1`) and what
  a route declares on itself: `@idempotent(scope)`, `@rate_class(...)`, `responses=errors(...)`.
- `runner`: every API request's life: auth, rate limit, idempotency key, one transaction,
  commit, answer.
- `errors`: the one mapping from exceptions to typed errors, and the application's handlers.
- `surfaces`: each surface's error body (Pydantic models, in OpenAPI) and renderer.
- `dependencies`: what endpoints ask for (session, caller, runtime, a page).
- `middleware`: the body size limit, enforced before any route reads the body.
- `openapi`: the OpenAPI document without FastAPI's 422s.
"""
