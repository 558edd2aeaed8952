"""`ayrdw-watch serve` (and `run --web`): the archive read-only over HTTP -- search, feeds, a
JSON API, health and metrics. app.py wires the routes; each route's module does one thing."""
