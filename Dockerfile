# Descent Lab: one app replica. compose.yaml runs several of them behind nginx (deploy/nginx.conf).
#
#   docker build -t descent-lab .
#   docker run --rm -p 8501:8501 descent-lab          # one replica, http://localhost:8501
#
# Pinned: the base image by its exact version (add its digest, `FROM python:…@sha256:…`, from
# `docker buildx imagetools inspect python:3.11.13-slim-bookworm` where a registry is reachable) and every
# Python package, transitive ones included, by version and hash (requirements.lock, pip-compile).
# Offline at run time: everything is installed at build time; the app fetches nothing (no usage
# statistics, plotly.js is served from the image), and compose.yaml puts the replicas on an internal network.
FROM python:3.11.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock \
    && useradd --create-home --uid 10001 --shell /usr/sbin/nologin descent

# Only what the app runs (see .dockerignore): no tests, benchmarks or tools.
COPY --chown=root:root app.py ./
COPY --chown=root:root .streamlit ./.streamlit
COPY --chown=root:root optimizers ./optimizers
COPY --chown=root:root landscapes ./landscapes
COPY --chown=root:root charts ./charts
COPY --chown=root:root ui ./ui
COPY --chown=root:root pages ./pages

# Non-root, and the code is not writable by the user that runs it.
USER descent

# Settings a deployment may override: STREAMLIT_SERVER_ALLOWED_HOSTS, STREAMLIT_BROWSER_SERVER_ADDRESS
# (see .streamlit/config.toml and the README, "Serve a classroom").
ENV STREAMLIT_SERVER_ADDRESS=0.0.0.0 \
    STREAMLIT_SERVER_PORT=8501 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_SERVER_FILE_WATCHER_TYPE=none \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    DESCENT_LAB_WARM=1

EXPOSE 8501

HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]

# Start the server (`python -m ui.serve` = `streamlit run app.py` after importing the app's libraries, so the first
# session does not pay for them), and once it is healthy open its home page once, which starts the cache warm-up
# (ui/warm.py): every preset is computed in the background before the first class arrives.
CMD ["sh", "-c", "python -m ui.warm --kick http://127.0.0.1:8501 & exec python -m ui.serve"]
