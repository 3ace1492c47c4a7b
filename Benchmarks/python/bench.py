"""Python carbontracker 2.4.7 side of the CarbonTracker benchmarks.

Usage: python bench.py SCENARIO [--size N] [--seconds S] [--dir DIR]
Prints one JSON object, with the same keys as the Swift benchmark executable.
"""
import argparse
import contextlib
import io
import json
import os
import resource
import sys
import tempfile
import threading
import time

from carbontracker.tracker import CarbonTracker

SIM = dict(sim_cpu="Sim CPU", sim_cpu_tdp=100, sim_gpu="Sim GPU", sim_gpu_watts=300)


def quiet():
    # The simulated handlers print on start; keep the benchmark's stdout for JSON.
    return contextlib.redirect_stdout(io.StringIO())


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def resident_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return float(line.split()[1]) * 1024
    return float("nan")


def percentile(values, fraction):
    rank = max(0, min(len(values) - 1, int(-(-fraction * len(values) // 1)) - 1))
    return values[rank]


def epoch_cost(epochs, log_dir):
    with quiet():
        tracker = CarbonTracker(epochs=epochs + 1, update_interval=1, log_dir=log_dir, verbose=0, **SIM)
    costs = []
    for _ in range(epochs):
        start = time.perf_counter_ns()
        tracker.epoch_start()
        tracker.epoch_end()
        costs.append((time.perf_counter_ns() - start) / 1000)
    with quiet():
        tracker.stop()
    costs.sort()
    return {"epochs": epochs, "median_us": percentile(costs, 0.5), "p99_us": percentile(costs, 0.99),
            "mean_us": sum(costs) / len(costs)}


def epochs_end_to_end(epochs, log_dir):
    """N back-to-back epochs with file logging, as a whole process (run under /usr/bin/time). The driver
    counts the epochs in the log afterwards; here the final report must be present."""
    with quiet():
        tracker = CarbonTracker(epochs=epochs, update_interval=1, log_dir=log_dir, verbose=0, **SIM)
    start = time.perf_counter()
    for _ in range(epochs):
        tracker.epoch_start()
        tracker.epoch_end()
    wall = time.perf_counter() - start
    with quiet():
        tracker.stop()
    return {"epochs": epochs, "wall_s": wall, "rss_mib": resident_bytes() / 1048576}


def sampling(seconds, hertz=100):
    with quiet():
        tracker = CarbonTracker(epochs=1, update_interval=1 / hertz, verbose=0, **SIM)
        tracker.epoch_start()
    cpu_before, wall_before = cpu_seconds(), time.perf_counter()
    time.sleep(seconds)
    cpu, wall = cpu_seconds() - cpu_before, time.perf_counter() - wall_before
    with quiet():
        tracker.epoch_end()
    return {"seconds": wall, "hertz": hertz, "cpu_seconds": cpu, "core_share_percent": cpu / wall * 100}


def memory(first, second):
    with quiet():
        tracker = CarbonTracker(epochs=1, update_interval=1e-6, verbose=0, **SIM)
        tracker.epoch_start()
    component = tracker.tracker.components[-1]

    def samples():
        return len(component.power_usages[-1]) if component.power_usages else 0

    while samples() < first:
        time.sleep(0.001)
    at_first = resident_bytes()
    started = time.perf_counter()
    while samples() < second:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    at_second = resident_bytes()
    with quiet():
        tracker.epoch_end()
    mib = 1024 * 1024
    return {"samples_first": first, "samples_second": second, "rss_first_mib": at_first / mib,
            "rss_second_mib": at_second / mib, "growth_mib": (at_second - at_first) / mib,
            "samples_per_second": (second - first) / elapsed}


def startup(repetitions):
    costs = []
    for _ in range(repetitions):
        with quiet():
            start = time.perf_counter_ns()
            tracker = CarbonTracker(epochs=1, verbose=0, **SIM)
            tracker.epoch_start()
            costs.append((time.perf_counter_ns() - start) / 1e6)
            tracker.stop()
    costs.sort()
    return {"repetitions": repetitions, "median_ms": percentile(costs, 0.5), "max_ms": costs[-1]}


def parser_scenario(directory, repetitions):
    from carbontracker import parser
    names = [os.path.join(directory, name) for name in os.listdir(directory)]
    floor, parse = [], []
    for _ in range(repetitions):
        start = time.perf_counter()
        total = 0
        for name in names:
            with open(name, "rb") as handle:
                total += len(handle.read())
        floor.append(time.perf_counter() - start)
        start = time.perf_counter()
        energy, _, _ = parser.aggregate_consumption(directory)
        parse.append(time.perf_counter() - start)
    return {"files": len(names), "io_floor_s": min(floor), "aggregate_s": min(parse),
            "energy_kwh": energy, "bytes": total}


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("scenario")
    arguments.add_argument("--size", type=float)
    arguments.add_argument("--seconds", type=float, default=30)
    arguments.add_argument("--dir")
    options = arguments.parse_args()
    directory = options.dir or tempfile.mkdtemp(prefix="carbontracker-bench-py-")
    if options.scenario == "epochs":
        result = epochs_end_to_end(int(options.size or 20000), directory)
    elif options.scenario == "epoch-cost":
        result = epoch_cost(int(options.size or 10000), directory)
    elif options.scenario == "sampling":
        result = sampling(options.seconds)
    elif options.scenario == "memory":
        result = memory(1000, int(options.size or 1000000))
    elif options.scenario == "startup":
        result = startup(int(options.size or 20))
    elif options.scenario == "parser":
        result = parser_scenario(directory, int(options.size or 3))
    else:
        sys.exit(f"unknown scenario {options.scenario}")
    result["scenario"] = options.scenario
    print(json.dumps(result, sort_keys=True))
    sys.stdout.flush()
    # Python carbontracker leaves non-daemon work behind on some paths; do not wait for it.
    os._exit(0)


if __name__ == "__main__":
    main()
