"""The main README's Python example runs as printed."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace = {"__name__": "readme"}
    exec(compile(code, str(README), "exec"), namespace)
