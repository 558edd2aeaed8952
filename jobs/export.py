"""Export the archive as JSON Lines or CSV (UTF-8; structured fields, such as attachments and
credits, as JSON text in their CSV cells). The columns follow the declared fields."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import IO, Any

from domain.report import FIELDS
from storage.queries import export_fields


def write_export(rows: Iterable[dict[str, Any]], fmt: str, out: IO[str]) -> int:
    """Write every row; returns how many. Missing values: null in JSON, an empty CSV cell."""
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(out, fieldnames=export_fields(), lineterminator="\n")
    writer.writeheader()
    structured = [f.name for f in FIELDS if f.structured]
    for row in rows:
        cells = dict(row)
        for name in structured:
            cells[name] = json.dumps(row[name], ensure_ascii=False)
        writer.writerow({k: ("" if v is None else v) for k, v in cells.items()})
        count += 1
    return count
