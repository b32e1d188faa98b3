"""The LinkedIn connector: the organisation's session, reading and writing."""

from __future__ import annotations

from listening.connectors.base import register
from listening.connectors.linkedin.reading import LinkedInReading
from listening.connectors.linkedin.writing import LinkedInWriting


@register
class LinkedInConnector(LinkedInReading, LinkedInWriting):
    network = "linkedin"
