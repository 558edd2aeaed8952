"""The release: what --version prints and the User-Agent names (read by the command line
before anything else loads)."""

VERSION = "0.11.0"
PROJECT_URL = "https://github.com/ayrdw-watch/ayrdw-watch"
