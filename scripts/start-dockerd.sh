#!/bin/sh
# Starts dockerd in the background unless a daemon already answers, waits until
# `docker info` succeeds (up to DOCKERD_WAIT seconds, default 60) and prints the
# server version. Idempotent: a running daemon (ours or not) is left alone.
# The pid file lets scripts/stop-dockerd.sh stop only a daemon started here.
set -eu

LOG=${DOCKERD_LOG:-/var/log/dmmlab-dockerd.log}
PIDFILE=${DOCKERD_PIDFILE:-/run/dmmlab-dockerd.pid}
WAIT=${DOCKERD_WAIT:-60}

server_version() {
  docker version --format '{{.Server.Version}}' 2>/dev/null
}

if docker info >/dev/null 2>&1; then
  echo "dockerd already running: $(server_version)"
  exit 0
fi

if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  echo "dockerd (pid $(cat "$PIDFILE")) started earlier is not answering yet; waiting"
else
  DOCKERD=$(command -v dockerd || true)
  if [ -z "$DOCKERD" ]; then
    echo "dockerd not found: install docker.io (apt-get install docker.io)" >&2
    exit 3
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "starting dockerd needs root: run this script with sudo" >&2
    exit 3
  fi
  mkdir -p "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
  # Fully detached: own session, no terminal, output to the log.
  setsid "$DOCKERD" >>"$LOG" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  echo "started dockerd (pid $(cat "$PIDFILE"), log $LOG)"
fi

i=0
while [ "$i" -lt "$WAIT" ]; do
  if docker info >/dev/null 2>&1; then
    echo "dockerd ready after ${i}s: $(server_version)"
    exit 0
  fi
  if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
    echo "dockerd exited; last lines of $LOG:" >&2
    tail -n 20 "$LOG" >&2 || true
    rm -f "$PIDFILE"
    exit 1
  fi
  sleep 1
  i=$((i + 1))
done

echo "dockerd did not answer within ${WAIT}s; last lines of $LOG:" >&2
tail -n 20 "$LOG" >&2 || true
exit 1
