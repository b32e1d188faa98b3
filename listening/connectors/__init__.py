"""Connectors to the social networks. Importing this package registers them all."""

from listening.connectors import x  # noqa: F401
