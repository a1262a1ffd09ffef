#!/bin/sh
# Starts dockerd in the background unless a daemon already answers, waits until
# `docker info` succeeds (up to DOCKERD_WAIT seconds, default 60) and prints the
# server version. Idempotent: a running daemon (ours or not) is left alone.
# The pid file lets scripts/stop-dockerd.sh stop only a daemon started here: it
# holds the daemon's pid and its start time (field 22 of /proc/<pid>/stat), so a
# pid reused by another daemon, or one another user started, is never taken for it.
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

start_time() {
  # Field 22 of /proc/<pid>/stat, counted after the command name (which may hold spaces).
  sed -e 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

ours() {
  [ -f "$PIDFILE" ] || return 1
  set -- $(cat "$PIDFILE")
  [ $# -eq 2 ] && kill -0 "$1" 2>/dev/null && [ "$(start_time "$1")" = "$2" ]
}

if ours; then
  echo "dockerd (pid $(cut -d' ' -f1 "$PIDFILE")) started earlier is not answering yet; waiting"
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
  PID=$!
  echo "$PID $(start_time "$PID")" >"$PIDFILE"
  echo "started dockerd (pid $PID, log $LOG)"
fi

i=0
while [ "$i" -lt "$WAIT" ]; do
  if docker info >/dev/null 2>&1; then
    echo "dockerd ready after ${i}s: $(server_version)"
    exit 0
  fi
  if ! ours; then
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
