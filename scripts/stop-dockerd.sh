#!/bin/sh
# Stops the dockerd that scripts/start-dockerd.sh started (found through its pid
# file: pid and start time), waiting up to DOCKERD_WAIT seconds (default 30) for it
# to exit. A daemon started some other way, or by another user after ours ended and
# under a reused pid, is never touched. Idempotent.
set -eu

PIDFILE=${DOCKERD_PIDFILE:-/run/dmmlab-dockerd.pid}
WAIT=${DOCKERD_WAIT:-30}

if [ ! -f "$PIDFILE" ]; then
  echo "no $PIDFILE: dockerd was not started by start-dockerd.sh; nothing to stop"
  exit 0
fi

set -- $(cat "$PIDFILE") ""
PID=$1
STARTED=$2
NOW=$(sed -e 's/^.*) //' "/proc/$PID/stat" 2>/dev/null | cut -d' ' -f20 || true)
if [ -z "$STARTED" ] || [ "$NOW" != "$STARTED" ] || [ "$(cat "/proc/$PID/comm" 2>/dev/null)" != dockerd ]; then
  echo "the dockerd start-dockerd.sh started (pid $PID) is not running; a process now under that pid is not ours and is left alone"
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
