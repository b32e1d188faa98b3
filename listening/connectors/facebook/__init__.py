"""Facebook Pages through facebook-sdk 3.1 (`facebook.GraphAPI`).

facebook-sdk is unmaintained, so it stays behind this class: its version check
rejects every current Graph version (we set `graph.version` after
construction), it hard-codes graph.facebook.com (a session transport adapter
redirects it to settings.GRAPH_API_BASE_URL, with a timeout), it recognises
errors only by a JSON `error` key and raises a bare error on non-JSON bodies,
and it hides the response headers (a session hook reads the usage headers).

Credentials (`AccountInfo.credentials`):

    page_access_token    a Page access token with pages_read_engagement,
                         pages_read_user_content, pages_manage_engagement and
                         pages_messaging. (`access_token` is accepted as an alias.)

Options (`AccountInfo.options`):

    recent_posts         int, default 25: newest Page posts, and newest visitor posts, whose
                         comments are polled (quiet ones are skipped by updated_time).
    messenger            bool, default True: read Messenger conversations.
    tagged               bool, default True: read posts that tag the Page.
    max_pages            int, default 5: pages of 100 read per edge per poll.

Cursors, all strings, "" meaning unset:

    feed, tagged         Unix time of the newest post stored from that edge;
    comments, messenger  ... of the newest comment / Messenger message stored.
    <stream>_seen        ids stored at exactly that second (Graph's `since` is
                         inclusive and has one-second resolution: these are the
                         only items the next poll may see again).
    <stream>_until, <stream>_head
                         resume state when a backlog is longer than max_pages
                         (feed and tagged are read newest first): the gap still
                         to read ends at _until; _head becomes the cursor after.
"""

from listening.connectors.facebook.client import GRAPH_VERSION
from listening.connectors.facebook.connector import FacebookConnector

__all__ = ["GRAPH_VERSION", "FacebookConnector"]
