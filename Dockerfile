# trueloss-dash: the dashboard in a container.
#   docker build -t trueloss-dash .
#   docker run -p 8501:8501 -v trueloss-data:/data trueloss-dash
# The install and run steps are the project's own (Makefile `run`: pip install --require-hashes -r requirements.lock,
# pip install --no-deps -e ., `trueloss-dash serve`); tests/test_docker.py checks they stay identical
# and executes them outside Docker in a throwaway venv.
# The base image is pinned to a full version tag. Pinning its digest too (python:3.11.13-slim-bookworm@sha256:...)
# is the deployer's step: look it up with `docker buildx imagetools inspect` where a registry is reachable.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TRUELOSS_DASH_HOME=/data

WORKDIR /app

# Dependencies first (a layer that survives code edits), from requirements.lock: every package
# pinned with its hashes (scripts/lock.sh generates it from requirements.txt), so two builds get
# the same bytes. torch is pinned to the CPU build 2.13.0+cpu; it is not on PyPI (whose 2.13.0 is
# the CUDA build, ~3 GB of nvidia-* wheels), so the PyTorch CPU index is added here - and only here.
COPY requirements.txt requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.lock

# The package itself (no dependency resolution: they are all installed above).
COPY pyproject.toml README.md app.py ./
COPY .streamlit ./.streamlit
COPY trueloss_dash ./trueloss_dash
COPY sample_runs ./sample_runs
RUN pip install --no-cache-dir --no-deps -e . \
    && useradd --create-home --uid 10001 --user-group trueloss \
    && mkdir -p /data \
    && chown trueloss:trueloss /data

# Stored runs (SQLite) live here: mount a volume to keep them across containers.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8501

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ.get('TRUELOSS_DASH_HEALTH_URL', 'http://127.0.0.1:8501/_stcore/health'), timeout=4)"]

# `trueloss-dash serve` runs Streamlit headless, without telemetry, with XSRF protection on and
# the upload size cap (see trueloss_dash/commands/serve.py and .streamlit/config.toml).
# ACCESS: inside the container it binds 0.0.0.0, so it serves EVERYONE who can reach the published
# port, with no login (each browser sees only its own runs; add --shared for a team workspace).
# Publish it on loopback only (-p 127.0.0.1:8501:8501) or behind a reverse proxy that
# authenticates (docs/hardening.md); for a team, MLflow's own tracking server with its auth.
CMD ["trueloss-dash", "serve", "--address", "0.0.0.0", "--port", "8501"]
