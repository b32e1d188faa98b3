"""Customers' profile pictures, fetched by a worker and served from our own origin.

A customer chooses their avatar URL. Loaded by staff browsers it would be a tracking pixel (it
tells the customer, or whoever they pass the URL to, when the bank reads their message, from
which address, with which browser), and fetched carelessly by a worker it is a way into the
bank's network (server-side request forgery). So the worker fetches it with limits:

- http(s) only (plain http only under DEBUG), the host's every address public: no private,
  loopback, link-local, multicast or reserved address, checked after DNS resolution and again
  on the connected socket (a name that resolves differently the second time gets nothing read);
  `AVATAR_PRIVATE_HOSTS` lets named hosts through under DEBUG only (the local sandbox);
- no redirects; a timeout per read and a deadline for the whole body;
- at most `AVATAR_MAX_BYTES` (256 KB); PNG, JPEG, GIF or WebP, as declared by the server and
  as the first bytes say (never SVG, which can carry script).

Pages show `/listening/avatars/<author>.img?v=<sha256>` (listening.views.author_avatar) once it is
fetched, the person's initial until then.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import time
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from listening.models import Author, AuthorAvatar

DEFAULT_MAX_BYTES = 256 * 1024
RETRY_FAILED_AFTER = timedelta(days=1)

# Content types we serve, each with the first bytes a real file of that type starts with.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


class AvatarRefused(Exception):
    """The URL or what it answered is not something we fetch or keep; the message says why."""


def _max_bytes() -> int:
    return int(getattr(settings, "AVATAR_MAX_BYTES", DEFAULT_MAX_BYTES))


def _private_hosts_allowed() -> frozenset[str]:
    if not settings.DEBUG:
        return frozenset()
    return frozenset(h.lower() for h in getattr(settings, "AVATAR_PRIVATE_HOSTS", ()))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _check_host(host: str, port: int) -> None:
    if host.lower() in _private_hosts_allowed():
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise AvatarRefused(f"the host does not resolve ({exc.__class__.__name__})") from exc
    addresses = {info[4][0] for info in infos}
    if not addresses or not all(_is_public(a) for a in addresses):
        raise AvatarRefused("the host has a private, loopback or link-local address")


def _peer_address(response: requests.Response) -> str:
    """The address the response came from, read off its socket ("" when it cannot be told)."""
    candidates = (
        # http.client hands the socket to a response that closes its connection ...
        lambda: response.raw._fp.fp.raw._sock,
        # ... and keeps it on the pooled connection otherwise.
        lambda: response.raw.connection.sock,
    )
    for candidate in candidates:
        try:
            return candidate().getpeername()[0]
        except (AttributeError, OSError, TypeError):
            continue
    return ""


def _check_peer(response: requests.Response, host: str) -> None:
    """The address actually connected to must be public too (DNS may answer differently twice)."""
    peer = _peer_address(response)
    if not peer:
        raise AvatarRefused("could not tell which address answered")
    if host.lower() not in _private_hosts_allowed() and not _is_public(peer):
        raise AvatarRefused("the host answered from a private, loopback or link-local address")


def _url_parts(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.DEBUG else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise AvatarRefused(f"only {' or '.join(schemes)} URLs are fetched")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AvatarRefused("the URL's port is not a number") from exc
    return parts.hostname, port


def _read_body(response: requests.Response, limit: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AvatarRefused(f"larger than {limit} bytes")
    body = bytearray()
    for chunk in response.iter_content(16 * 1024):
        body.extend(chunk)
        if len(body) > limit:
            raise AvatarRefused(f"larger than {limit} bytes")
        if time.monotonic() > deadline:
            raise AvatarRefused("too slow")
    return bytes(body)


def avatar_download(url: str) -> tuple[str, bytes]:
    """(content type, bytes) of the picture at `url`, or AvatarRefused with the reason."""
    host, port = _url_parts(url)
    _check_host(host, port)
    timeout = float(getattr(settings, "AVATAR_FETCH_TIMEOUT", 5))
    try:
        response = requests.get(
            url,
            stream=True,
            allow_redirects=False,
            timeout=(timeout, timeout),
            headers={"Accept": ", ".join(SIGNATURES), "User-Agent": "BankBuzz avatar fetcher"},
        )
    except requests.RequestException as exc:
        raise AvatarRefused(f"the request failed ({exc.__class__.__name__})") from exc
    with response:
        if response.is_redirect or response.is_permanent_redirect:
            raise AvatarRefused("redirects are not followed")
        if response.status_code != 200:
            raise AvatarRefused(f"the server answered {response.status_code}")
        _check_peer(response, host)  # before a byte of the body is read
        content_type = response.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if content_type not in SIGNATURES:
            raise AvatarRefused(f"not a PNG, JPEG, GIF or WebP image ({content_type[:40] or 'no type'})")
        try:
            data = _read_body(response, _max_bytes(), time.monotonic() + 2 * timeout)
        except requests.RequestException as exc:
            raise AvatarRefused(f"the download failed ({exc.__class__.__name__})") from exc
    if not data.startswith(SIGNATURES[content_type]) or (
        content_type == "image/webp" and data[8:12] != b"WEBP"
    ):
        raise AvatarRefused(f"the bytes are not a {content_type} image")
    return content_type, data


@transaction.atomic
def avatar_store(*, author: Author, url: str, content_type: str = "", data: bytes = b"", error: str = ""):
    """Keep what a fetch of `url` gave: the picture, or why there is none (then none is shown)."""
    digest = hashlib.sha256(data).hexdigest() if data else ""
    AuthorAvatar.objects.update_or_create(
        author=author,
        defaults={
            "source_url": url[:500],
            "status": AuthorAvatar.Status.OK if data else AuthorAvatar.Status.FAILED,
            "content_type": content_type,
            "data": data,
            "sha256": digest,
            "error": error[:200],
            "fetched_at": timezone.now(),
        },
    )
    Author.objects.filter(pk=author.pk).update(avatar_sha256=digest)


def authors_due(limit: int) -> list[Author]:
    """People whose avatar URL we have not fetched (or whose fetch failed over a day ago)."""
    done = AuthorAvatar.objects.filter(author=OuterRef("pk"), source_url=OuterRef("avatar_url")).filter(
        Q(status=AuthorAvatar.Status.OK) | Q(fetched_at__gt=timezone.now() - RETRY_FAILED_AFTER)
    )
    return list(
        Author.objects.exclude(avatar_url="")
        .exclude(Exists(done))
        .order_by("-pk")
        .only("pk", "avatar_url")[:limit]
    )


def avatars_fetch_due(limit: int = 50, budget_seconds: float = 40) -> int:
    """Fetch the avatars due (beat: every minute). Returns how many were stored.

    No new fetch starts after `budget_seconds`, so a run ends before the next one is sent."""
    stored = 0
    stop_at = time.monotonic() + budget_seconds
    for author in authors_due(limit):
        if time.monotonic() > stop_at:
            break
        try:
            content_type, data = avatar_download(author.avatar_url)
        except AvatarRefused as exc:
            avatar_store(author=author, url=author.avatar_url, error=str(exc))
            continue
        avatar_store(author=author, url=author.avatar_url, content_type=content_type, data=data)
        stored += 1
    return stored


_AVATAR_PREFIX: list[str] = []


def avatar_src(author) -> str:
    """Our URL of the author's avatar, or "" while none is fetched (pages show the initial)."""
    sha = getattr(author, "avatar_sha256", "")
    if not sha:
        return ""
    if not _AVATAR_PREFIX:
        from django.urls import reverse

        # `reverse` once per process: the list renders a row per conversation.
        _AVATAR_PREFIX.append(reverse("listening:avatar", args=[0]).removesuffix("0.img"))
    return f"{_AVATAR_PREFIX[0]}{author.pk}.img?v={sha}"
