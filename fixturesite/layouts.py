"""Registry of the fixture layouts, by the name FixtureSite(layout=...) takes."""

from __future__ import annotations

from .layout_base import Layout
from .layout_modern import ModernLayout
from .layout_table_gbk import TableGbkLayout
from .layout_trs import TrsLayout

LAYOUTS: dict[str, type[Layout]] = {
    "table-gbk": TableGbkLayout,
    "trs": TrsLayout,
    "modern": ModernLayout,
}
