#!/usr/bin/env bash
# Stops what deploy/up.sh started in RUN_DIR: nginx, the instances, the payment sandbox, the replica and the
# primary, in that order (clients first, the database last). Only processes recorded in RUN_DIR's pid files
# (and whose command line names RUN_DIR) and the clusters in RUN_DIR/pg are touched. Idempotent: what is not
# running is skipped.
#
# Usage: deploy/down.sh [--dir RUN_DIR] [--purge]
#   --dir RUN_DIR   the directory given to up.sh (default /tmp/covenant-deploy)
#   --purge         then delete RUN_DIR (databases, keys, logs)
set -uo pipefail

RUN_DIR=${COVENANT_DEPLOY_DIR:-/tmp/covenant-deploy}
PURGE=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dir) RUN_DIR=${2:?--dir needs a directory}; shift 2 ;;
        --purge) PURGE=1; shift ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "down.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
say() { echo "down.sh: $*"; }
[[ -d $RUN_DIR ]] || { say "nothing to stop: $RUN_DIR does not exist"; exit 0; }
RUN_DIR=$(cd "$RUN_DIR" && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
# shellcheck disable=SC1091
[[ -f $RUN_DIR/settings.env ]] && . "$RUN_DIR/settings.env"
if [[ $EUID -eq 0 ]]; then
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    as_pg() { "$@"; }
fi
failed=0

# The pid in a pid file, when that process is alive and ours.
ours() {
    local pid
    pid=$(cat "$1" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$RUN_DIR" && echo "$pid"
}

# stop NAME PIDFILE GRACE: SIGTERM, then SIGKILL after GRACE seconds.
stop() {
    local name=$1 file=$2 grace=$3 pid
    if ! pid=$(ours "$file"); then
        [[ -f $file ]] && rm -f "$file"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 $((grace * 10))); do
        kill -0 "$pid" 2>/dev/null || { say "stopped $name (pid $pid)"; rm -f "$file"; return 0; }
        sleep 0.1
    done
    say "$name (pid $pid) still running after ${grace} s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.2
    rm -f "$file"
}

# 1. nginx: its master stops its workers (SIGTERM: fast shutdown, SIGQUIT would wait for keep-alive clients).
stop nginx "$RUN_DIR/nginx/nginx.pid" 10

# 2. The instances, in parallel: SIGTERM finishes in-flight requests and gives the leases up.
pids=()
for file in "$RUN_DIR"/pids/instance-*.pid; do
    [[ -e $file ]] || continue
    name=$(basename "$file" .pid)
    stop "$name" "$file" 30 &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

# 3. The payment sandbox.
stop "payment sandbox" "$RUN_DIR/pids/payment-sandbox.pid" 10

# 4. The replica, then the primary (fast: roll back open transactions, checkpoint, stop).
for cluster in replica primary; do
    dir=$RUN_DIR/pg/$cluster
    [[ -f $dir/PG_VERSION ]] || continue
    if as_pg "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
        if as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null; then
            say "stopped PostgreSQL $cluster"
        else
            say "PostgreSQL $cluster did not stop; see $RUN_DIR/pg/$cluster.log"
            failed=1
        fi
    fi
done

# Anything left listening on the set's ports is not ours; say so.
if [[ -n ${HTTP_PORT:-} ]]; then
    for port in "$HTTP_PORT" $(seq $((HTTP_PORT + 1)) $((HTTP_PORT + ${INSTANCES:-0}))) "${PG_PORT:-}" "${REPLICA_PORT:-}"; do
        [[ -n $port ]] || continue
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then say "note: port $port is still in use (not by this set)"; fi
    done
fi

if [[ $PURGE == 1 ]]; then
    if [[ $failed == 0 ]]; then
        rm -rf "$RUN_DIR"
        say "removed $RUN_DIR"
    else
        say "not removing $RUN_DIR: something did not stop"
    fi
fi
exit $failed
