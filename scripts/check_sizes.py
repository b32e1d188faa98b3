"""Fail when a product module grows past 500 lines or a function past 80.

Small modules and short functions are how the code stays readable as it grows
(docs/architecture.md). Tests, migrations and the bench are exempt.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
ROOT = Path(__file__).resolve().parent.parent
EXEMPT_TOP = {".venv", "tests", "bench", "var", "node_modules", "static", "docs"}


def product_modules(root: Path):
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in EXEMPT_TOP or parts[0].startswith(".") or "migrations" in parts:
            continue
        yield path


def problems(root: Path) -> list[str]:
    found = []
    for path in product_modules(root):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root)
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            found.append(f"{name}: {lines} lines (at most {MAX_MODULE_LINES})")
        for node in ast.walk(ast.parse(text, filename=str(name))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(
                        f"{name}:{node.lineno} {node.name}() is {length} lines (at most {MAX_FUNCTION_LINES})"
                    )
    return found


def main() -> int:
    found = problems(ROOT)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} module(s) or function(s) too long: split them by what they hold.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
