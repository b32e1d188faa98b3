"""The listening app's models, by subject; every one is imported here for the app registry."""

from listening.models.accounts import Network, QuarantinedItem, SocialAccount, network_labels
from listening.models.mentions import Author, AuthorAvatar, LabelCorrection, Mention, MentionOriginal
from listening.models.queries import ListeningQuery, QueryMatch, SpikeAlert
from listening.models.x_usage import XBudget, XUsage

__all__ = [
    "Author",
    "AuthorAvatar",
    "LabelCorrection",
    "ListeningQuery",
    "Mention",
    "MentionOriginal",
    "Network",
    "QuarantinedItem",
    "QueryMatch",
    "SocialAccount",
    "SpikeAlert",
    "XBudget",
    "XUsage",
    "network_labels",
]
