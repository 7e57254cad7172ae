"""The gate service: the HTTP API (``/v1``), its tokens and the read-only page.

Stateless: every process answers from the store it is given, so any number of them can
share one PostgreSQL store. The CLI and the service judge through the same
application-level function, so the same inputs, policy and time give the same verdict.
"""
