"""LinkedIn organisation pages through the Community Management API (plain requests).

There is no maintained Python client for the versioned /rest API, and what we
need is four calls, so this speaks HTTP directly: the organisation's posts,
the comments under each (and replies under comments), commenters' names, and
comments posted as the organisation.

Credentials (`AccountInfo.credentials`):

    access_token         a 3-legged OAuth token of a Page admin with
                         r_organization_social and w_organization_social.

Options (`AccountInfo.options`):

    recent_posts         int, default 10: newest organisation posts whose comments are polled.
    max_pages            int, default 5: pages of 100 comments read per post per poll.

Settings: LINKEDIN_API_BASE_URL, NETWORK_HTTP_TIMEOUT, and LINKEDIN_API_VERSION
(YYYYMM; default and end-of-life dates in bankbuzz/network_versions.py: LinkedIn retires
each version after about a year).

Cursors, all strings, "" meaning unset:

    comments             epoch milliseconds of the newest comment stored.
    comments_seen        URNs of the comments stored at exactly that millisecond, space-separated.
    posts                epoch milliseconds of the newest organisation post stored.
"""

from listening.connectors.linkedin.connector import LinkedInConnector

__all__ = ["LinkedInConnector"]
