#!/usr/bin/env bash
# A two-node Slurm cluster on this machine, for the distributed-tracking tests.
#
#   scripts/slurm-test-cluster.sh start        # munged, slurmctld, slurmd node1 and node2; waits until idle
#   scripts/slurm-test-cluster.sh exec CMD...  # runs CMD where the cluster's clients work (srun, sinfo, ...)
#   scripts/slurm-test-cluster.sh status       # exit 0 when both nodes answer
#   scripts/slurm-test-cluster.sh stop         # stops everything start started, removes the namespaces
#
# Installs nothing: it needs Debian's slurm-wlm and munge packages, root, and `ip netns`.
# Each daemon runs in a network namespace of its own making (the controller and the clients in one,
# each node in another), joined by a bridge inside the controller's namespace; no address outside
# those namespaces is used. Files (config, munge key and socket, spools, pid and log files) live in
# $CARBONTRACKER_SLURM_DIR (default /tmp/carbontracker-slurm), which start empties first.
set -euo pipefail

dir="${CARBONTRACKER_SLURM_DIR:-/tmp/carbontracker-slurm}"
prefix="${CARBONTRACKER_SLURM_NETNS:-ctslurm}"
ctl_ns="${prefix}-ctl"
subnet="10.253.11"
nodes=(node1 node2)

die() { echo "slurm-test-cluster: $*" >&2; exit 1; }
note() { echo "slurm-test-cluster: $*" >&2; }

in_ctl() { ip netns exec "$ctl_ns" env SLURM_CONF="$dir/slurm.conf" "$@"; }

write_config() {
    local host
    host=$(hostname)
    cat >"$dir/slurm.conf" <<EOF
ClusterName=carbontracker-test
SlurmctldHost=${host}(${subnet}.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
PlugStackConfig=$dir/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
KillWait=2
MinJobAge=10
InactiveLimit=0
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
NodeName=node1 NodeAddr=${subnet}.11 NodeHostname=${host} CPUs=8 RealMemory=1000 State=UNKNOWN
NodeName=node2 NodeAddr=${subnet}.12 NodeHostname=${host} CPUs=8 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=node1,node2 Default=YES MaxTime=INFINITE State=UP
EOF
    : >"$dir/plugstack.conf"
    # slurmd loads a cgroup plugin even with proctrack/linuxproc; name the hierarchy that is mounted.
    local cgroup=cgroup/v1
    [[ $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]] && cgroup=cgroup/v2
    printf 'CgroupPlugin=%s\nCgroupMountpoint=/sys/fs/cgroup\n' "$cgroup" >"$dir/cgroup.conf"
}

start_munge() {
    mkdir -p "$dir/munge"
    chmod 711 "$dir/munge"
    head -c 1024 /dev/urandom >"$dir/munge/munge.key"
    chmod 400 "$dir/munge/munge.key"
    munged --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
        --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
        --seed-file="$dir/munge/munged.seed"
}

make_network() {
    ip netns add "$ctl_ns"
    ip -n "$ctl_ns" link set lo up
    ip -n "$ctl_ns" link add ctbr type bridge
    ip -n "$ctl_ns" addr add "${subnet}.1/24" dev ctbr
    ip -n "$ctl_ns" link set ctbr up
    local i=0
    for node in "${nodes[@]}"; do
        i=$((i + 1))
        local ns="${prefix}-${node}"
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        ip -n "$ctl_ns" link add "br-$node" type veth peer name eth0 netns "$ns"
        ip -n "$ctl_ns" link set "br-$node" master ctbr
        ip -n "$ctl_ns" link set "br-$node" up
        ip -n "$ns" addr add "${subnet}.$((10 + i))/24" dev eth0
        ip -n "$ns" link set eth0 up
    done
}

wait_idle() {
    local deadline=$((SECONDS + ${1:-90}))
    while ((SECONDS < deadline)); do
        local states
        states=$(in_ctl sinfo -h -N -o '%N=%t' 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [[ "$states" == *"node1=idle"* && "$states" == *"node2=idle"* ]]; then
            return 0
        fi
        sleep 0.5
    done
    return 1
}

# Ends every process left inside our namespaces (slurmstepd, job tasks), then the daemons by pid file.
stop_all() {
    if [[ -f "$dir/slurm.conf" ]] && ip netns list 2>/dev/null | grep -q "^$ctl_ns"; then
        in_ctl scancel --quiet --user="$(id -un)" 2>/dev/null || true
    fi
    local pids=()
    for pidfile in "$dir"/slurmd-*.pid "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
        [[ -f "$pidfile" ]] && pids+=("$(cat "$pidfile")")
    done
    for ns in "$ctl_ns" "${nodes[@]/#/${prefix}-}"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
        mapfile -t inside < <(ip netns pids "$ns" 2>/dev/null)
        pids+=("${inside[@]}")
    done
    if ((${#pids[@]})); then
        kill -TERM "${pids[@]}" 2>/dev/null || true
        local deadline=$((SECONDS + 10))
        while ((SECONDS < deadline)); do
            local alive=0
            for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
            ((alive)) || break
            sleep 0.2
        done
        kill -KILL "${pids[@]}" 2>/dev/null || true
    fi
    for ns in "${nodes[@]/#/${prefix}-}" "$ctl_ns"; do
        ip netns list 2>/dev/null | grep -q "^$ns\b" && ip netns delete "$ns"
    done
    return 0
}

case "${1:-}" in
start)
    [[ $(id -u) == 0 ]] || die "must run as root (it creates network namespaces and runs slurmd)."
    for tool in munged slurmctld slurmd srun sinfo ip; do
        command -v "$tool" >/dev/null || die "'$tool' not found: apt-get install slurm-wlm munge iproute2"
    done
    began=$SECONDS
    stop_all
    rm -rf "$dir"
    mkdir -p "$dir/ctld" "${nodes[@]/#/$dir/spool/}"
    chmod 755 "$dir"
    write_config
    start_munge
    make_network
    in_ctl slurmctld -i
    for node in "${nodes[@]}"; do
        ip netns exec "${prefix}-${node}" env SLURM_CONF="$dir/slurm.conf" slurmd -N "$node"
    done
    if ! wait_idle 90; then
        note "nodes did not become idle; see $dir/*.log"
        in_ctl sinfo -N >&2 || true
        tail -n 20 "$dir"/*.log >&2 || true
        stop_all
        exit 1
    fi
    note "two nodes idle after $((SECONDS - began)) s (config: $dir/slurm.conf)"
    ;;
exec)
    shift
    [[ -f "$dir/slurm.conf" ]] || die "no cluster: run '$0 start' first."
    in_ctl "$@"
    ;;
status)
    [[ -f "$dir/slurm.conf" ]] || exit 1
    wait_idle 5
    ;;
stop)
    stop_all
    note "stopped"
    ;;
*)
    echo "usage: $0 start|stop|status|exec CMD..." >&2
    exit 2
    ;;
esac
