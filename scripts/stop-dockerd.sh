#!/bin/sh
# Stops the dockerd that scripts/start-dockerd.sh started (found through its pid
# file), waiting up to DOCKERD_WAIT seconds (default 30) for it to exit. A daemon
# started some other way is never touched. Idempotent.
set -eu

PIDFILE=${DOCKERD_PIDFILE:-/run/dmmlab-dockerd.pid}
WAIT=${DOCKERD_WAIT:-30}

if [ ! -f "$PIDFILE" ]; then
  echo "no $PIDFILE: dockerd was not started by start-dockerd.sh; nothing to stop"
  exit 0
fi

PID=$(cat "$PIDFILE")
if ! kill -0 "$PID" 2>/dev/null || [ "$(cat "/proc/$PID/comm" 2>/dev/null)" != dockerd ]; then
  echo "dockerd (pid $PID) is not running"
  rm -f "$PIDFILE"
  exit 0
fi

kill -TERM "$PID"
i=0
while kill -0 "$PID" 2>/dev/null; do
  if [ "$i" -ge "$WAIT" ]; then
    echo "dockerd (pid $PID) still running after ${WAIT}s" >&2
    exit 1
  fi
  sleep 1
  i=$((i + 1))
done
rm -f "$PIDFILE"
echo "stopped dockerd (pid $PID)"
