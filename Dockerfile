# One image for every component of the jewelry chain:
#   python -m chassis.run <component>       inventory, crm, workorders,
#                                           payments, notifications, reporting,
#                                           gateway
#   python -m chassis.migrate <component>   its Alembic migrations
# Build: `make image` (docker or podman).

# ---- build: install the pinned dependencies into a virtualenv -------------
FROM python:3.11.7-slim-bookworm AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# compilers for any dependency without a wheel for this platform
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

WORKDIR /app
COPY chassis/ chassis/
COPY contracts/ contracts/
COPY services/ services/
COPY gateway/ gateway/
# compile once here: the running container's file system is read-only
RUN python -m compileall -q /app /opt/venv
# the gateway's OpenAPI document, from its route table: the console's API types
COPY scripts/openapi_dump.py /tmp/openapi_dump.py
RUN PYTHONPATH=/app python /tmp/openapi_dump.py /tmp/openapi.json

# ---- web: the console and /docs, built once (served by the gateway) ---------
FROM node:20.19.0-slim AS web

WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
COPY --from=build /tmp/openapi.json ./openapi.json
RUN npm run build

# ---- runtime: the virtualenv and the code, nothing else -------------------
FROM python:3.11.7-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="jewelry-chain" \
      org.opencontainers.image.description="Services of the jewelry chain platform (nameko)"

RUN groupadd --system --gid 10001 chain \
 && useradd --system --uid 10001 --gid chain --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin chain

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
COPY --from=web /web/dist /app/web/dist

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PSYCOPG_WAIT_FUNC=wait_select

WORKDIR /app
USER 10001:10001

# probes (PROBE_PORT) and the gateway's HTTP port
EXPOSE 8080 8000

CMD ["python", "-m", "chassis.run"]
