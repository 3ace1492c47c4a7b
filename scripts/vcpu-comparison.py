#!/usr/bin/env python3
"""The CPU energy of a real training loop without sensors: CarbonTracker for Swift beside CodeCarbon.

Runs a NumPy MLP (fixed steps, one BLAS thread) under `carbontracker -- python train.py STEPS` and under
CodeCarbon's OfflineEmissionsTracker (its own CPU power model, no RAPL), for N steps, 2N steps, N steps
beside a busy neighbour process outside the tracked command, and N steps with
CARBONTRACKER_CPU_ESTIMATE=python (Python carbontracker's half-TDP constant; CodeCarbon is not re-run
for that row). Prints a Markdown table: run, duration, our CPU energy and average power, CodeCarbon's.

Usage: scripts/vcpu-comparison.py --carbontracker .build/release/carbontracker \\
           --python ~/.cache/carbontracker-ci/venv-2.4.7/bin/python [--steps 300] [--country DNK]
The Python needs numpy and codecarbon 3.3.2. Run it on the machine to be described: a VM without RAPL
counters is the case it is meant for (on a machine with readable counters both tools measure instead).
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time

TRAIN = textwrap.dedent(
    """
    import sys
    import numpy as np

    def train(steps):
        rng = np.random.default_rng(0)
        x = rng.standard_normal((256, 512))
        y = rng.standard_normal((256, 10))
        w1 = rng.standard_normal((512, 1024)) * 0.01
        w2 = rng.standard_normal((1024, 10)) * 0.01
        for _ in range(steps):
            hidden = np.maximum(x @ w1, 0)
            error = hidden @ w2 - y
            grad_w2 = hidden.T @ error / len(x)
            grad_hidden = (error @ w2.T) * (hidden > 0)
            grad_w1 = x.T @ grad_hidden / len(x)
            w1 -= 0.01 * grad_w1
            w2 -= 0.01 * grad_w2
        return float((error ** 2).mean())

    if __name__ == "__main__":
        print("loss", train(int(sys.argv[1])))
    """
)

CODECARBON = textwrap.dedent(
    """
    import json, logging, sys, time
    sys.path.insert(0, sys.argv[1])
    from train import train
    from codecarbon import OfflineEmissionsTracker
    tracker = OfflineEmissionsTracker(
        country_iso_code=sys.argv[3], measure_power_secs=1, save_to_file=False, log_level="error")
    tracker.start()
    started = time.monotonic()
    train(int(sys.argv[2]))
    seconds = time.monotonic() - started
    tracker.stop()
    data = tracker.final_emissions_data
    print(json.dumps({"seconds": seconds, "cpu_kwh": data.cpu_energy, "cpu_w": data.cpu_power}))
    """
)

ONE_THREAD = {name: "1" for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def neighbour(python):
    """A busy loop outside the tracked command (a process of its own, started before the run)."""
    return subprocess.Popen([python, "-c", "while True: pass"])


def ours(carbontracker, python, workdir, steps, extra_env):
    """Runs the loop under carbontracker; returns (seconds, CPU joules, their dynamic part or None) from its
    standard log."""
    logs = tempfile.mkdtemp(prefix="logs-", dir=workdir)
    env = dict(os.environ, **ONE_THREAD, **extra_env)
    result = subprocess.run(
        [carbontracker, "--log-dir", logs, "--components", "cpu", "--", python, "train.py", str(steps)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"carbontracker failed ({result.returncode}):\n{result.stderr}")
    (standard,) = glob.glob(os.path.join(logs, "*_carbontracker.log"))
    text = open(standard, encoding="utf-8").read()
    duration = re.findall(r"Duration: (\d+):(\d+):([\d.]+)", text)
    seconds = sum(int(h) * 3600 + int(m) * 60 + float(s) for h, m, s in duration)
    joules = 0.0
    for figures in re.findall(r"Measured energy \(J\) for cpu: (\[[^\]]*\]|\S+)", text):
        joules += sum(float(value) for value in figures.strip("[]").split())
    # The per-vCPU model's idle part, as its provenance line states it; the rest followed the CPU time.
    idle = re.search(r"([\d.]+) W idle for each of the (\d+) CPUs", text)
    dynamic = joules - float(idle.group(1)) * int(idle.group(2)) * seconds if idle else None
    return seconds, joules, dynamic


def codecarbon(python, workdir, steps, country):
    """Runs the loop in a process that CodeCarbon tracks; returns (seconds, CPU joules, its CPU watts)."""
    env = dict(os.environ, **ONE_THREAD)
    result = subprocess.run(
        [python, "-c", CODECARBON, workdir, str(steps), country], cwd=workdir, env=env, check=True,
        capture_output=True, text=True)
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return data["seconds"], data["cpu_kwh"] * 3.6e6, data["cpu_w"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--carbontracker", required=True, help="the carbontracker executable (release build)")
    parser.add_argument("--python", default=sys.executable, help="a Python with numpy and codecarbon 3.3.2")
    parser.add_argument("--steps", type=int, default=300, help="N, the steps of the shorter run")
    parser.add_argument("--country", default="DNK", help="ISO code for CodeCarbon's offline intensity")
    args = parser.parse_args()
    carbontracker = os.path.abspath(args.carbontracker)
    workdir = tempfile.mkdtemp(prefix="vcpu-comparison-")
    with open(os.path.join(workdir, "train.py"), "w", encoding="utf-8") as file:
        file.write(TRAIN)
    steps = args.steps
    runs = [
        (f"{steps} steps", steps, {}, False, True),
        (f"{2 * steps} steps (twice the work)", 2 * steps, {}, False, True),
        (f"{steps} steps beside a busy loop outside the command", steps, {}, True, True),
        (f"{steps} steps, `CARBONTRACKER_CPU_ESTIMATE=python`", steps, {"CARBONTRACKER_CPU_ESTIMATE": "python"},
         False, False),
    ]
    print("| run | duration (ours / CodeCarbon) | our CPU energy | our average | CodeCarbon CPU energy | "
          "CodeCarbon average |")
    print("| --- | --- | --- | --- | --- | --- |")
    for label, count, extra_env, busy, compare in runs:
        other = neighbour(args.python) if busy else None
        try:
            time.sleep(0.5 if busy else 0)
            seconds, joules, dynamic = ours(carbontracker, args.python, workdir, count, extra_env)
            theirs = codecarbon(args.python, workdir, count, args.country) if compare else None
        finally:
            if other is not None:
                other.kill()
                other.wait()
        row = f"| {label} | {seconds:.1f} s"
        row += f" / {theirs[0]:.1f} s" if theirs else ""
        row += f" | {joules:.1f} J" + (f" ({dynamic:.1f} J dynamic)" if dynamic is not None else "")
        row += f" | {joules / seconds:.2f} W | "
        row += f"{theirs[1]:.1f} J | {theirs[1] / theirs[0]:.2f} W |" if theirs else "— | — |"
        print(row, flush=True)


if __name__ == "__main__":
    main()
