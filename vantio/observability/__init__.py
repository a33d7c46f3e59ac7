"""Operations: health checks, Prometheus metrics, the access log and structured logs.

The package sits between the database and the domains: `metrics` imports nothing of Vantio (a
domain may count what it does), `health` and `queue` read the database and the worker's tables,
`endpoints` and `middleware` are wired in by the app factory. It knows no domain and no face.
"""
