# The gateway as a container image: `docker build -t hal-media-gateway .`
#
# The image holds no secret and no deployment's config: mount the config at
# /etc/hal-gateway/gateway.toml (a Kubernetes ConfigMap, a bind mount) and pass every secret
# it references as an environment variable. docs/operations.md, "Deploying: container and
# Kubernetes", shows both; deploy/kubernetes/ has the manifests.

# The build stage: the gateway and its dependencies installed into a virtual environment,
# which the runtime stage copies whole (same base image, same path).
FROM python:3.11.13-slim-bookworm AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway/ gateway/
COPY adapters/ adapters/
RUN python -m venv /opt/hal-gateway \
    && /opt/hal-gateway/bin/pip install --no-cache-dir .


FROM python:3.11.13-slim-bookworm

# HALGW_CONFIG names the config file (hal-gateway serve --config overrides it).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/hal-gateway/bin:$PATH \
    HALGW_CONFIG=/etc/hal-gateway/gateway.toml

# A fixed, numeric user and group, so that Kubernetes can check runAsNonRoot.
RUN groupadd --system --gid 10001 halgw \
    && useradd --system --no-log-init --uid 10001 --gid halgw \
        --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin halgw

COPY --from=build /opt/hal-gateway /opt/hal-gateway

# The example configs (config/gateway.toml serves every backend by its simulator: a demo,
# never a deployment: `docker run -e HALGW_CONFIG=config/gateway.toml ...`).
WORKDIR /app
COPY config/ config/

USER 10001:10001
EXPOSE 8080

# Liveness from inside the container, with the standard library (no curl in the slim image):
# GET /healthz on the loopback port HALGW_PORT (8080 unless set); any answer but 2xx fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HALGW_PORT', '8080'), timeout=4)"]

# SIGTERM (docker stop, Kubernetes) ends the gateway cleanly: in-flight requests get up to
# 60 s, upstream sessions are ended on the way out.
ENTRYPOINT ["hal-gateway"]
CMD ["serve", "--host", "0.0.0.0"]
