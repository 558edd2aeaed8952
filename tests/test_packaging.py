"""What is installed is what the code imports: every package of the repository is named in
pyproject.toml's packages and copied into the Docker image."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = {"tests", "bench", "examples", "docs", "build"}


def test_every_package_is_installed_and_copied_into_the_image() -> None:
    packages = {
        d.name for d in ROOT.iterdir()
        if d.is_dir() and (d / "__init__.py").exists() and d.name not in NOT_SHIPPED and not d.name.startswith(".")
    }  # fmt: skip
    declared = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    )
    assert packages <= declared, f"missing from pyproject.toml packages: {sorted(packages - declared)}"
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.M))
    assert packages <= copied, f"not copied by the Dockerfile: {sorted(packages - copied)}"
