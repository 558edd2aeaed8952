"""A report's fields are declared once (domain.report.FIELDS): a field declared there, with
its extractor and nothing else, reaches the archive, both exports, the content hash, the
field diff and the email a watcher reads."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from domain.change import content_hash
from domain.report import FIELDS, Field
from fixturesite.server import FixtureServer
from fixturesite.site import FixtureSite
from jobs.config import config_from_dict
from jobs.cycle import poll_cycle
from jobs.export import write_export
from jobs.watchers import open_archive
from tests.conftest import SMTP_PASSWORD, SMTP_USER, MailSink

SECTION = "监督工作"


@pytest.fixture
def doc_number() -> Iterator[dict[str, str]]:
    """Declare 文号 with a stub extractor that answers what the test puts in ``numbers``."""
    numbers: dict[str, str] = {}

    def extract(page, tree) -> str | None:  # type: ignore[no-untyped-def]
        return numbers.get(page.final_url.rsplit("/", 1)[-1], "安人发〔2022〕1号")

    declared = Field("doc_number", "文号", meta=True, extract=extract)
    FIELDS.append(declared)
    try:
        yield numbers
    finally:
        FIELDS.remove(declared)


def test_a_declared_field_reaches_archive_exports_hash_diff_and_email(
    doc_number: dict[str, str], tmp_path: Path, smtp_server: tuple[MailSink, int]
) -> None:
    mail, port = smtp_server
    with FixtureServer(FixtureSite("modern", validators=False)) as server:
        config = config_from_dict(
            {
                "site": {"url": server.url("/")},
                "crawl": {"delay": "0s", "recheck": "0s"},
                "storage": {"db": str(tmp_path / "w.db")},
                "smtp": {"host": "127.0.0.1", "port": port, "user": SMTP_USER, "password": SMTP_PASSWORD},
                "watchers": [{"kind": "email", "to": ["desk@example.org"]}],
            }
        )
        archive = open_archive(config, "2026-11-25T08:00:00+00:00")
        assert poll_cycle(config, archive)[0][0].new == 23
        site = server.site
        edited = site.sections[SECTION][2]
        doc_number[server.url(site.report_path(edited.slug)).rsplit("/", 1)[-1]] = "安人发〔2022〕7号"
        (result,), _ = poll_cycle(config, archive)
        assert result.changed == 1

    columns = [c.name for c in archive.db["report_versions"].columns]
    assert "doc_number" in columns
    stored = archive.db.execute("SELECT doc_number FROM report_versions ORDER BY id DESC LIMIT 1").fetchone()[0]
    assert stored == "安人发〔2022〕7号"

    rows = list(archive.queries.export_rows())
    jsonl, table = io.StringIO(), io.StringIO()
    write_export(rows, "jsonl", jsonl)
    write_export(rows, "csv", table)
    assert json.loads(jsonl.getvalue().splitlines()[0])["doc_number"] == "安人发〔2022〕1号"
    header = next(csv.reader(io.StringIO(table.getvalue())))
    assert header.index("doc_number") == header.index("credits") + 1 and header[-6:] == [
        "status", "version", "first_seen", "updated_at", "watch", "id",
    ]  # fmt: skip

    fields = {"title": "t", "text": "x" * 40, "doc_number": "安人发〔2022〕1号"}
    assert content_hash(fields) != content_hash({**fields, "doc_number": "安人发〔2022〕7号"})

    change = archive.queries.events()[-1]
    assert change["changes"] == {"doc_number": {"old": "安人发〔2022〕1号", "new": "安人发〔2022〕7号"}}
    message = mail.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "文号: 安人发〔2022〕7号" in message and "文号:\n  安人发〔2022〕[-1-]{+7+}号" in message
