"""The `ayrdw-watch` console command: checks that the modules it runs are its own, then runs it.

The application keeps the top-level module names it was designed with (schedule, crawler, jobs,
storage, ...), and some of them are other projects' names too: `pip install schedule` into the
same environment puts a package named `schedule` before ours. Installed into an environment of its
own (`make run`'s .venv, the Docker image's /opt/ayrdw, `pipx install .`) nothing can shadow
them; installed beside such a package, the command says so in one line instead of an ImportError.
This module's own name is the project's, so it is never someone else's.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

OURS = ("schedule", "domain", "crawler", "jobs", "storage", "notify", "web", "sites", "fixturesite")
MARK = "AYRDW_WATCH = True"  # in each of our top-level modules (a package's __init__.py)
EXIT_FAILED = 1


def foreign_module() -> str | None:
    """The first of our top-level names that resolves to a module that is not ours, as
    "name (path)", or None. Reads the files; imports nothing."""
    for name in OURS:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None:
            return f"{name} (not installed)"
        try:
            ours = MARK in Path(origin).read_text(encoding="utf-8", errors="replace")
        except OSError:
            ours = False
        if not ours:
            return f"{name} ({origin})"
    return None


def main() -> None:
    foreign = foreign_module()
    if foreign is not None:
        print(
            f"error: the module {foreign} is another package's, not ayrdw-watch's: install ayrdw-watch into"
            " an environment of its own (pipx install . , or make run)",
            file=sys.stderr,
        )
        sys.exit(EXIT_FAILED)
    from schedule import main as run

    run()


if __name__ == "__main__":
    main()
