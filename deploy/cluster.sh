#!/usr/bin/env bash
# Three game-server processes behind nginx, on Redis and PostgreSQL, on one machine.
# Serves on http://127.0.0.1:${PORT:-8000}; Ctrl-C stops everything it started.
# A server process that dies is restarted (RESTART_DELAY seconds later), as systemd's
# Restart=always does in production (docs/deploy.md).
set -euo pipefail
cd "${CLUSTER_ROOT:-$(dirname "$0")/..}"

PROCESSES=${PROCESSES:-3}
PORT=${PORT:-8000}
FIRST=${FIRST_BACKEND_PORT:-8101}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gameserver}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
RUNDIR=${RUNDIR:-$PWD/var/cluster}
RESTART_DELAY=${RESTART_DELAY:-1}
# 0: nginx never marks a server down, it tries the next one on a refused connection
# (measured best: docs/deploy.md, "nginx and dead processes").
MAX_FAILS=${MAX_FAILS:-0}
BIN=.venv/bin
# Every process signs with one key: made once for this run folder unless SECRET_KEY is set.
mkdir -p "$RUNDIR"
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s "$RUNDIR/secret_key" ] || (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >"$RUNDIR/secret_key")
  SECRET_KEY=$(cat "$RUNDIR/secret_key")
fi
export SECRET_KEY
# nginx on this machine is the proxy whose X-Forwarded-For names the client.
export GAMESERVER_TRUSTED_PROXIES=${GAMESERVER_TRUSTED_PROXIES:-127.0.0.1,::1}

PROXY=${PROXY:-nginx}  # none: no proxy, clients use the processes' own ports (nginx reads $NGINX itself)
if [ "$PROXY" = nginx ]; then
  command -v nginx >/dev/null || { echo "nginx is not installed (Debian: apt-get install nginx-light)"; exit 1; }
fi
redis-cli -u "$REDIS_URL" ping >/dev/null || { echo "Redis does not answer at $REDIS_URL"; exit 1; }
$BIN/python - <<PY || { echo "cannot create the database of $DATABASE_URL"; exit 1; }
import psycopg, os
url = os.environ["DATABASE_URL"]; base, name = url.rsplit("/", 1)
with psycopg.connect(base + "/postgres", autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
PY
$BIN/python manage.py migrate --no-input -v 0

mkdir -p "$RUNDIR"
pids=()
stop() {
  trap - EXIT INT TERM
  kill "${pids[@]}" 2>/dev/null || true
  for f in "$RUNDIR"/server-*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null; done
  wait 2>/dev/null || true
}
trap stop EXIT INT TERM

# One server process, as a service manager runs it: restarted RESTART_DELAY seconds
# after it dies, however it died, with a count in its log. Its pid is in server-PORT.pid.
serve() {
  local port=$1 restarts=0
  while true; do
    # make serve's command: the production server with the transport limits.
    $BIN/python -m gameserver.serve --server "${SERVER:-uvicorn}" --host 127.0.0.1 --port "$port" \
      >>"$RUNDIR/server-$port.log" 2>&1 &
    local child=$!
    echo "$child" >"$RUNDIR/server-$port.pid"
    trap 'kill $child 2>/dev/null; exit 0' TERM INT
    wait "$child" && code=0 || code=$?
    restarts=$((restarts + 1))
    echo "$(date -u +%FT%T) cluster: server on port $port exited ($code); restart $restarts in ${RESTART_DELAY}s" \
      | tee -a "$RUNDIR/server-$port.log" "$RUNDIR/supervisor.log" >/dev/null
    sleep "$RESTART_DELAY" &
    wait $! || true
  done
}

upstreams=""
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((FIRST + i))
  : >"$RUNDIR/server-$port.log"
  serve "$port" &
  pids+=($!)
  upstreams+="        server 127.0.0.1:$port max_fails=$MAX_FAILS;"$'\n'
done
if [ "$PROXY" != nginx ]; then
  echo "cluster: $PROCESSES processes on ports $FIRST..$((FIRST + PROCESSES - 1)), no proxy; logs in $RUNDIR"
  wait
  exit 0
fi
python3 - "$RUNDIR" "$PORT" "$upstreams" "$(dirname "$0")" <<'PY'
import sys
rundir, port, upstreams = sys.argv[1:4]
text = open(sys.argv[4] + "/nginx.conf.template").read()
text = text.replace("__UPSTREAMS__", upstreams.rstrip("\n")).replace("__LISTEN__", f"127.0.0.1:{port}")
open(f"{rundir}/nginx.conf", "w").write(text.replace("__RUNDIR__", rundir))
PY
nginx -c "$RUNDIR/nginx.conf" -p "$RUNDIR" &
pids+=($!)

for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "cluster: $PROCESSES processes (ports $FIRST..$((FIRST + PROCESSES - 1))) behind nginx on http://127.0.0.1:$PORT"
echo "logs in $RUNDIR (restarts in supervisor.log); Ctrl-C to stop"
wait "${pids[-1]}"  # nginx; the servers' supervisors restart them
