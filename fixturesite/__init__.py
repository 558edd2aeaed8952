"""A fake county People's Congress site, served over real HTTP, to test the crawler against.

Three layouts (an ASP table site in GBK, a TRS static site, a modern HTML5 site)
carry the same reports; FixtureReport.expected() is the truth an extractor must
return. See site.py for scenario control and server.py for serving.
"""

from .layouts import LAYOUTS
from .model import FixtureReport, RequestRecord
from .server import FixtureServer
from .site import FixtureSite

__all__ = ["LAYOUTS", "FixtureReport", "FixtureServer", "FixtureSite", "RequestRecord"]

AYRDW_WATCH = True  # ayrdw_watch.py checks it: a package of this name installed by another project is not ours
