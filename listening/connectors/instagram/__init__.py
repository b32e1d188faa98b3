"""Instagram professional accounts through the Instagram Graph API (plain requests).

Not facebook-sdk: its GraphAPI hard-codes graph.facebook.com (Instagram Login lives on
graph.instagram.com), cannot send a JSON body (the Send API's natural form), hides the
response headers (the usage headers are the rate budget) and rejects every current Graph
version in its constructor. Each of those needs a workaround in the Facebook connector;
here eight plain calls need none.

Two ways to connect, same endpoints (set INSTAGRAM_API_BASE_URL accordingly):
    Instagram Login      https://graph.instagram.com, an Instagram user token;
    through the Page     https://graph.facebook.com, the linked Page's token.

Credentials (`AccountInfo.credentials`):

    access_token         with instagram_business_basic, instagram_business_manage_comments
                         and instagram_business_manage_messages (Instagram Login), or
                         instagram_basic, instagram_manage_comments, instagram_manage_messages
                         and pages_read_engagement (through the Page).

`AccountInfo.external_id` is the Instagram user id of the professional account.

Options: recent_posts (int, default 10: the account's newest media whose comments are read),
tags (bool, default True: media that tag the account), messages (bool, default True),
max_pages (int, default 5, per edge per poll).

Settings: INSTAGRAM_API_BASE_URL, GRAPH_API_VERSION, NETWORK_HTTP_TIMEOUT.

Cursors (strings, "" unset), as the Facebook connector's: `comments`, `tags`, `messages`
(Unix time of the newest item stored from that stream) and `<stream>_seen` (ids stored
at exactly that second).
"""

from listening.connectors.instagram.connector import InstagramConnector

__all__ = ["InstagramConnector"]
