#!/usr/bin/env python3
"""Haven's two set-up commands, for a fresh machine with only Python 3.11:

    python3 scripts/dev.py up     # install what the bot needs, then run `haven up`
    python3 scripts/dev.py test   # install everything, lint, run the whole test suite

Both create `.venv/` beside this repository's pyproject.toml and reinstall only when
pyproject.toml changed. Extra arguments after `test` go to pytest.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def ensure_env(extra: str) -> None:
    """Create the virtual environment and install the project with `extra`."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this script runs before the venv exists
        sys.exit(f"Haven needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{extra}-{digest}"
    if stamp.exists():
        return
    print(f"installing Haven with [{extra}] into .venv (first run takes about a minute) …")
    pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[{extra}]"], check=True, cwd=ROOT)
    stamp.touch()


def run_tests(pytest_args: list[str]) -> int:
    """Lint, then run pytest; pytest's 'no tests collected' counts as a failure."""
    ensure_env("test")
    py = str(BIN / "python")
    for step in (["ruff", "check", "."], ["ruff", "format", "--check", "."]):
        print("$", " ".join(step), flush=True)
        if subprocess.run([py, "-m", *step], cwd=ROOT).returncode != 0:
            return 1
    code = subprocess.run([py, "-m", "pytest", *pytest_args], cwd=ROOT).returncode
    if code == 5:
        print("pytest collected no tests: treating as a failure", file=sys.stderr)
        return 1
    return code


def main(argv: list[str]) -> int:
    """Dispatch `up` or `test`."""
    if not argv or argv[0] not in {"up", "test"}:
        print(__doc__)
        return 2
    if argv[0] == "test":
        return run_tests(argv[1:])
    ensure_env("embedded")
    os.chdir(ROOT)
    return subprocess.run([str(BIN / "haven"), "up", *argv[1:]]).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
