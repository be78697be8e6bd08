#!/usr/bin/env bash
# A single-node Slurm cluster for tests, in a folder of its own:
#   slurm-cluster.sh start DIR   -> munged (as the munge user), slurmctld and slurmd (as root);
#                                   prints the slurm.conf path when the node is idle
#   slurm-cluster.sh stop DIR    -> stops all three
# Needs root and Debian's slurm-wlm and munge (.ci/run installs them). Ports are taken
# from the test's pid so two runs do not collide; nothing outside DIR is written.
set -euo pipefail
cmd="$1"; dir="$(realpath -m "$2")"
conf="$dir/slurm.conf"

stop() {
  for p in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
  sleep 0.5
  for p in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true
  done
  return 0
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "slurm-cluster: needs root" >&2; exit 1; }
for t in munged slurmctld slurmd sbatch sinfo; do command -v "$t" >/dev/null || { echo "slurm-cluster: $t is missing: apt-get install slurm-wlm munge" >&2; exit 1; }; done

mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
# The munge user must be able to reach its folder: every folder above it needs o+x.
p="$dir"; while [ "$p" != / ]; do p="$(dirname "$p")"; [ -x "$p" ] && [ "$(stat -c %A "$p" | cut -c10)" != "-" ] || { [ "$p" = / ] || { echo "slurm-cluster: $p is not searchable by other users (munged runs as munge)" >&2; exit 1; }; }; done
chown munge:munge "$dir/munge"; chmod 0700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chown munge:munge "$dir/munge/munge.key"; chmod 0400 "$dir/munge/munge.key"
# munged checks that every directory above its files is not writable by others.
chmod 0755 "$dir"
runuser -u munge -- munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" --force

base=$(( 20000 + ($$ % 2000) * 2 ))
cat > "$conf" <<CONF
ClusterName=dicomflowtest
SlurmctldHost=localhost
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=localhost CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf"
for i in $(seq 1 120); do
  if sinfo -h -o '%T' 2>/dev/null | grep -qE '^idle'; then echo "$conf"; exit 0; fi
  sleep 0.5
done
echo "slurm-cluster: the node did not come up; logs:" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munge/munged.log" >&2 || true
stop
exit 1
