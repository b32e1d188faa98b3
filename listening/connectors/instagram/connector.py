"""The Instagram connector: the account's Graph session, reading and writing."""

from __future__ import annotations

from listening.connectors.base import register
from listening.connectors.instagram.reading import InstagramReading
from listening.connectors.instagram.writing import InstagramWriting


@register
class InstagramConnector(InstagramReading, InstagramWriting):
    network = "instagram"
