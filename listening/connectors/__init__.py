"""Connectors to the social networks.

Each network's module registers its class when imported; `base.connector_for`
imports them on first use (see `base.NETWORK_MODULES`), so importing the
interface never pulls in tweepy or facebook-sdk.
"""
