#!/bin/bash
# stop.sh INSTANCE_DIR -- SIGTERM the master (it stops its children) and wait.
# (`postfix stop` also works but polls once a second: >= 1 s.)
DIR=${1:?usage: stop.sh INSTANCE_DIR}
[ -f "$DIR/spool/pid/master.pid" ] || exit 0   # never started here
P=$(tr -d ' \n' < "$DIR/spool/pid/master.pid" 2>/dev/null || true)
[ -n "$P" ] || exit 0
kill -TERM "$P" 2>/dev/null || exit 0
for i in $(seq 1 1000); do kill -0 "$P" 2>/dev/null || exit 0; sleep 0.01; done
echo "master $P still running" >&2; exit 1
