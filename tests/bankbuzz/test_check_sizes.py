"""`make lint` refuses a product module over 500 lines or a function over 80 (scripts/check_sizes.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("check_sizes", ROOT / "scripts" / "check_sizes.py")
check_sizes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_sizes)


def test_a_long_function_and_a_long_module_are_named(tmp_path):
    app = tmp_path / "inbox"
    app.mkdir()
    (app / "short.py").write_text("def fine():\n    return 1\n")
    body = "".join(f"    x{i} = {i}\n" for i in range(85))
    (app / "long_function.py").write_text(f"def too_long():\n{body}")
    (app / "long_module.py").write_text("".join(f"X{i} = {i}\n" for i in range(501)))
    (tests := tmp_path / "tests").mkdir()
    (tests / "test_big.py").write_text("".join(f"X{i} = {i}\n" for i in range(900)))
    (migrations := app / "migrations").mkdir()
    (migrations / "0001_initial.py").write_text("".join(f"X{i} = {i}\n" for i in range(900)))

    found = check_sizes.problems(tmp_path)

    assert found == [
        "inbox/long_function.py:1 too_long() is 86 lines (at most 80)",
        "inbox/long_module.py: 501 lines (at most 500)",
    ]


def test_the_product_keeps_to_the_limits():
    assert check_sizes.problems(ROOT) == []
