# ayrdw-watch as a background service.
#   docker build -t ayrdw-watch .        (buildah/podman: buildah bud --format docker -t ayrdw-watch .)
#   docker run -d -p 8080:8080 -v ayrdw-data:/data -v "$PWD/ayrdw.toml:/config/ayrdw.toml:ro" \
#     -e AYRDW_CONFIG=/config/ayrdw.toml ayrdw-watch
# Without a config file every key has its default; AYRDW_<TABLE>_<KEY> variables override keys.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/ayrdw/bin:$PATH \
    AYRDW_STORAGE_DB=/data/ayrdw.db

# The application in an environment of its own (nothing else installs a `schedule` beside it),
# its dependencies exactly as requirements.lock pins them, each file checked against its hash.
WORKDIR /app
COPY requirements.lock ./
RUN python -m venv /opt/ayrdw \
    && /opt/ayrdw/bin/pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md schedule.py ayrdw_watch.py ./
COPY domain ./domain
COPY crawler ./crawler
COPY jobs ./jobs
COPY storage ./storage
COPY notify ./notify
COPY web ./web
COPY sites ./sites
COPY fixturesite ./fixturesite
COPY examples ./examples
# A regular (not --system) user with a fixed uid/gid: a bind-mounted /data is `chown 10001:10001`.
RUN /opt/ayrdw/bin/pip install --no-cache-dir --no-deps --no-build-isolation . \
    && groupadd --gid 10001 ayrdw \
    && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /data \
        --shell /usr/sbin/nologin ayrdw \
    && mkdir -p /data \
    && chown ayrdw:ayrdw /data

USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080

# Healthy while polls succeed on time; the start period covers the first (baseline) poll. Docker
# reserves exit code 2 for health checks: any failure (a config error exits 2) reports 1.
HEALTHCHECK --interval=5m --timeout=30s --start-period=15m --retries=2 \
    CMD ["sh", "-c", "ayrdw-watch status || exit 1"]

STOPSIGNAL SIGTERM
CMD ["ayrdw-watch", "--log-format", "json", "run", "--web", "0.0.0.0:8080"]
