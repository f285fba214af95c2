#!/usr/bin/env bash
# End-to-end test of `chipsim sweep --slurm` against a real single-node Slurm on this machine
# (docs/SWEEP.md, "Slurm"): installs Debian's slurm-wlm and munge if missing, starts a private
# munged, slurmctld and slurmd (their own config, key, socket, ports and state in a temporary
# directory; nothing system-wide is reconfigured), submits a small job array of the sweep
# configs/sweeps/slurm-smoke.json, waits, collects, and checks that every point's report equals
# the local run's of the same spec except wall-clock fields. Stops the daemons it started on
# exit. Needs root (package install; the daemons run as root).
#
#   scripts/slurm-test.sh [path/to/chipsim]     (default: .build/release/chipsim)
set -euo pipefail
cd "$(dirname "$0")/.."
CHIPSIM=$(realpath "${1:-.build/release/chipsim}")
SPEC=configs/sweeps/slurm-smoke.json
test -x "$CHIPSIM" || { echo "slurm-test: no chipsim binary at $CHIPSIM (swift build -c release)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "slurm-test: needs root (installs packages, starts slurmd)" >&2; exit 1; }
start=$(date +%s)

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "slurm-test: installing slurm-wlm and munge"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq slurm-wlm munge >/dev/null
fi

D=$(mktemp -d /tmp/chipsim-slurm.XXXXXX)
chmod 755 "$D"
pids=()
cleanup() {
    status=$?
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$p" 2>/dev/null || true
    done
    if [ "$status" -ne 0 ]; then
        echo "slurm-test: FAILED; daemon logs:" >&2
        tail -n 20 "$D"/*.log >&2 2>/dev/null || true
    fi
    rm -rf "$D"
    exit "$status"
}
trap cleanup EXIT

# munge: a private key, socket, pid, seed and log file.
mkdir -p "$D/munge"
chmod 711 "$D/munge"
dd if=/dev/urandom of="$D/munge/munge.key" bs=1 count=1024 status=none
chmod 400 "$D/munge/munge.key"
munged --foreground --force --key-file="$D/munge/munge.key" --socket="$D/munge/munge.sock" \
       --pid-file="$D/munge/munged.pid" --seed-file="$D/munge/munged.seed" --log-file="$D/munged.log" \
       >"$D/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -S "$D/munge/munge.sock" ] && break; sleep 0.1; done
[ -S "$D/munge/munge.sock" ] || { echo "slurm-test: munged did not start" >&2; exit 1; }

# slurm.conf for this host: 2 CPUs, 90% of the memory, ports away from the defaults.
host=$(hostname -s)
mem=$(free -m | awk '/^Mem:/ { printf "%d", $2 * 0.9 }')
mkdir -p "$D/state" "$D/spool"
cat > "$D/slurm.conf" <<EOF
ClusterName=chipsimtest
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$D/munge/munge.sock
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
NodeName=$host CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=chipsim Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$D/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$D/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$D/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 150); do
    sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)' && break
    sleep 0.2
done
sinfo -h -o '%T' | grep -qE '^(idle|mixed|allocated)' || { echo "slurm-test: the node did not come up: $(sinfo 2>&1)" >&2; exit 1; }
echo "slurm-test: slurm up on $host ($(sinfo -h -o '%c CPUs, %m MB'))"

# Submit the sweep as a job array, wait for it, collect.
OUT="$D/slurm-out"
submitted=$("$CHIPSIM" sweep "$SPEC" --out "$OUT" --slurm --submit --partition chipsim --time 00:10:00 --cpus-per-task 1)
echo "$submitted" | sed 's/^/  /'
job=$(echo "$submitted" | awk '/^submitted job/ { print $3 }')
[ -n "$job" ] || { echo "slurm-test: no job id from sbatch" >&2; exit 1; }
for _ in $(seq 600); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || { echo "slurm-test: job $job still queued after 300 s: $(squeue)" >&2; exit 1; }
"$CHIPSIM" sweep collect "$SPEC" --out "$OUT" | tail -n 3

# The same spec locally; per-point reports must match except wall clock.
LOCAL="$D/local-out"
"$CHIPSIM" sweep "$SPEC" --out "$LOCAL" --jobs 2 --quiet
strip_wall() { sed '/"wallClock": {/,/^  }/d' "$1"; }
n=0
for dir in "$LOCAL"/points/*/; do
    id=$(basename "$dir")
    a="$LOCAL/points/$id/run/report.json" b="$OUT/points/$id/run/report.json"
    test -s "$b" || { echo "slurm-test: point $id has no report from Slurm" >&2; exit 1; }
    diff <(strip_wall "$a") <(strip_wall "$b") >/dev/null || { echo "slurm-test: point $id differs between Slurm and local" >&2; diff <(strip_wall "$a") <(strip_wall "$b") | head >&2; exit 1; }
    cmp -s "$LOCAL/points/$id/run/config.resolved.json" "$OUT/points/$id/run/config.resolved.json" || { echo "slurm-test: point $id resolved config differs" >&2; exit 1; }
    n=$((n + 1))
done
wall_col() { head -1 "$1" | tr ',' '\n' | grep -n '^wall_seconds$' | cut -d: -f1; }
c=$(wall_col "$LOCAL/sweep.csv")
cmp -s <(cut -d, -f"$c" --complement "$LOCAL/sweep.csv") <(cut -d, -f"$c" --complement "$OUT/sweep.csv") \
    || { echo "slurm-test: sweep.csv differs beyond wall_seconds" >&2; exit 1; }
expected=$("$CHIPSIM" sweep "$SPEC" --list | wc -l)
[ "$n" -eq "$expected" ] || { echo "slurm-test: $n points compared, expected $expected" >&2; exit 1; }
echo "slurm-test: OK: job $job, $n array tasks, reports identical to the local run except wall clock ($(( $(date +%s) - start )) s)"
