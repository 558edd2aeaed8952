"""`ayrdw-watch serve` (and `run --web`): the archive read-only over HTTP -- search, feeds, a
JSON API, health and metrics. app.py wires the routes; each route's module does one thing."""

AYRDW_WATCH = True  # ayrdw_watch.py checks it: a package of this name installed by another project is not ours
