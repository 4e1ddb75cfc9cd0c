"""numba options come from native/config.py only (STYLE item 11)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_literal_options_at_decorator_sites():
    offenders = []
    for path in [*ROOT.glob("native/*.py"), *ROOT.glob("compositor/**/*.py"), *ROOT.glob("cameras/**/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.match(r"\s*@(numba\.)?(njit|jit)\(", line) and re.search(r"\b(cache|nogil|fastmath|parallel)\s*=", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "take numba options from native.config:\n" + "\n".join(offenders)
