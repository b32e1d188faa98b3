"""Where the signed audit checkpoints go, outside the database: a file, syslog or a webhook.

`AUDIT_CHECKPOINT_SINK` chooses one; each checkpoint is one JSON line. Imports nothing from
the project, so settings can check the value at start-up.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

WEBHOOK_TIMEOUT = 10  # seconds


class SinkError(Exception):
    pass


@dataclass(frozen=True)
class FileSink:
    path: Path

    def write(self, line: str) -> None:
        if not self.path.parent.is_dir():
            raise SinkError(f"{self.path.parent} is not a directory (is the volume mounted?)")
        # Appended and flushed to disk before the checkpoint is recorded as written.
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())


class _StrictSysLogHandler(logging.handlers.SysLogHandler):
    # The standard handler prints a failure and carries on; a lost checkpoint must be an error.
    def handleError(self, record):
        raise SinkError("syslog did not take the checkpoint")


@dataclass(frozen=True)
class SyslogSink:
    address: str | tuple[str, int]

    def write(self, line: str) -> None:
        try:
            handler = _StrictSysLogHandler(
                address=self.address, facility=logging.handlers.SysLogHandler.LOG_AUTHPRIV
            )
        except OSError as exc:
            raise SinkError(f"cannot reach syslog at {self.address}: {exc.strerror}") from None
        try:
            handler.emit(
                logging.makeLogRecord(
                    {
                        "name": "bankbuzz.audit",
                        "levelno": logging.INFO,
                        "levelname": "INFO",
                        "msg": "bankbuzz-audit-checkpoint %s",
                        "args": (line,),
                    }
                )
            )
        finally:
            handler.close()


@dataclass(frozen=True)
class WebhookSink:
    url: str

    def write(self, line: str) -> None:
        import requests

        try:
            response = requests.post(
                self.url,
                data=line.encode(),
                headers={"Content-Type": "application/json"},
                timeout=WEBHOOK_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SinkError(f"the webhook did not answer: {type(exc).__name__}") from None
        if not 200 <= response.status_code < 300:
            raise SinkError(f"the webhook answered {response.status_code}")


Sink = FileSink | SyslogSink | WebhookSink


def parse_sink(value: str) -> Sink | None:
    """'' (none), an absolute path or file:///path, syslog, syslog://host[:port], https://..."""
    value = value.strip()
    if not value:
        return None
    if value == "syslog":
        return SyslogSink("/dev/log")
    url = urlsplit(value)
    if url.scheme == "syslog":
        if not url.hostname:
            raise SinkError(f"{value!r}: syslog://host[:port] needs a host")
        try:
            port = url.port or 514
        except ValueError:
            raise SinkError(f"{value!r}: the port is not a number") from None
        return SyslogSink((url.hostname, port))
    if url.scheme == "https":
        if not url.hostname:
            raise SinkError(f"{value!r}: the webhook URL needs a host")
        return WebhookSink(value)
    if url.scheme == "file":
        value = url.path
    elif url.scheme:
        raise SinkError(f"{value!r}: use a file path, syslog, syslog://host:port or an https:// URL")
    path = Path(value)
    if not path.is_absolute():
        raise SinkError(f"{value!r}: a file sink needs an absolute path")
    return FileSink(path)
