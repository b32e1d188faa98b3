"""The Facebook connector: a Page's Graph client, reading and writing."""

from __future__ import annotations

from listening.connectors.base import register
from listening.connectors.facebook.reading import FacebookReading
from listening.connectors.facebook.writing import FacebookWriting


@register
class FacebookConnector(FacebookReading, FacebookWriting):
    network = "facebook"
