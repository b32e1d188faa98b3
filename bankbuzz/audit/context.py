"""The request that is being served, for the audit log's client address."""

from contextvars import ContextVar

client_address: ContextVar[str | None] = ContextVar("bankbuzz_client_address", default=None)
