#!/usr/bin/env python
import os
import sys


def offline_defaults(argv: list[str]) -> None:
    """`audit_verify FILE --offline` checks an export on any machine: no database, no Redis.

    The settings still want both URLs; these name servers that are never connected to. The
    other secrets are not used by the check, so the development defaults (DEBUG) stand in for
    them, except the checkpoints' key when `--checkpoints` is given.
    """
    if len(argv) < 2 or argv[1] != "audit_verify" or "--offline" not in argv:
        return
    os.environ.setdefault("DATABASE_URL", "postgres://offline.invalid/unused")
    os.environ.setdefault("REDIS_URL", "redis://offline.invalid:6379/0")
    os.environ.setdefault("DEBUG", "1")
    checkpoints = any(arg.startswith("--checkpoints") for arg in argv)
    if checkpoints and not (
        os.environ.get("AUDIT_CHECKPOINT_KEY") or os.environ.get("AUDIT_CHECKPOINT_KEY_FILE")
    ):
        sys.stderr.write(
            "Configuration error: --checkpoints needs AUDIT_CHECKPOINT_KEY, the checkpoints' key\n"
        )
        sys.exit(2)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankbuzz.settings")
    offline_defaults(sys.argv)
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake is a message for a person, not a traceback.
        sys.stderr.write(f"Configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
