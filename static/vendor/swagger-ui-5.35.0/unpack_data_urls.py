"""Move swagger-ui.css's inline `data:` images into files next to it, so the docs page needs no
`img-src data:` in our Content-Security-Policy. Run once after vendoring a new swagger-ui-dist:

    python static/vendor/swagger-ui-5.35.0/unpack_data_urls.py

Vendored from the npm package swagger-ui-dist@5.35.0 (`npm pack swagger-ui-dist@5.35.0`):
swagger-ui-bundle.js, swagger-ui.css (its sourceMappingURL comment removed: the map is not
vendored and collectstatic's manifest storage refuses a dangling one), LICENSE, NOTICE.
"""

import base64
import hashlib
import re
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSS = HERE / "swagger-ui.css"
IMG = HERE / "img"
PATTERN = re.compile(r'url\((["\']?)data:(image/[a-z+]+)(;charset=utf-8)?(;base64)?,(.*?)\1\)')
EXT = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}


def unpack(match: re.Match) -> str:
    mime, is_base64, data = match.group(2), match.group(4), match.group(5)
    if is_base64:
        raw = base64.b64decode(data)
    else:  # undo the CSS string's escapes, then the URL's
        raw = urllib.parse.unquote(re.sub(r"\\(.)", r"\1", data)).encode()
    name = f"{hashlib.sha256(raw).hexdigest()[:12]}.{EXT[mime]}"
    IMG.mkdir(exist_ok=True)
    (IMG / name).write_bytes(raw)
    return f'url("img/{name}")'


if __name__ == "__main__":
    text = CSS.read_text()
    CSS.write_text(PATTERN.sub(unpack, text))
    print(f"{len(list(IMG.iterdir()))} images in {IMG}")
