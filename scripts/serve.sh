#!/usr/bin/env bash
# `make serve`: the production-like stack on this machine (DESIGN §11.9). DEBUG off, migrated database (the
# shared cache table included), collected static files, gunicorn with $WEB_CONCURRENCY workers (default: one per
# CPU, at least 2) and the background task worker beside it; Ctrl-C (or either process ending) stops both.
#
# Environment: HOST (default 127.0.0.1:8000), WEB_CONCURRENCY, DATABASE_URL, DJANGO_REDIS_URL,
# DJANGO_SECRET_KEY (when unset, one is generated once into .secret_key, mode 600), DJANGO_ALLOWED_HOSTS, …
# (docs/operator-guide.md lists them all).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1:8000}
export DJANGO_DEBUG=0
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  [ -s .secret_key ] || (umask 077 && $PY -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret_key)
  DJANGO_SECRET_KEY=$(cat .secret_key)
  export DJANGO_SECRET_KEY
fi

$PY manage.py migrate --noinput
$PY manage.py collectstatic --noinput --verbosity 0
# Before the (one) worker starts: background imports it was writing when it died are taken back (all or nothing).
$PY manage.py recover_imports

$PY manage.py db_worker --no-reload &
worker=$!
# Sync workers (gunicorn's default): only a free worker accepts the next connection, so concurrent clients spread
# evenly. gthread workers with keep-alive saved ~0.4 ms of server and ~0.4 ms of client CPU per request (no connect
# and close), but a client's connection then stays with the worker that accepted it: in the load test (8 clients)
# some workers queued while others idled, and p95 rose from 0.7-1.0 s to 1.2 s on the same (shared) cores (issue 18).
# One worker per CPU by default (at least 2), not gunicorn's "2 × CPUs + 1": on the 2 cores that also run the
# database and the task worker, 2 workers served the load test's mix at 211-237 requests/s on PostgreSQL where 3 gave
# 193-228 in the same alternated runs (5 each; CPU per request 8.8-9.8 ms against 9.1-10.8 ms, p95 47-52 ms against
# 52-62 ms), and SQLite at 290-305 against 282-292 (issue 18): a worker more than the cores only competes for them.
cpus=$(nproc)
workers=${WEB_CONCURRENCY:-$((cpus > 2 ? cpus : 2))}
.venv/bin/gunicorn config.wsgi:application --bind "$HOST" --workers "$workers" \
  --timeout 60 --access-logfile - --no-control-socket &
server=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$worker" "$server" 2>/dev/null || true
  wait "$worker" "$server" 2>/dev/null || true
}
trap 'stop; exit 0' INT TERM
trap stop EXIT
echo "serving http://$HOST/ (gunicorn pid $server with $workers workers, task worker pid $worker); Ctrl-C stops both"
# Whichever ends first (a crash, a kill), the other is stopped with it.
set +e
wait -n "$worker" "$server"
status=$?
echo "a process ended (status $status); stopping the other"
exit "$status"
