# syntax=docker/dockerfile:1
# One image recipe for every service of the platform (docker-compose.yml builds it once per service):
#   docker build -f deploy/docker/service.Dockerfile --build-arg SERVICE=catalog -t shop-catalog .
# SERVICE=<name> installs that service's workspace package and its dependencies from uv.lock;
# SERVICE=all installs the whole workspace (used by the one-shot migrate and kafka-topics jobs).
# The build context is the repository root; service.Dockerfile.dockerignore keeps .venv, .stack and .git out.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ARG SERVICE
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# uv from PyPI, like deploy/local/bootstrap.sh.
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
COPY libs/ libs/
COPY services/ services/
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<service>|all" >&2; exit 1; } \
 && if [ "$SERVICE" = all ]; then \
      uv sync --frozen --no-dev --all-packages; \
    else \
      uv sync --frozen --no-dev --package "shop-$SERVICE"; \
    fi

FROM ${PYTHON_IMAGE}
ARG SERVICE
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home shop
WORKDIR /app
# The venv holds editable installs pointing at /app/libs and /app/services: same paths in both stages.
COPY --from=build /app /app
COPY deploy/local/create_topics.py /app/deploy/local/create_topics.py
# clickhouse_path defaults to .stack/chdb (the embedded engine) when CLICKHOUSE_URL is empty.
RUN mkdir -p /app/.stack/chdb && chown -R shop:shop /app/.stack
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE_NAME=${SERVICE}
USER shop
EXPOSE 8000
CMD ["sh", "-c", "exec python -m shop_runtime.entrypoint --service \"$SERVICE_NAME\" --host 0.0.0.0 --port 8000"]
