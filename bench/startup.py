"""How fast the command line starts: `--help` and `status` against `python -c pass`, each run
20 times in interleaved rounds (warm cache, same machine), medians compared. `status` reads
an archive a poll of the fixture site wrote. With ``--against REV`` the other commit's
command line is timed in the same rounds, on an archive of its own."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import Figures, spread
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite


def _archive(root: Path, folder: Path, base_url: str) -> Path:
    config = folder / "status.toml"
    config.write_text(
        f'[site]\nurl = "{base_url}/"\n[crawl]\ndelay = "0s"\n[storage]\ndb = "{folder / "a.db"}"\n'
        '[[watchers]]\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\nsecret = "x"\n',
        encoding="utf-8",
    )
    subprocess.run([sys.executable, str(root / "schedule.py"), "--config", str(config), "poll"],
                   capture_output=True, check=True, cwd=folder, timeout=300)  # fmt: skip
    return config


def run(figures: Figures, root: Path, runs: int = 20, against: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(FixtureSite("trs")) as server:
        trees = {"ours": root, **({f"ours@{against.name}": against} if against else {})}
        commands: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
        for name, tree in trees.items():
            folder = Path(tmp) / name.replace("@", "-")
            folder.mkdir()
            config = _archive(tree, folder, server.base_url)
            commands[f"{name} --help"] = [sys.executable, str(tree / "schedule.py"), "--help"]
            commands[f"{name} status"] = [sys.executable, str(tree / "schedule.py"), "--config", str(config), "status"]
        times: dict[str, list[float]] = {name: [] for name in commands}
        names = list(commands)
        for i in range(runs):
            for name in names[i % len(names) :] + names[: i % len(names)]:
                started = time.perf_counter()
                subprocess.run(commands[name], capture_output=True, cwd=tmp, timeout=60)
                times[name].append((time.perf_counter() - started) * 1000)
    base = spread(times["python -c pass"])["median"]
    how = f"wall time of the process, {runs} interleaved runs, warm cache"
    print(f"\n5. Command-line start ({how}); target: --help and status within 3x python -c pass")
    for name, values in times.items():
        s = figures.add(f"startup.{name.replace(' ', '_')}_ms", spread(values), "ms", how)
        ratio = s["median"] / base
        if name != "python -c pass":
            figures.add(f"startup.{name.replace(' ', '_')}_over_python", ratio, "ratio", "medians")
        print(f"   {name:<32} {s['median']:7.1f} ms [{s['min']:.1f}-{s['max']:.1f}]  {ratio:5.1f}x")
