#!/usr/bin/env bash
# Starts / stops the service processes of the local stack (one process per service hosting its API and
# background roles), each on 127.0.0.1, logs and pid files under .stack/. Usage: services.sh up|down|status
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Every variable of stack.env (addresses, local-only credentials and secrets) reaches the services.
set -a
# shellcheck source=stack.env
source "$REPO/deploy/local/stack.env"
set +a
RUN_DIR="$STACK_DIR/run"
LOG_DIR="$STACK_DIR/logs"
mkdir -p "$RUN_DIR" "$LOG_DIR"
PY="$REPO/.venv/bin/python"

port_of() { local v; v="$(echo "$1" | tr '[:lower:]' '[:upper:]')_PORT"; echo "${!v}"; }

alive() { [ -f "$RUN_DIR/$1.pid" ] && kill -0 "$(cat "$RUN_DIR/$1.pid")" 2>/dev/null; }

healthy() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$(port_of "$1")/healthz"; }

up() {
  # The tenancy signing key and other local secrets (idempotent).
  bash "$REPO/deploy/local/secrets.sh"
  for s in $SERVICES; do
    if alive "$s" && healthy "$s"; then continue; fi
    (
      cd "$REPO"
      export SERVICE_NAME="$s" CLICKHOUSE_PATH="$STACK_DIR/chdb" \
        JWKS_URL="http://127.0.0.1:$TENANCY_PORT/.well-known/jwks.json"
      nohup "$PY" -m shop_runtime.entrypoint --service "$s" --port "$(port_of "$s")" \
        >>"$LOG_DIR/$s.log" 2>&1 &
      echo $! >"$RUN_DIR/$s.pid"
    )
  done
  for s in $SERVICES; do
    for _ in $(seq 1 120); do healthy "$s" && break; sleep 0.5; done
    if ! healthy "$s"; then
      echo "service $s did not become healthy; last lines of $LOG_DIR/$s.log:" >&2
      tail -n 30 "$LOG_DIR/$s.log" >&2 || true
      exit 1
    fi
  done
  echo "Gateway:   http://127.0.0.1:$GATEWAY_PORT/api/<service>/   (services: $SERVICES)"
  for s in $SERVICES; do
    echo "  $s: http://127.0.0.1:$GATEWAY_PORT/api/$s/healthz  (direct :$(port_of "$s"), log $LOG_DIR/$s.log)"
  done
}

down() {
  for s in $SERVICES; do
    if alive "$s"; then
      kill "$(cat "$RUN_DIR/$s.pid")" 2>/dev/null || true
    fi
  done
  for s in $SERVICES; do
    for _ in $(seq 1 40); do alive "$s" || break; sleep 0.25; done
    alive "$s" && kill -9 "$(cat "$RUN_DIR/$s.pid")" 2>/dev/null || true
    rm -f "$RUN_DIR/$s.pid"
  done
}

status() {
  for s in $SERVICES; do
    if alive "$s" && healthy "$s"; then echo "$s: up (:$(port_of "$s"))"; else echo "$s: down"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
