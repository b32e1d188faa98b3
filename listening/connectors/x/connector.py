"""The X connector: the account's tweepy clients, reading and writing."""

from __future__ import annotations

from listening.connectors.base import register
from listening.connectors.x.reading import XReading
from listening.connectors.x.writing import XWriting


@register
class XConnector(XReading, XWriting):
    network = "x"
