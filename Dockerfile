# ayrdw-watch as a background service.
#   docker build -t ayrdw-watch .
#   docker run -d -p 8080:8080 -v ayrdw-data:/data -v "$PWD/ayrdw.toml:/config/ayrdw.toml:ro" \
#     -e AYRDW_CONFIG=/config/ayrdw.toml ayrdw-watch
# Without a config file every key has its default; AYRDW_<TABLE>_<KEY> variables override keys.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AYRDW_STORAGE_DB=/data/ayrdw.db

WORKDIR /app
COPY pyproject.toml README.md schedule.py ./
COPY domain ./domain
COPY crawler ./crawler
COPY jobs ./jobs
COPY storage ./storage
COPY notify ./notify
COPY web ./web
COPY sites ./sites
COPY fixturesite ./fixturesite
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[apprise]" \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin ayrdw \
    && mkdir -p /data \
    && chown ayrdw /data

USER 10001
VOLUME ["/data"]
EXPOSE 8080

# Healthy while polls succeed on time; the start period covers the first (baseline) poll.
HEALTHCHECK --interval=5m --timeout=30s --start-period=15m --retries=2 \
    CMD ["ayrdw-watch", "status"]

STOPSIGNAL SIGTERM
CMD ["ayrdw-watch", "--log-format", "json", "run", "--web", "0.0.0.0:8080"]
