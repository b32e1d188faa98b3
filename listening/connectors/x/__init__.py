"""X (Twitter) through `tweepy.Client` (API v2).

Credentials (`AccountInfo.credentials`), all strings:

    bearer_token         app-only OAuth 2.0 bearer token: reads mentions and recent search.
    oauth2_user_token    OAuth 2.0 user-context access token of the bank's account
                         (scopes tweet.read tweet.write users.read dm.read dm.write):
                         posts replies, reads and sends direct messages, and reads
                         mentions when there is no bearer_token.
    consumer_key, consumer_secret, access_token, access_token_secret
                         OAuth 1.0a user context, the alternative to oauth2_user_token.

Options (`AccountInfo.options`):

    include_retweets     bool, default False: retweets of mentions are noise for an inbox.
    direct_messages      bool, default True when user-context credentials exist.
    max_pages            int, default 5: pages read per stream per poll (100 items each).

Cursors (`FetchResult.cursors`), all strings, "" meaning unset:

    mentions             since_id: the newest mention stored.
    dm_events            the newest direct-message event id stored (the DM endpoint
                         has no since_id, so we page until we meet it).
    search               since_id for `search()` (kept per listening query by the caller).
    <stream>_page, <stream>_head
                         resume state when a backlog is longer than max_pages: the
                         pagination token to continue from, and the newest id of the
                         walk, which becomes <stream> once the walk reaches the old cursor.
                         Nothing between the old cursor and the newest item is skipped.
"""

from listening.connectors.x.client import TWEEPY_HOST, TWEET_FIELDS, USER_FIELDS
from listening.connectors.x.connector import XConnector

__all__ = ["TWEEPY_HOST", "TWEET_FIELDS", "USER_FIELDS", "XConnector"]
