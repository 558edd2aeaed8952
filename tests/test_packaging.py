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


def test_the_command_says_in_one_line_when_another_package_shadows_its_modules(tmp_path: Path) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-c", "import ayrdw_watch; ayrdw_watch.main()", "--help"]
    clean = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert clean.returncode == 0 and "Usage:" in clean.stdout
    (tmp_path / "other" / "schedule").mkdir(parents=True)  # what `pip install schedule` puts beside us
    (tmp_path / "other" / "schedule" / "__init__.py").write_text("def every(n): ...\n", encoding="utf-8")
    shadowed = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env={"PYTHONPATH": f"{tmp_path / 'other'}:{ROOT}"}
    )
    assert shadowed.returncode == 1 and shadowed.stderr.count("\n") == 1, shadowed.stderr
    assert "the module schedule (" in shadowed.stderr and "pipx install" in shadowed.stderr


def test_every_dependency_is_pinned_with_hashes_and_installed_from_the_locks() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {
        "requirements.lock": [*project["dependencies"], *project["optional-dependencies"]["apprise"]],
        "requirements-test.lock": [
            *project["dependencies"], *project["optional-dependencies"]["test"],
            *tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["build-system"]["requires"],
        ],
    }  # fmt: skip
    for lock, requirements in wanted.items():
        text = (ROOT / lock).read_text(encoding="utf-8")
        pins = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", text, re.M))
        names = {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}
        assert names <= set(pins), f"{lock} does not pin {sorted(names - set(pins))}"
        blocks = re.split(r"\n(?=[a-z0-9])", text.split("\n\n", 1)[-1] if text.startswith("#") else text)
        assert all("--hash=sha256:" in b for b in blocks if re.match(r"[a-z0-9]", b)), f"{lock}: a pin without a hash"
    makefile, dockerfile = (ROOT / "Makefile").read_text(), (ROOT / "Dockerfile").read_text()
    for lock in ("requirements.lock", "requirements-test.lock"):
        assert f"--require-hashes -r {lock}" in makefile
    assert "--require-hashes -r requirements.lock" in dockerfile


def test_building_the_package_prints_no_warning(tmp_path: Path) -> None:
    import shutil
    import subprocess
    import sys

    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".*", "tests", "bench", "build", "*.egg-info", "*.db*"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "w"), "."],
        capture_output=True, text=True, cwd=source, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    ours = [line for line in (built.stdout + built.stderr).splitlines() if "warning" in line.lower()]
    ours = [line for line in ours if "Location 'file:" not in line]  # this machine's pip index config, not ours
    assert not ours, "\n".join(ours)


def test_the_image_ignores_local_files_at_any_depth_and_ships_what_the_readme_mounts() -> None:
    """What the image is built from and what it runs, as the README's Docker section tells it:
    local bytecode and archives are ignored in every folder, the example config ships and loads,
    the web view is served on the exposed port, buildah/podman users build in Docker's format."""
    from jobs.config import load_config

    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for pattern in ("__pycache__", "*.pyc", "*.db", "*.db-*"):
        assert f"**/{pattern}" in ignored, f"{pattern} is ignored only at the top: a package's copy gets baked in"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    docker_section = readme.split("### Docker", 1)[1].split("\n## ", 1)[0]
    assert re.search(r"^COPY examples \./examples$", dockerfile, re.M)
    assert "cp examples/ayrdw.toml ayrdw.toml" in docker_section and "/config/ayrdw.toml" in docker_section
    example = load_config(ROOT / "examples" / "ayrdw.toml", env={}, require_secrets=False)
    assert len(example.watches) >= 2
    assert re.search(r"^EXPOSE 8080$", dockerfile, re.M) and '"--web", "0.0.0.0:8080"' in dockerfile
    assert "--format docker" in docker_section and "--format docker" in dockerfile
