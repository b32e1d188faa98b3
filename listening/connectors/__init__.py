"""Connectors to the social networks. Importing this package registers them all."""

from listening.connectors import facebook, instagram, linkedin, x  # noqa: F401
