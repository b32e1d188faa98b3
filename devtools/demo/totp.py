"""Print the current code of the demo authenticator key (`make run`'s demo logins only).

    make totp                          # from the repository
    python3 devtools/demo/totp.py      # the same; the file needs only Python
    python -m devtools.demo.totp       # the same, as a module

No Django, no database: a TOTP code is the key and the clock. Real users' keys are never
readable this way; only the shared demo key that `demo_seed` gives demo logins under DEBUG.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time

DEMO_TOTP_KEY = b"bankbuzz-demo-totp!!"


def code(key: bytes = DEMO_TOTP_KEY, *, at: float | None = None, step: int = 30) -> str:
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


if __name__ == "__main__":
    remaining = 30 - int(time.time()) % 30
    print(f"{code()}  (valid for {remaining} more seconds; key {base64.b32encode(DEMO_TOTP_KEY).decode()})")
