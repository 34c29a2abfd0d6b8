#!/usr/bin/env bash
# Three game-server processes behind nginx, on Redis and PostgreSQL, on one machine.
# Serves on http://127.0.0.1:${PORT:-8000}; Ctrl-C stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."

PROCESSES=${PROCESSES:-3}
PORT=${PORT:-8000}
FIRST=${FIRST_BACKEND_PORT:-8101}
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/gameserver}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
RUNDIR=${RUNDIR:-$PWD/var/cluster}
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

command -v nginx >/dev/null || { echo "nginx is not installed (Debian: apt-get install nginx-light)"; exit 1; }
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
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

upstreams=""
for i in $(seq 0 $((PROCESSES - 1))); do
  port=$((FIRST + i))
  # make serve's command: the production server with the transport limits.
  $BIN/python -m gameserver.serve --server "${SERVER:-uvicorn}" --host 127.0.0.1 --port "$port" \
    >"$RUNDIR/server-$port.log" 2>&1 &
  pids+=($!)
  upstreams+="        server 127.0.0.1:$port max_fails=1 fail_timeout=2s;"$'\n'
done
python3 - "$RUNDIR" "$PORT" "$upstreams" <<'PY'
import sys
rundir, port, upstreams = sys.argv[1:]
text = open("deploy/nginx.conf.template").read()
text = text.replace("__UPSTREAMS__", upstreams.rstrip("\n")).replace("__LISTEN__", f"127.0.0.1:{port}")
open(f"{rundir}/nginx.conf", "w").write(text.replace("__RUNDIR__", rundir))
PY
nginx -c "$RUNDIR/nginx.conf" -p "$RUNDIR" &
pids+=($!)

for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
echo "cluster: $PROCESSES processes (ports $FIRST..$((FIRST + PROCESSES - 1))) behind nginx on http://127.0.0.1:$PORT"
echo "logs in $RUNDIR; Ctrl-C to stop"
wait -n "${pids[@]}"
