#!/usr/bin/env bash
# Checks CarbonTracker's NVML figures against the driver on a real NVIDIA GPU, in one run well inside
# ten minutes (about four on an H200). See docs/hardware-validation.md for what it checks and how to run it.
#
#   scripts/gpu-validation.sh                 # uses .build/release/carbontracker (the single-file build)
#
# Settings (environment):
#   CARBONTRACKER_BIN   the carbontracker executable (default .build/release/carbontracker, else PATH)
#   NVML_LIBRARY        the NVML library for carbontracker and the ctypes reader (default libnvidia-ml.so.1)
#   GPU_INDEX           the GPU to load and read (default 0; CUDA and NVML are both told PCI bus order)
#   PHASES              idle, busy and idle seconds of the load (default "10 20 10")
#   COMPONENTS          what carbontracker measures (default gpu; all on a Grace superchip shows the CPU line)
#   LOAD_CMD            a command to run instead of the PyTorch load (for a dry run without torch)
#   CT_PYTHON           a Python with carbontracker 2.4.7, for its figure of the same load (optional)
#   OUT                 where results go (default ./gpu-validation-out)
# Exit status: 0 when every check that could run passed, 1 when one failed, 2 when a tool is missing.
set -uo pipefail
cd "$(dirname "$0")/.."

bin="${CARBONTRACKER_BIN:-}"
[ -n "$bin" ] || { [ -x .build/release/carbontracker ] && bin=.build/release/carbontracker; }
[ -n "$bin" ] || bin="$(command -v carbontracker || true)"
[ -n "$bin" ] && [ -x "$bin" ] || { echo "no carbontracker executable: build it with swift build -c release --static-swift-stdlib --product carbontracker"; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
nvml="${NVML_LIBRARY:-libnvidia-ml.so.1}"
gpu="${GPU_INDEX:-0}"
read -r idle_before busy idle_after <<<"${PHASES:-10 20 10}"
out="${OUT:-$PWD/gpu-validation-out}"
mkdir -p "$out"
python="$(command -v python3 || command -v python || true)"
[ -n "$python" ] || { echo "python3 is needed for the driver counter (ctypes)"; exit 2; }
export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES="$gpu" CARBONTRACKER_NVML_LIBRARY="$nvml"
export CARBONTRACKER_OFFLINE=1 PYTHONUNBUFFERED=1
failures=0
section() { printf '\n=== %s\n' "$*"; }

# The driver's own counter, millijoules since it loaded, read with ctypes exactly as NVML documents it.
counter_script="$out/driver_counter.py"
cat >"$counter_script" <<'PY'
import ctypes, os, sys
nvml = ctypes.CDLL(os.environ.get("CARBONTRACKER_NVML_LIBRARY", "libnvidia-ml.so.1"))
if nvml.nvmlInit_v2() != 0:
    sys.exit("nvmlInit_v2 failed")
handle = ctypes.c_void_p()
if nvml.nvmlDeviceGetHandleByIndex_v2(int(os.environ.get("GPU_INDEX", "0")), ctypes.byref(handle)) != 0:
    sys.exit("no GPU at that index")
energy = ctypes.c_ulonglong()
status = nvml.nvmlDeviceGetTotalEnergyConsumption(handle, ctypes.byref(energy))
nvml.nvmlShutdown()
print(energy.value if status == 0 else "unsupported")
PY
export GPU_INDEX="$gpu"
counter() { "$python" "$counter_script"; }

# The load: idle, bf16 matrix products, idle; it prints the driver counter at its own start and end.
load_script="$out/gpu_load.py"
cat >"$load_script" <<'PY'
import ctypes, os, sys, time
idle_before, busy, idle_after = (float(x) for x in sys.argv[1:4])
nvml = ctypes.CDLL(os.environ.get("CARBONTRACKER_NVML_LIBRARY", "libnvidia-ml.so.1"))
nvml.nvmlInit_v2()
handle = ctypes.c_void_p()
nvml.nvmlDeviceGetHandleByIndex_v2(int(os.environ.get("GPU_INDEX", "0")), ctypes.byref(handle))
def counter():
    energy = ctypes.c_ulonglong()
    nvml.nvmlDeviceGetTotalEnergyConsumption(handle, ctypes.byref(energy))
    return energy.value
import torch
a = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
b = torch.randn(8192, 8192, dtype=torch.bfloat16, device="cuda")
torch.cuda.synchronize()
print(f"load: inner counter start {counter()} mJ", flush=True)
time.sleep(idle_before)
end = time.monotonic() + busy
products = 0
while time.monotonic() < end:
    for _ in range(20):
        c = a @ b
    torch.cuda.synchronize()
    products += 20
print(f"load: {products} bf16 8192x8192 products ({products * 2 * 8192**3 / busy / 1e12:.0f} TFLOP/s)", flush=True)
time.sleep(idle_after)
print(f"load: inner counter end {counter()} mJ", flush=True)
PY
if [ -n "${LOAD_CMD:-}" ]; then load=(bash -c "$LOAD_CMD"); else load=("$python" "$load_script" "$idle_before" "$busy" "$idle_after"); fi

section "machine"
uname -a
nvidia-smi -L 2>/dev/null || echo "nvidia-smi: not found"
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv 2>/dev/null || true
ldd "$bin" | tee "$out/ldd.txt"

section "carbontracker --diagnose"
"$bin" --diagnose 2>&1 | tee "$out/diagnose.txt"
echo "diagnose exit status: ${PIPESTATUS[0]}"

start_counter=$(counter 2>/dev/null || echo "none")
if ! [[ "$start_counter" =~ ^[0-9]+$ ]]; then
    echo
    echo "The driver counter cannot be read here (NVML library '$nvml': $start_counter)."
    echo "GPU checks NOT RUN: no NVIDIA GPU with an energy counter on this machine. The results are unverified."
    exit 0
fi

smi_fields=timestamp,power.draw,power.draw.instant
nvidia-smi --query-gpu=power.draw.instant --format=csv >/dev/null 2>&1 || smi_fields=timestamp,power.draw,power.draw

# One tracked run of the load; prints "our_joules counter_delta_joules method outer_delta_joules" and
# keeps its logs. The driver counter is read first and last thing inside the tracked command, so the
# epoch and the counter delta cover the same work (up to one Python start at each end, at idle power);
# the outer delta, read around carbontracker itself, adds its start-up and shut-down.
tracked_run() {
    local name=$1; shift
    local logs="$out/logs-$name"
    rm -rf "$logs"; mkdir -p "$logs"
    local smi_pid=""
    if command -v nvidia-smi >/dev/null 2>&1; then
        nvidia-smi -i "$gpu" --query-gpu="$smi_fields" --format=csv,nounits -lms 100 \
            >"$out/nvidia-smi-$name.csv" 2>/dev/null &
        smi_pid=$!
    fi
    local before after
    before=$(counter)
    env "$@" "$bin" --log_dir "$logs" --components "${COMPONENTS:-gpu}" -- bash -c \
        'p=$1 c=$2 s=$3 e=$4; shift 4; "$p" "$c" >"$s"; "$@"; r=$?; "$p" "$c" >"$e"; exit $r' \
        _ "$python" "$counter_script" "$out/$name.start" "$out/$name.end" "${load[@]}" >"$out/run-$name.txt" 2>&1
    local status=$?
    after=$(counter)
    [ -n "$smi_pid" ] && kill "$smi_pid" 2>/dev/null
    [ "$status" -eq 0 ] || echo "run $name: carbontracker exited with $status (see $out/run-$name.txt)" >&2
    "$python" - "$logs" "$(cat "$out/$name.start")" "$(cat "$out/$name.end")" "$before" "$after" <<'PY'
import glob, re, sys
logs = sys.argv[1]
start, end, before, after = (int(x) for x in sys.argv[2:6])
text = open(glob.glob(f"{logs}/*_carbontracker.log")[0]).read()
match = re.search(r"Measured energy \(J\) for gpu: \[?([0-9.e+ -]+)\]? \[method: (\w+)\]", text)
joules = sum(float(x) for x in match.group(1).split()) if match else float("nan")
print(joules, (end - start) / 1000, match.group(2) if match else "none", (after - before) / 1000)
PY
}

compare() {  # label ours reference tolerance
    "$python" - "$@" <<'PY'
import sys
label, ours, reference, tolerance = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
ratio = ours / reference if reference > 0 else float("nan")
ok = abs(ratio - 1) <= tolerance
print(f"{label}: {ours:.1f} J vs driver counter {reference:.1f} J, ratio {ratio:.4f} "
      f"({'within' if ok else 'OUTSIDE'} {tolerance:.0%})")
sys.exit(0 if ok else 1)
PY
}

smi_energy() {  # integral of nvidia-smi's power.draw and power.draw.instant over the run
    "$python" - "$1" <<'PY'
import csv, datetime, sys
rows = []
try:
    for row in csv.reader(open(sys.argv[1])):
        try:
            t = datetime.datetime.strptime(row[0].strip(), "%Y/%m/%d %H:%M:%S.%f").timestamp()
            rows.append((t, float(row[1]), float(row[2])))
        except (ValueError, IndexError):
            continue
except FileNotFoundError:
    pass
if len(rows) < 2:
    print("nvidia-smi: no samples"); sys.exit(0)
for column, name in ((1, "power.draw"), (2, "power.draw.instant (or power.draw again on drivers without it)")):
    joules = sum((b[0] - a[0]) * (a[column] + b[column]) / 2 for a, b in zip(rows, rows[1:]))
    print(f"nvidia-smi {name}: {len(rows)} samples, {joules:.1f} J over {rows[-1][0] - rows[0][0]:.1f} s")
PY
}

section "run 1: counter (default), idle ${idle_before} s, bf16 ${busy} s, idle ${idle_after} s"
read -r ours counter_delta method outer < <(tracked_run counter)
grep -E "^load:|Energy:" "$out/run-counter.txt" || true
echo "method: $method; driver counter around carbontracker itself (start-up and shut-down included): $outer J"
compare "epoch energy (counter)" "$ours" "$counter_delta" 0.01 || failures=$((failures + 1))
smi_energy "$out/nvidia-smi-counter.csv"

section "run 2: forced sampled fallback (CARBONTRACKER_NVML_METHOD=instant)"
read -r ours counter_delta method outer < <(tracked_run instant CARBONTRACKER_NVML_METHOD=instant)
echo "method: $method"
compare "epoch energy (instantaneous power)" "$ours" "$counter_delta" 0.05 || failures=$((failures + 1))

section "run 3: last resort (CARBONTRACKER_NVML_METHOD=average, nvmlDeviceGetPowerUsage)"
read -r ours counter_delta method outer < <(tracked_run average CARBONTRACKER_NVML_METHOD=average)
echo "method: $method"
compare "epoch energy (averaged power, reported only)" "$ours" "$counter_delta" 0.05 || true

section "Python carbontracker 2.4.7 on the same load"
if [ -n "${CT_PYTHON:-}" ] && "$CT_PYTHON" -c 'import carbontracker' 2>/dev/null && [ -z "${LOAD_CMD:-}" ]; then
    before=$(counter)
    "$CT_PYTHON" - "$out/logs-python" "$load_script" "$idle_before" "$busy" "$idle_after" <<'PY'
import runpy, sys
from carbontracker.tracker import CarbonTracker
tracker = CarbonTracker(epochs=1, log_dir=sys.argv[1], components="gpu", verbose=1)
tracker.epoch_start()
sys.argv = [sys.argv[2]] + sys.argv[3:6]
runpy.run_path(sys.argv[0])
tracker.epoch_end()
tracker.stop()
PY
    after=$(counter)
    "$python" - "$out/logs-python" "$before" "$after" <<'PY'
import glob, re, sys
text = open(sorted(glob.glob(f"{sys.argv[1]}/*_carbontracker.log"))[-1]).read()
power = [float(x) for x in re.findall(r"Average power usage \(W\) for gpu: \[?([0-9.e+-]+)", text)]
duration = re.findall(r"Duration: (\d+):(\d+):([\d.]+)", text)
h, m, s = duration[-1]
seconds = int(h) * 3600 + int(m) * 60 + float(s)
reference = (int(sys.argv[3]) - int(sys.argv[2])) / 1000
print(f"Python carbontracker 2.4.7 (driver counter read around its whole process): {power[-1] * seconds:.1f} J ({power[-1]:.1f} W x {seconds:.1f} s) vs driver counter {reference:.1f} J, ratio {power[-1] * seconds / reference:.4f}")
PY
else
    echo "not run: set CT_PYTHON to a Python with carbontracker 2.4.7 (its wheels must be carried; the machine has no network)"
fi

section "summary"
echo "checks failed: $failures (results and logs in $out)"
[ "$failures" -eq 0 ]
