#!/usr/bin/env bash
# The local infrastructure stack, without Docker (ARCHITECTURE.md §8):
#   PostgreSQL 15, Redis, Kafka 4 (KRaft, jars from Maven Central), OpenSearch 2 (integ-test-zip from Maven
#   Central), nginx as the gateway, and the data folder of the embedded ClickHouse (chDB).
#
#   bash deploy/local/infra.sh up       install what is missing, start what is not running, wait until healthy
#   bash deploy/local/infra.sh down     stop what this stack started (by the PIDs under .stack/)
#   bash deploy/local/infra.sh status   one line per component: does it answer?
#
# Addresses come from deploy/local/stack.env. Everything binds 127.0.0.1; data, logs and pid files live under
# $STACK_DIR (<repo>/.stack, ignored by git). PostgreSQL and OpenSearch refuse to run as root, so when this runs
# as root they run as the unprivileged user `shopstack` (created if missing), which owns their folders.
# `up` is idempotent and a quick no-op on a healthy stack; it re-applies deploy/postgres/init.sql, the Kafka
# topic list and the gateway config every time, so edits to those converge without a restart.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# Plain variables, not exported: the servers started below get nothing of it in their environment.
# shellcheck source-path=SCRIPTDIR source=stack.env
. "$HERE/stack.env"
STACK="$STACK_DIR"

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
OPENSEARCH_VERSION="${OPENSEARCH_VERSION:-2.19.1}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

REDIS_PORT="${REDIS_URL##*:}"
REDIS_PORT="${REDIS_PORT%%/*}"
KAFKA_PORT="${KAFKA_BOOTSTRAP_SERVERS##*:}"
OPENSEARCH_HTTP_PORT="${OPENSEARCH_URL##*:}"
OPENSEARCH_HTTP_PORT="${OPENSEARCH_HTTP_PORT%%/*}"

PG_DIR="$STACK/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_SOCK="$PG_DIR/run"
# A unix socket path is limited to 107 bytes; a deep checkout gets a short directory under /tmp instead.
if ((${#PG_SOCK} + 20 > 100)); then
  PG_SOCK="/tmp/shopstack-pg-$(printf '%s' "$STACK" | md5sum | cut -c1-10)"
fi
REDIS_DIR="$STACK/redis"
KAFKA_DIR="$STACK/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_DATA="$KAFKA_DIR/data"
KAFKA_LOGS="$KAFKA_DIR/logs"
OS_DIR="$STACK/opensearch"
OS_HOME="$OS_DIR/opensearch-$OPENSEARCH_VERSION"
OS_CONF="$OS_DIR/config"
OS_LOGS="$OS_DIR/logs"
NGX_DIR="$STACK/nginx"
CHDB_DIR="$STACK/chdb"
VENV_PY="$REPO/.venv/bin/python"

if [ "$(id -u)" -eq 0 ]; then
  RUN_USER=shopstack
else
  RUN_USER="$(id -un)"
fi

T0=$SECONDS

# ---------------------------------------------------------------------------------------------- helpers
log() { printf 'infra: %s\n' "$*"; }
warn() { printf 'infra: %s\n' "$*" >&2; }

# fail <component> <what happened> <log file or ""> <what to do>
fail() {
  {
    printf '\ninfra: %s FAILED: %s\n' "$1" "$2"
    if [ -n "$3" ] && [ -f "$3" ]; then
      printf -- '----- last 40 lines of %s -----\n' "$3"
      tail -n 40 "$3"
      printf -- '-----\n'
    fi
    printf 'infra: what to do: %s\n' "$4"
  } >&2
  exit 1
}

# Run a command as the unprivileged user (PostgreSQL, OpenSearch). Short commands only: runuser stays parent.
as_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$RUN_USER" -- "$@"
  else
    "$@"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_of <pidfile> <pattern>: the pid in the file if that process is alive and its command line matches
# (a stale file whose pid was reused by something else does not count).
pid_of() {
  local pid
  pid="$(head -n 1 "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
  printf '%s' "$pid"
}

# await_pidfile <file>: the background launcher has written its pid (it does so before anything else).
await_pidfile() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ -s "$1" ] && return 0
    sleep 0.05
  done
}

# stop_pid <name> <pid> <signal> <timeout seconds>
stop_pid() {
  local name="$1" pid="$2" sig="$3" timeout="$4" i
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for ((i = 0; i < timeout * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || { log "$name stopped (pid $pid)"; return 0; }
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop within ${timeout}s after SIG$sig: killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# A port that answers while our process for it is not running belongs to someone else.
require_free_port() {
  local name="$1" port="$2"
  if port_open "$port"; then
    fail "$name" "127.0.0.1:$port is already in use by a process this stack did not start" "" \
      "find it with: ss -ltnp 'sport = :$port'; stop it (another checkout's stack? run its infra.sh down) or change the port in deploy/local/stack.env"
  fi
}

java_home() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    printf '%s' "$JAVA_HOME"
  else
    local j
    j="$(readlink -f "$(command -v java)")"
    printf '%s' "${j%/bin/java}"
  fi
}

# Kafka 4 brokers need Java 17+; OpenSearch 2.x runs on 11-21 (3.x would need 21).
JAVA_CHECKED=0
require_java() {
  [ "$JAVA_CHECKED" -eq 0 ] || return 0
  local v
  [ -x "$JAVA" ] || fail java "no java at $JAVA" "" "apt-get install -y openjdk-17-jre-headless (or set JAVA_HOME)"
  v="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  if [ -z "$v" ] || [ "${v%%.*}" -lt 17 ]; then
    fail java "Java ${v:-?} at $JAVA is too old (Kafka 4 needs 17+)" "" \
      "apt-get install -y openjdk-17-jre-headless, or point JAVA_HOME at a JDK 17/21"
  fi
  JAVA_CHECKED=1
}

nginx_bin() { command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }; }

# ---------------------------------------------------------------------------------- machine preparation
ensure_packages() {
  local need=()
  [ -x "$PG_BIN/postgres" ] || need+=(postgresql-15)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  nginx_bin >/dev/null || need+=(nginx)
  command -v envsubst >/dev/null 2>&1 || need+=(gettext-base)
  command -v curl >/dev/null 2>&1 || need+=(curl)
  command -v unzip >/dev/null 2>&1 || need+=(unzip)
  command -v java >/dev/null 2>&1 || need+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || need+=(maven)
  ((${#need[@]})) || return 0

  if [ "$(id -u)" -ne 0 ]; then
    fail packages "missing: ${need[*]}" "" "install them: sudo apt-get update && sudo apt-get install -y ${need[*]}"
  fi
  log "installing ${need[*]} (apt)"
  mkdir -p "$STACK"
  # The packages' maintainer scripts would start system-wide services (nginx on :80, redis on :6379, a
  # postgres cluster on :5432). A policy-rc.d that says "no" keeps the machine clean; ours is removed after.
  local own_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
  } >"$STACK/apt.log" 2>&1 </dev/null || rc=$?
  [ "$own_policy" -eq 0 ] || rm -f /usr/sbin/policy-rc.d
  [ "$rc" -eq 0 ] || fail packages "apt-get install ${need[*]} exited with $rc" "$STACK/apt.log" \
    "read $STACK/apt.log; check that the Debian mirrors are reachable, then rerun"
}

ensure_user() {
  [ "$(id -u)" -eq 0 ] || return 0
  id -u "$RUN_USER" >/dev/null 2>&1 && return 0
  log "creating system user $RUN_USER (runs PostgreSQL and OpenSearch)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$RUN_USER"
}

# The unprivileged user must be able to reach its folders under the checkout (a clone under /root is 0700).
ensure_reachable() {
  [ "$(id -u)" -eq 0 ] || return 0
  as_user test -x "$STACK" && return 0
  # Top-down, so that each check sees its parents already fixed.
  local d="" part
  local -a parts
  IFS=/ read -r -a parts <<<"${STACK#/}"
  for part in "${parts[@]}"; do
    d="$d/$part"
    if ! as_user test -x "$d"; then
      warn "giving others search permission (o+x, not read) on $d so $RUN_USER can reach $STACK"
      chmod o+x "$d"
    fi
  done
}

prepare() {
  mkdir -p "$STACK" "$REDIS_DIR" "$KAFKA_DIR" "$KAFKA_LOGS" "$NGX_DIR/logs" "$CHDB_DIR"
  ensure_packages
  ensure_user
  ensure_reachable
  if [ ! -d "$PG_DIR" ] || [ ! -d "$OS_DIR" ]; then
    mkdir -p "$PG_DIR" "$OS_DIR"
    chown "$RUN_USER:" "$PG_DIR" "$OS_DIR"
  fi
}

# ------------------------------------------------------------------------------------------- PostgreSQL
pg_pid() { pid_of "$PG_DATA/postmaster.pid" postgres; }
pg_answers() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -t 2; }

pg_write_config() {
  # Included from postgresql.conf; rewritten on every start so edits here apply on the next restart.
  cat >"$PG_DATA/shopstack.conf" <<EOF
# Written by deploy/local/infra.sh; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 300
shared_buffers = 256MB
effective_cache_size = 1GB
work_mem = 8MB
maintenance_work_mem = 128MB
max_wal_size = 2GB
checkpoint_timeout = 15min
password_encryption = scram-sha-256
# Durability stays at the defaults on purpose (fsync = on, synchronous_commit = on): the fault scenarios
# kill processes, and a commit acknowledged to the relay but lost in a crash would look like an outbox bug.
# It also keeps the event-store throughput measured here comparable with a real server.
fsync = on
synchronous_commit = on
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 1000
EOF
  cat >"$PG_DATA/pg_hba.conf" <<EOF
# Written by deploy/local/infra.sh. The superuser only over the local socket, as the OS user that owns the
# cluster; every role over TCP (127.0.0.1) with a SCRAM password.
local   all   $RUN_USER                 peer
host    all   all         127.0.0.1/32  scram-sha-256
EOF
  chown "$RUN_USER:" "$PG_DATA/shopstack.conf" "$PG_DATA/pg_hba.conf"
}

pg_initdb() {
  [ -x "$PG_BIN/initdb" ] || fail postgres "$PG_BIN/initdb not found" "" "apt-get install -y postgresql-15"
  log "postgres: initdb $PG_DATA"
  rm -rf "$PG_DIR/data.init"
  # Into a side folder first: an interrupted initdb must not leave a half cluster that looks real.
  as_user "$PG_BIN/initdb" -D "$PG_DIR/data.init" -U "$RUN_USER" --encoding=UTF8 --no-locale \
    --auth-local=peer --auth-host=scram-sha-256 >"$PG_DIR/initdb.log" 2>&1 ||
    fail postgres "initdb failed" "$PG_DIR/initdb.log" "fix the cause above, then rm -rf $PG_DIR/data.init and rerun"
  echo "include_if_exists = 'shopstack.conf'" >>"$PG_DIR/data.init/postgresql.conf"
  mv "$PG_DIR/data.init" "$PG_DATA"
}

pg_up() {
  if pg_pid >/dev/null && pg_answers; then
    return 0
  fi
  if ! pg_pid >/dev/null; then
    require_free_port postgres "$POSTGRES_PORT"
    [ -f "$PG_DATA/PG_VERSION" ] || pg_initdb
    mkdir -p "$PG_SOCK"
    chown "$RUN_USER:" "$PG_SOCK"
    chmod 700 "$PG_SOCK"
    pg_write_config
    log "postgres: starting on 127.0.0.1:$POSTGRES_PORT"
    as_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 90 -s start 9>&- >/dev/null 2>&1 ||
      fail postgres "pg_ctl start failed" "$PG_LOG" "read the log above; a stale $PG_DATA/postmaster.pid or a full disk are the usual causes"
  fi
  local i
  for ((i = 0; i < 300; i++)); do
    pg_answers && return 0
    sleep 0.2
  done
  fail postgres "not accepting connections on 127.0.0.1:$POSTGRES_PORT after 60s" "$PG_LOG" "read the log above"
}

pg_init_sql() {
  as_user "$PG_BIN/psql" -X -q -h "$PG_SOCK" -p "$POSTGRES_PORT" -U "$RUN_USER" -d postgres \
    -v ON_ERROR_STOP=1 -v owner_password="$POSTGRES_OWNER_PASSWORD" -v app_password="$POSTGRES_PASSWORD" \
    -f - <"$REPO/deploy/postgres/init.sql" >"$PG_DIR/init-sql.log" 2>&1 ||
    fail postgres "deploy/postgres/init.sql failed" "$PG_DIR/init-sql.log" "fix deploy/postgres/init.sql and rerun up"
}

pg_down() {
  local pid
  if pid="$(pg_pid)"; then
    as_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop >/dev/null 2>&1 || stop_pid postgres "$pid" INT 30
    log "postgres stopped (pid $pid)"
  else
    log "postgres not running"
  fi
}

# ------------------------------------------------------------------------------------------------ Redis
redis_pid() { pid_of "$REDIS_DIR/redis.pid" redis-server; }
redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }

redis_up() {
  if redis_pid >/dev/null && redis_answers; then
    return 0
  fi
  if ! redis_pid >/dev/null; then
    require_free_port redis "$REDIS_PORT"
    log "redis: starting on 127.0.0.1:$REDIS_PORT"
    rm -f "$REDIS_DIR/redis.pid"
    # Not the Debian systemd unit: our own daemon, our own folder and pid file.
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
      --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
      --save "900 1 300 100 60 10000" --appendonly no 9>&- </dev/null >/dev/null 2>&1 ||
      fail redis "redis-server did not start" "$REDIS_DIR/redis.log" "read the log above"
  fi
  local i
  for ((i = 0; i < 100; i++)); do
    redis_answers && return 0
    sleep 0.1
  done
  fail redis "no PONG from 127.0.0.1:$REDIS_PORT after 10s" "$REDIS_DIR/redis.log" "read the log above"
}

redis_down() {
  local pid
  if pid="$(redis_pid)"; then stop_pid redis "$pid" TERM 30; else log "redis not running"; fi
  rm -f "$REDIS_DIR/redis.pid"
}

# ------------------------------------------------------------------------------------------------ Kafka
kafka_pid() { pid_of "$KAFKA_DIR/kafka.pid" kafka.Kafka; }

kafka_fetch() {
  local want
  want="kafka $KAFKA_VERSION pom $(sha1sum "$REPO/deploy/kafka/pom.xml" | cut -c1-12)"
  [ "$(cat "$KAFKA_LIBS/.resolved" 2>/dev/null)" = "$want" ] && return 0
  log "kafka: resolving org.apache.kafka:kafka_2.13:$KAFKA_VERSION from Maven Central"
  rm -rf "$KAFKA_LIBS.tmp"
  (cd "$KAFKA_DIR" && mvn -q -B -f "$REPO/deploy/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp" -DincludeScope=runtime) \
    >"$KAFKA_DIR/mvn.log" 2>&1 </dev/null ||
    fail kafka "mvn could not resolve Kafka $KAFKA_VERSION" "$KAFKA_DIR/mvn.log" \
      "check that repo1.maven.org is reachable (mvn -v, ~/.m2/settings.xml); KAFKA_VERSION=4.x.y overrides the version"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  echo "$want" >"$KAFKA_LIBS/.resolved"
}

kafka_java_opts() {
  printf '%s\n' -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$REPO/deploy/kafka/log4j2.xml" "-Dkafka.logs.dir=$KAFKA_LOGS"
}

kafka_write_config() {
  cat >"$KAFKA_DIR/server.properties" <<EOF
# Written by deploy/local/infra.sh; edit the script, not this file. Single node, KRaft, broker + controller.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DATA
num.partitions=3
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=12
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
EOF
}

kafka_format() {
  [ -f "$KAFKA_DATA/meta.properties" ] && return 0
  local tool cid
  # kafka.tools.StorageTool (Scala, in kafka_2.13) up to 4.x; org.apache.kafka.tools.StorageTool if it moves.
  if unzip -l "$KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" 'kafka/tools/StorageTool.class' >/dev/null 2>&1; then
    tool=kafka.tools.StorageTool
  else
    tool=org.apache.kafka.tools.StorageTool
  fi
  if [ ! -s "$KAFKA_DIR/cluster.id" ]; then
    # A cluster id is 16 random bytes in URL-safe base64 without padding (what `StorageTool random-uuid` prints).
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$KAFKA_DIR/cluster.id"
  fi
  cid="$(cat "$KAFKA_DIR/cluster.id")"
  log "kafka: formatting $KAFKA_DATA (cluster id $cid)"
  mapfile -t opts < <(kafka_java_opts)
  "$JAVA" "${opts[@]}" -cp "$KAFKA_LIBS/*" "$tool" format -t "$cid" -c "$KAFKA_DIR/server.properties" \
    --ignore-formatted >"$KAFKA_LOGS/format.log" 2>&1 </dev/null ||
    fail kafka "storage format failed" "$KAFKA_LOGS/format.log" "read the log above; rm -rf $KAFKA_DATA starts Kafka from empty"
}

kafka_start() {
  if kafka_pid >/dev/null; then
    return 0
  fi
  require_free_port kafka "$KAFKA_PORT"
  require_free_port kafka-controller "$KAFKA_CONTROLLER_PORT"
  require_java
  kafka_fetch
  kafka_write_config
  kafka_format
  log "kafka: starting $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT"
  mapfile -t opts < <(kafka_java_opts)
  # setsid: its own session, so a Ctrl-C in the calling terminal does not reach it. The pid file holds the
  # JVM's own pid (bash writes $$ and execs java).
  : >"$KAFKA_DIR/kafka.pid"
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_DIR/kafka.pid" \
    "$JAVA" "${opts[@]}" -cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
    >>"$KAFKA_LOGS/stdout.log" 2>&1 </dev/null 9>&- &
  await_pidfile "$KAFKA_DIR/kafka.pid"
}

kafka_wait() {
  local i
  for ((i = 0; i < 900; i++)); do
    kafka_pid >/dev/null || break
    port_open "$KAFKA_PORT" && break
    sleep 0.1
  done
  kafka_pid >/dev/null ||
    fail kafka "the broker exited" "$KAFKA_LOGS/server.log" "read the log above (and $KAFKA_LOGS/stdout.log)"
  port_open "$KAFKA_PORT" ||
    fail kafka "not listening on 127.0.0.1:$KAFKA_PORT after 90s" "$KAFKA_LOGS/server.log" "read the log above"
}

kafka_topics() {
  if [ -x "$VENV_PY" ]; then
    "$VENV_PY" "$HERE/create_topics.py" --bootstrap "$KAFKA_BOOTSTRAP_SERVERS" --deadline 90 \
      >"$KAFKA_LOGS/topics.log" 2>&1 ||
      fail kafka "topics could not be created" "$KAFKA_LOGS/topics.log" \
        "read the log above; the broker log is $KAFKA_LOGS/server.log"
    return 0
  fi
  # No project venv yet (make install not run): the JVM tool, one topic at a time (slow, seconds each).
  local existing t s
  mapfile -t opts < <(kafka_java_opts)
  existing="$("$JAVA" "${opts[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
    --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --list 2>/dev/null)"
  for s in tenancy.events.v1 catalog.events.v1 inventory.events.v1 orders.events.v1 payments.events.v1 \
    shipping.events.v1 analytics.clickstream.v1; do
    for t in "$s" "$s.dlq"; do
      grep -qx -- "$t" <<<"$existing" && continue
      "$JAVA" "${opts[@]}" -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
        --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --create --if-not-exists --topic "$t" \
        --partitions 3 --replication-factor 1 >>"$KAFKA_LOGS/topics.log" 2>&1 ||
        fail kafka "could not create topic $t" "$KAFKA_LOGS/topics.log" "read the log above"
    done
  done
  warn "kafka: no $VENV_PY: created the built-in topic list with the JVM tool (run make install for the registry's list)"
}

kafka_down() {
  local pid
  # SIGTERM = controlled shutdown; it flushes and closes the logs, so the next start needs no recovery.
  if pid="$(kafka_pid)"; then stop_pid kafka "$pid" TERM 60; else log "kafka not running"; fi
  rm -f "$KAFKA_DIR/kafka.pid"
}

# ------------------------------------------------------------------------------------------- OpenSearch
# Matches the launcher script as well as the JVM it execs into (both name the install folder).
os_pid() { pid_of "$OS_DIR/opensearch.pid" "$OS_HOME"; }
os_answers() {
  curl -fsS -m 3 "http://127.0.0.1:$OPENSEARCH_HTTP_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
    grep -Eq '"status":"(green|yellow)"'
}

os_fetch() {
  [ -x "$OS_HOME/bin/opensearch" ] && return 0
  log "opensearch: fetching org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip from Maven Central"
  rm -rf "$OS_DIR/download" "$OS_DIR/unpack.tmp"
  mkdir -p "$OS_DIR/download"
  (cd "$OS_DIR/download" && mvn -q -B dependency:copy \
    -Dartifact="org.opensearch.distribution.integ-test-zip:opensearch:$OPENSEARCH_VERSION:zip" \
    -DoutputDirectory="$OS_DIR/download") >"$OS_DIR/mvn.log" 2>&1 </dev/null ||
    fail opensearch "mvn could not fetch the OpenSearch $OPENSEARCH_VERSION zip" "$OS_DIR/mvn.log" \
      "check that repo1.maven.org is reachable; OPENSEARCH_VERSION=2.x.y overrides the version"
  unzip -q "$OS_DIR/download/opensearch-$OPENSEARCH_VERSION.zip" -d "$OS_DIR/unpack.tmp"
  mv "$OS_DIR/unpack.tmp/opensearch-$OPENSEARCH_VERSION" "$OS_HOME"
  rm -rf "$OS_DIR/download" "$OS_DIR/unpack.tmp"
  chown -R "$RUN_USER:" "$OS_HOME"
}

os_write_config() {
  mkdir -p "$OS_CONF/jvm.options.d" "$OS_DIR/data" "$OS_LOGS" "$OS_DIR/tmp"
  # The distribution's jvm.options and log4j2.properties, then ours on top.
  [ -f "$OS_CONF/jvm.options" ] || cp "$OS_HOME/config/jvm.options" "$OS_HOME/config/log4j2.properties" "$OS_CONF/"
  # shellcheck disable=SC2016 # envsubst gets the list of names to substitute, unexpanded
  OPENSEARCH_HTTP_PORT="$OPENSEARCH_HTTP_PORT" OPENSEARCH_TRANSPORT_PORT="$OPENSEARCH_TRANSPORT_PORT" \
    OPENSEARCH_DATA_DIR="$OS_DIR/data" OPENSEARCH_LOGS_DIR="$OS_LOGS" \
    envsubst '${OPENSEARCH_HTTP_PORT} ${OPENSEARCH_TRANSPORT_PORT} ${OPENSEARCH_DATA_DIR} ${OPENSEARCH_LOGS_DIR}' \
    <"$REPO/deploy/opensearch/opensearch.yml" >"$OS_CONF/opensearch.yml"
  cp "$REPO/deploy/opensearch/heap.options" "$OS_CONF/jvm.options.d/heap.options"
  chown -R "$RUN_USER:" "$OS_CONF" "$OS_DIR/data" "$OS_LOGS" "$OS_DIR/tmp"
}

os_start() {
  if os_pid >/dev/null; then
    return 0
  fi
  require_free_port opensearch "$OPENSEARCH_HTTP_PORT"
  require_free_port opensearch-transport "$OPENSEARCH_TRANSPORT_PORT"
  require_java
  os_fetch
  os_write_config
  log "opensearch: starting $OPENSEARCH_VERSION on 127.0.0.1:$OPENSEARCH_HTTP_PORT (as $RUN_USER)"
  local drop=()
  if [ "$(id -u)" -eq 0 ]; then
    # setpriv execs (runuser would stay as the parent), so the pid below is the JVM's.
    drop=(setpriv "--reuid=$RUN_USER" "--regid=$RUN_USER" --init-groups)
  fi
  : >"$OS_DIR/opensearch.pid"
  # The file-descriptor limit is raised while still root (OpenSearch warns below 65535).
  # shellcheck disable=SC2016 # $$, $0 and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; ulimit -n 65536 2>/dev/null || true; exec "$@"' "$OS_DIR/opensearch.pid" \
    "${drop[@]}" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$OS_DIR" LANG=C.UTF-8 \
    OPENSEARCH_JAVA_HOME="$JAVA_HOME_DIR" OPENSEARCH_PATH_CONF="$OS_CONF" OPENSEARCH_TMPDIR="$OS_DIR/tmp" \
    "$OS_HOME/bin/opensearch" >>"$OS_LOGS/stdout.log" 2>&1 </dev/null 9>&- &
  await_pidfile "$OS_DIR/opensearch.pid"
}

os_wait() {
  local i
  for ((i = 0; i < 180; i++)); do
    os_answers && return 0
    if ! os_pid >/dev/null; then
      fail opensearch "the node exited" "$OS_LOGS/stdout.log" "read the log above (and $OS_LOGS/shopstack.log)"
    fi
    sleep 1
  done
  fail opensearch "cluster health not yellow/green after 180s" "$OS_LOGS/shopstack.log" "read the log above"
}

os_down() {
  local pid
  if pid="$(os_pid)"; then stop_pid opensearch "$pid" TERM 60; else log "opensearch not running"; fi
  : >"$OS_DIR/opensearch.pid" 2>/dev/null || true
}

# ------------------------------------------------------------------------------------------------ nginx
ngx_pid() { pid_of "$NGX_DIR/nginx.pid" "$NGX_DIR/nginx.conf"; }
ngx_answers() { curl -fsS -m 2 "http://127.0.0.1:$GATEWAY_PORT/healthz" >/dev/null 2>&1; }

# Renders deploy/gateway/nginx.conf with the local addresses into $NGX_DIR/nginx.conf.new.
ngx_render() {
  local vars=(GATEWAY_LISTEN GATEWAY_WORKER_USER GATEWAY_RUNTIME_DIR GATEWAY_ERROR_LOG GATEWAY_ACCESS_LOG)
  local s up port list=""
  export GATEWAY_LISTEN="127.0.0.1:$GATEWAY_PORT" GATEWAY_WORKER_USER="$RUN_USER" GATEWAY_RUNTIME_DIR="$NGX_DIR" \
    GATEWAY_ERROR_LOG="$NGX_DIR/logs/error.log" GATEWAY_ACCESS_LOG="$NGX_DIR/logs/access.log"
  for s in $SERVICES; do
    up="${s^^}_UPSTREAM"
    port="${s^^}_PORT"
    export "$up=127.0.0.1:${!port}"
    vars+=("$up")
  done
  for s in "${vars[@]}"; do list+="\${$s} "; done
  envsubst "$list" <"$REPO/deploy/gateway/nginx.conf" >"$NGX_DIR/nginx.conf.new"
}

ngx_up() {
  local nginx pid
  nginx="$(nginx_bin)" || fail gateway "nginx is not installed" "" "apt-get install -y nginx"
  ngx_render
  if ! cmp -s "$NGX_DIR/nginx.conf.new" "$NGX_DIR/nginx.conf"; then
    "$nginx" -t -q -p "$NGX_DIR/" -e "$NGX_DIR/logs/error.log" -c "$NGX_DIR/nginx.conf.new" \
      >"$NGX_DIR/logs/config-test.log" 2>&1 ||
      fail gateway "the rendered deploy/gateway/nginx.conf does not pass nginx -t" "$NGX_DIR/logs/config-test.log" \
        "fix deploy/gateway/nginx.conf (rendered copy: $NGX_DIR/nginx.conf.new)"
    mv "$NGX_DIR/nginx.conf.new" "$NGX_DIR/nginx.conf"
    if pid="$(ngx_pid)"; then
      log "gateway: config changed, reloading (pid $pid)"
      kill -HUP "$pid"
    fi
  else
    rm -f "$NGX_DIR/nginx.conf.new"
  fi
  if ! ngx_pid >/dev/null; then
    require_free_port gateway "$GATEWAY_PORT"
    log "gateway: starting nginx on 127.0.0.1:$GATEWAY_PORT"
    "$nginx" -p "$NGX_DIR/" -e "$NGX_DIR/logs/error.log" -c "$NGX_DIR/nginx.conf" \
      9>&- </dev/null >"$NGX_DIR/logs/startup.log" 2>&1 ||
      fail gateway "nginx did not start" "$NGX_DIR/logs/startup.log" "read the log above (and $NGX_DIR/logs/error.log)"
  fi
  local i
  for ((i = 0; i < 50; i++)); do
    ngx_answers && return 0
    sleep 0.1
  done
  fail gateway "no answer from http://127.0.0.1:$GATEWAY_PORT/healthz after 5s" "$NGX_DIR/logs/error.log" "read the log above"
}

ngx_down() {
  local pid
  # SIGQUIT = graceful: in-flight requests finish.
  if pid="$(ngx_pid)"; then stop_pid gateway "$pid" QUIT 30; else log "gateway not running"; fi
}

# --------------------------------------------------------------------------------------------- commands
lock() {
  mkdir -p "$STACK"
  exec 9>"$STACK/.infra.lock"
  # Two `make test` at once must not start two brokers; children close fd 9 (9>&-) so daemons do not hold it.
  flock -w 900 9 || fail infra "another infra.sh is still running after 15 min" "" "look for it with: ps -ef | grep infra.sh"
}

cmd_up() {
  lock
  prepare
  JAVA_HOME_DIR="$(java_home)"
  JAVA="$JAVA_HOME_DIR/bin/java"
  # The slow starters first, in the background; the rest starts while they boot.
  os_start
  kafka_start
  pg_up
  pg_init_sql
  redis_up
  ngx_up
  mkdir -p "$CHDB_DIR"
  kafka_wait
  kafka_topics
  os_wait
  log "stack up in $((SECONDS - T0))s: $(sed -n 1p "$KAFKA_LOGS/topics.log" 2>/dev/null || true)"
}

cmd_down() {
  lock
  ngx_down
  os_down
  kafka_down
  redis_down
  pg_down
}

cmd_status() {
  local ok=0 pid state
  row() { printf '%-11s %-28s %-5s %s\n' "$@"; }
  row component address state pid
  pid="$(pg_pid || true)"
  if pg_answers; then state=up; else state=DOWN; ok=1; fi
  row postgres "127.0.0.1:$POSTGRES_PORT" "$state" "${pid:--}"
  pid="$(redis_pid || true)"
  if redis_answers; then state=up; else state=DOWN; ok=1; fi
  row redis "127.0.0.1:$REDIS_PORT" "$state" "${pid:--}"
  pid="$(kafka_pid || true)"
  if [ -x "$VENV_PY" ]; then
    if "$VENV_PY" "$HERE/create_topics.py" --bootstrap "$KAFKA_BOOTSTRAP_SERVERS" --check --deadline 5 >/dev/null 2>&1; then
      state=up
    elif port_open "$KAFKA_PORT"; then state=TOPICS; ok=1; else state=DOWN; ok=1; fi
  elif port_open "$KAFKA_PORT"; then state=up; else state=DOWN; ok=1; fi
  row kafka "$KAFKA_BOOTSTRAP_SERVERS" "$state" "${pid:--}"
  pid="$(os_pid || true)"
  if os_answers; then state=up; else state=DOWN; ok=1; fi
  row opensearch "127.0.0.1:$OPENSEARCH_HTTP_PORT" "$state" "${pid:--}"
  pid="$(ngx_pid || true)"
  if ngx_answers; then state=up; else state=DOWN; ok=1; fi
  row gateway "127.0.0.1:$GATEWAY_PORT" "$state" "${pid:--}"
  if [ -d "$CHDB_DIR" ]; then state=up; else state=DOWN; ok=1; fi
  row chdb "$CHDB_DIR" "$state" "(embedded)"
  return "$ok"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
