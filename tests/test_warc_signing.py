"""Evidence, part two: the archive as a WARC file that web-archive tools read back, and chain
heads signed with the operator's Ed25519 key -- by the real CLI on the fixture site."""

from __future__ import annotations

import base64
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from tests.conftest import site_config
from tests.procs import cli

SECTION = "监督工作"


def polled(tmp_path: Path, extra: str = "", env: dict[str, str] | None = None) -> tuple[Path, FixtureServer]:
    server = FixtureServer(FixtureSite("trs")).start()
    config = tmp_path / "c.toml"
    config.write_text(site_config(server, recheck="0s") + '[storage]\ndb = "a.db"\n' + extra, encoding="utf-8")
    return config, server


def run(config: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if k != "AYRDW_CONFIG"} | (env or {})
    return subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "schedule.py"), "--config", str(config), *args],
        capture_output=True, text=True, timeout=120, cwd=config.parent, env=full,
    )  # fmt: skip


def test_the_warc_is_valid_and_every_digest_checks(tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    config, server = polled(tmp_path)
    try:
        assert cli(config, "poll").returncode == 0
        edited = server.site.sections[SECTION][1]
        server.site.edit_report(edited.slug, paragraphs=[*edited.paragraphs, "（补充说明。）"])
        assert cli(config, "poll").returncode == 0
    finally:
        server.stop()
    out = tmp_path / "archive.warc.gz"
    done = cli(config, "warc", "-o", str(out))
    assert done.returncode == 0, done.stderr
    check = subprocess.run([str(Path(sys.executable).parent / "warcio"), "check", str(out)], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    kinds: dict[str, int] = {}
    with out.open("rb") as stream:
        for record in ArchiveIterator(stream, check_digests=True):
            kinds[record.rec_type] = kinds.get(record.rec_type, 0) + 1
            if record.rec_type == "response":
                assert record.rec_headers.get_header("WARC-Payload-Digest").startswith("sha1:")
                assert record.rec_headers.get_header("WARC-Target-URI").startswith("http://127.0.0.1:")
                assert record.rec_headers.get_header("WARC-Date").endswith("Z")
                body = record.content_stream().read()
                assert int(record.http_headers.get_header("Content-Length")) == len(body)
    with sqlite3.connect(tmp_path / "a.db") as db:
        responses = db.execute("SELECT count(*) FROM responses").fetchone()[0]
        links = db.execute("SELECT count(*) FROM chain").fetchone()[0]
        files = db.execute("SELECT count(*) FROM attachment_files WHERE response_id IS NOT NULL").fetchone()[0]
    assert kinds == {"warcinfo": 1, "response": responses, "request": responses, "metadata": links}
    assert files > 0 and responses == 24 + files, "23 versions, the edit, and each attachment file"
    since = cli(config, "warc", "--since", "2999-01-01", "-o", str(tmp_path / "none.warc.gz"))
    assert since.returncode == 0 and "0 responses" in since.stdout


def test_heads_are_signed_and_checked_and_a_forged_signature_is_refused(tmp_path: Path) -> None:
    prefix = tmp_path / "keys" / "ayrdw"
    prefix.parent.mkdir()
    made = cli(tmp_path / "none.toml", "keygen", "-o", str(prefix))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(prefix.stat().st_mode) == 0o600 and prefix.with_suffix(".pub").exists()
    assert cli(tmp_path / "none.toml", "keygen", "-o", str(prefix)).returncode == 1, "never overwrites a key"
    env = {"AYRDW_SIGNING_KEY": prefix.read_text()}
    config, server = polled(tmp_path, '[evidence]\nsigning_key_env = "AYRDW_SIGNING_KEY"\n')
    lengths = []
    try:
        for _ in range(2):  # the second extends nothing: signs nothing new
            assert run(config, "poll", env=env).returncode == 0
            lengths.append(sqlite3.connect(tmp_path / "a.db").execute("SELECT count(*) FROM chain").fetchone()[0])
        server.site.add_report(server.site.new_report(attachments=[]))
        assert run(config, "poll", env=env).returncode == 0
    finally:
        server.stop()
    with sqlite3.connect(tmp_path / "a.db") as db:
        signed = db.execute("SELECT watch, idx, head FROM signatures ORDER BY id").fetchall()
        head, links = db.execute("SELECT link, (SELECT count(*) FROM chain) FROM chain ORDER BY id DESC").fetchone()
    assert lengths[0] == lengths[1] > 23, "23 versions and a link per attachment file"
    assert [s[1] for s in signed] == [lengths[0], lengths[0] + 1] and signed[-1][2] == head and links == lengths[0] + 1
    public = str(prefix.with_suffix(".pub"))
    ok = cli(config, "verify", "--public-key", public)
    assert ok.returncode == 0 and "2 signed heads checked" in ok.stdout, ok.stdout + ok.stderr
    other = tmp_path / "other"
    assert cli(config, "keygen", "-o", str(other)).returncode == 0
    wrong = cli(config, "verify", "--public-key", str(other.with_suffix(".pub")))
    assert wrong.returncode == 1 and "signature" in wrong.stderr
    with sqlite3.connect(tmp_path / "a.db") as db:
        forged = base64.b64encode(bytes(64)).decode()
        db.execute("UPDATE signatures SET signature = ? WHERE idx = ?", [forged, lengths[0]])
    refused = cli(config, "verify", "--public-key", public)
    assert (
        refused.returncode == 1
        and f"head {lengths[0]}" in refused.stderr
        and len(refused.stderr.strip().splitlines()) == 1
    )


def test_a_bad_signing_key_is_a_one_line_error_that_never_shows_the_key(tmp_path: Path) -> None:
    config, server = polled(tmp_path, '[evidence]\nsigning_key_env = "AYRDW_SIGNING_KEY"\n')
    try:
        done = run(config, "poll", env={"AYRDW_SIGNING_KEY": "not-a-key-but-secret-text"})
        missing = run(config, "poll", env={})
    finally:
        server.stop()
    assert done.returncode == 2 and "not-a-key-but-secret-text" not in done.stderr + done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and "Ed25519" in done.stderr
    assert missing.returncode == 2 and "AYRDW_SIGNING_KEY is not set" in missing.stderr


@pytest.mark.parametrize("form", ["pem", "base64"])
def test_a_key_in_either_form_signs(tmp_path: Path, form: str) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

    key = Ed25519PrivateKey.generate()
    if form == "pem":
        text = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    else:
        text = base64.b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())).decode()
    public = tmp_path / "k.pub"
    public.write_bytes(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    config, server = polled(tmp_path, '[evidence]\nsigning_key_env = "K"\n')
    try:
        assert run(config, "poll", env={"K": text}).returncode == 0
    finally:
        server.stop()
    assert cli(config, "verify", "--public-key", str(public)).returncode == 0
