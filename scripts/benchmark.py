#!/usr/bin/env python3
"""Runs the CarbonTracker benchmarks beside Python carbontracker 2.4.7 and writes BENCHMARKS.md.

Usage: python3 scripts/benchmark.py [--quick] [--only epochs] [--output BENCHMARKS.md]

Builds the Swift benchmark executable in release mode, installs carbontracker==2.4.7 from PyPI into a
throw-away venv (kept in ~/.cache/carbontracker-bench between runs), generates the parser's log files
(the same files for both tools), runs every scenario for both on this machine in this run, and prints
and writes one table with Python/Swift ratios. --quick uses tiny sizes (a smoke run, not for reporting).
--only epochs runs the end-to-end epoch rows alone (Python and Swift, each size --rounds times, the
median CPU of each) and prints their table without writing BENCHMARKS.md.

The headline row is whole-process CPU per extra epoch with the default outputs (the standard, output
and event logs) beside Python carbontracker's in the same run; the target is at least 30x less.
"""
import argparse
import datetime
import statistics
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.expanduser("~/.cache/carbontracker-bench/venv-2.4.7")
FIXTURES = os.path.join(ROOT, "Tests", "CarbonTrackerTests", "Fixtures", "python-logs")


def run(command, **kwargs):
    print("$", " ".join(command), file=sys.stderr, flush=True)
    return subprocess.run(command, check=True, text=True, **kwargs)


def divide(numerator, denominator):
    """numerator / denominator, or NaN where the denominator is 0 (a quick run's sizes are too small for
    /usr/bin/time's 10 ms resolution)."""
    return numerator / denominator if denominator else float("nan")


def scenario(command):
    # Python carbontracker writes geolocation failures to stderr; keep them out of the JSON.
    output = run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    return json.loads(output.strip().splitlines()[-1])


def timed(command, log_dir, unit="epochs"):
    """Runs a scenario as a whole process under /usr/bin/time and checks the work was done: every epoch
    (or window) in the standard log, for epochs the final report in the output log and, where the run
    writes one, every epoch in the event log. A run that lost data raises, so it can never be reported as
    fast."""
    os.makedirs(log_dir, exist_ok=True)
    time_file = os.path.join(log_dir, "..", os.path.basename(log_dir) + ".time")
    result = scenario(["/usr/bin/time", "-f", "%U %S %M", "-o", time_file] + command + ["--dir", log_dir])
    with open(time_file) as f:
        user, system, max_kib = f.read().split()[-3:]
    result["cpu_s"] = float(user) + float(system)
    result["max_rss_mib"] = float(max_kib) / 1024
    expected = int(result[unit])
    marker = " - Epoch " if unit == "epochs" else " - Window "
    found = 0
    report = False
    event_epochs = None
    for name in os.listdir(log_dir):
        path = os.path.join(log_dir, name)
        if name.endswith("_carbontracker_events.jsonl") and unit == "epochs":
            with open(path, errors="replace") as f:
                event_epochs = sum(1 for line in f if line.startswith('{"event":"epoch"'))
        elif name.endswith("_carbontracker.log"):
            with open(path, errors="replace") as f:
                found += sum(1 for line in f if marker in line)
        elif name.endswith("_carbontracker_output.log"):
            with open(path, errors="replace") as f:
                report = report or any("Actual consumption" in line for line in f)
    result[unit + "_in_log"] = found
    if event_epochs is not None:
        result["epochs_in_event_log"] = event_epochs
        if event_epochs != expected:
            raise SystemExit(f"FAILED, data lost: {command} wrote {event_epochs} of {expected} epochs to its event log")
    if found != expected or (unit == "epochs" and not report):
        raise SystemExit(f"FAILED, data lost: {command} logged {found} of {expected} {unit}"
                         + ("" if report or unit != "epochs" else ", no final report"))
    shutil.rmtree(log_dir, ignore_errors=True)
    return result


# Per extra epoch, whole-process CPU with the default outputs: Python / Swift at least this.
EPOCH_CPU_TARGET = 30


def per_extra_epoch(runs, low, high):
    """(CPU µs, max-RSS bytes) per extra epoch between two sizes, from {size: result}."""
    a, b = runs[low], runs[high]
    return ((b["cpu_s"] - a["cpu_s"]) / (high - low) * 1e6,
            (b["max_rss_mib"] - a["max_rss_mib"]) * 1048576 / (high - low))


def median_timed(command, log_dir, rounds):
    """`timed` `rounds` times; the run of median CPU (a shared machine's load hits single runs)."""
    runs = sorted((timed(command, f"{log_dir}-{index}") for index in range(rounds)), key=lambda r: r["cpu_s"])
    median = dict(runs[len(runs) // 2])
    median["cpu_s_rounds"] = [r["cpu_s"] for r in runs]
    return median


def epochs_only(swift, python, work, sizes, rounds):
    """The end-to-end epoch rows alone: Python at the two smaller sizes, Swift (default outputs, and the
    three Python-format logs alone) at the two larger, interleaved round by round."""
    small, middle, large = sizes
    runs = {"python": {}, "swift+events": {}, "swift": {}}
    for size in (small, middle):
        runs["python"][size] = median_timed(python + ["epochs", "--size", str(size)],
                                            os.path.join(work, f"py-{size}"), rounds)
    for size in (middle, large):
        runs["swift+events"][size] = median_timed(swift + ["epochs", "--size", str(size)],
                                                  os.path.join(work, f"swift-events-{size}"), rounds)
        runs["swift"][size] = median_timed(swift + ["epochs", "--size", str(size), "--event-log", "0"],
                                           os.path.join(work, f"swift-{size}"), rounds)
    py_cpu, _ = per_extra_epoch(runs["python"], small, middle)
    ev_cpu, ev_mem = per_extra_epoch(runs["swift+events"], middle, large)
    sw_cpu, _ = per_extra_epoch(runs["swift"], middle, large)
    print("| scenario | Python | Swift | Python / Swift | target |")
    print("|---|---:|---:|---:|---|")
    print(f"| E. CPU per extra epoch, default outputs (µs; Python {small:,}→{middle:,}, Swift {middle:,}→{large:,}) "
          f"| {py_cpu:.4g} | {ev_cpu:.4g} | {divide(py_cpu, ev_cpu):.4g}× | ≥ {EPOCH_CPU_TARGET}× |")
    print(f"| E. the same, Swift writing the three Python-format logs only (µs) | {py_cpu:.4g} | {sw_cpu:.4g} "
          f"| {divide(py_cpu, sw_cpu):.4g}× | |")
    print(f"| E. max RSS growth per extra epoch, default outputs (bytes) | | {ev_mem:.4g} | | ≤ 128 B |")
    print(json.dumps({f"{tool}/{size}": value for tool, by_size in runs.items() for size, value in by_size.items()},
                     indent=1, sort_keys=True))


def python_env():
    python = os.path.join(VENV, "bin", "python")
    check = [python, "-c", "import importlib.metadata as m, sys; sys.exit(m.version('carbontracker') != '2.4.7')"]
    if not os.path.exists(python) or subprocess.run(check, stderr=subprocess.DEVNULL).returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        run([sys.executable, "-m", "venv", VENV])
        run([os.path.join(VENV, "bin", "pip"), "install", "--quiet", "carbontracker==2.4.7"])
    return python


def generate_logs(directory, count):
    """Writes `count` std/output pairs made from Python carbontracker's own logs (round-robin)."""
    pairs = sorted(name[: -len("_carbontracker.log")] for name in os.listdir(FIXTURES)
                   if name.endswith("_carbontracker.log"))
    templates = []
    for base in pairs:
        with open(os.path.join(FIXTURES, base + "_carbontracker.log")) as std, \
                open(os.path.join(FIXTURES, base + "_carbontracker_output.log")) as out:
            templates.append((std.read(), out.read()))
    os.makedirs(directory, exist_ok=True)
    for index in range(count):
        std, out = templates[index % len(templates)]
        base = os.path.join(directory, f"{10000 + index}.{index}_2026-11-21T000000Z_carbontracker")
        with open(base + ".log", "w") as f:
            f.write(std)
        with open(base + "_output.log", "w") as f:
            f.write(out)


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
            memory = f", {kib / 1024 / 1024:.0f} GiB memory"
    except (OSError, ValueError, IndexError):
        pass
    return f"{model}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.release()}"


def main():
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--quick", action="store_true")
    arguments.add_argument("--output", default=os.path.join(ROOT, "BENCHMARKS.md"))
    arguments.add_argument("--only", choices=["epochs"],
                           help="run only the end-to-end epoch rows and print them (BENCHMARKS.md is not written)")
    arguments.add_argument("--rounds", type=int, default=5,
                           help="runs per size of the end-to-end epoch rows, the median CPU counts (default 5)")
    options = arguments.parse_args()
    sizes = dict(epochs=10000, seconds=20, samples=1000000, startups=20, files=10000,
                 e2e=(2000, 20000, 200000), windows=(10000, 100000))
    if options.quick:
        sizes = dict(epochs=500, seconds=2, samples=20000, startups=3, files=200, e2e=(200, 2000, 20000),
                     windows=(1000, 10000))

    run(["swift", "build", "-c", "release", "--product", "CarbonTrackerBenchmarks"], cwd=ROOT)
    swift = [os.path.join(ROOT, ".build", "release", "CarbonTrackerBenchmarks")]
    python = [python_env(), os.path.join(ROOT, "Benchmarks", "python", "bench.py")]
    work = tempfile.mkdtemp(prefix="carbontracker-bench-")
    if options.only == "epochs":
        epochs_only(swift, python, work, sizes["e2e"], options.rounds)
        shutil.rmtree(work, ignore_errors=True)
        return
    logs = os.path.join(work, "parser-logs")
    generate_logs(logs, sizes["files"] // 2)  # a standard and an output log per run

    plan = [
        ("epoch-cost", ["--size", str(sizes["epochs"])]),
        ("sampling", ["--seconds", str(sizes["seconds"])]),
        ("memory", ["--size", str(sizes["samples"])]),
        ("startup", ["--size", str(sizes["startups"])]),
        ("parser", ["--dir", logs, "--size", "3"]),
    ]
    waker = os.path.join(work, "waker")
    run(["cc", "-O2", "-pthread", os.path.join(ROOT, "Benchmarks", "floor", "waker.c"), "-o", waker])
    results = {}
    for name, extra in plan:
        if name == "sampling":
            continue
        for tool, command in (("swift", swift), ("python", python)):
            dir_args = [] if "--dir" in extra else ["--dir", os.path.join(work, f"{tool}-{name}")]
            results[(tool, name)] = scenario(command + [name] + extra + dir_args)

    # 100 Hz sampling beside the bare-waker floor: five rounds, interleaved, so load on the machine hits
    # all three alike; the median of each is reported.
    rounds = {"floor": [], "swift": [], "python": []}
    for _ in range(5):
        rounds["floor"].append(scenario([waker, "100", str(sizes["seconds"])]))
        rounds["swift"].append(scenario(swift + ["sampling", "--seconds", str(sizes["seconds"])]))
        rounds["python"].append(scenario(python + ["sampling", "--seconds", str(sizes["seconds"])]))
    def median_run(runs):
        return sorted(runs, key=lambda r: r["core_share_percent"])[len(runs) // 2]
    floor = median_run(rounds["floor"])
    results[("c", "floor")] = floor
    results[("swift", "sampling")] = median_run(rounds["swift"])
    results[("python", "sampling")] = median_run(rounds["python"])

    # End to end: whole processes under /usr/bin/time, every epoch checked in the log.
    # Each size --rounds times, the run of median CPU: a single run of a tenth of a second moves by whole
    # ticks of /usr/bin/time and with the machine's page cache.
    e2e = {}
    for size in sizes["e2e"]:
        # The three Python-format logs, as Python writes them; then the same with the JSONL event log too.
        e2e[("swift", size)] = median_timed(swift + ["epochs", "--size", str(size), "--event-log", "0"],
                                            os.path.join(work, f"swift-e2e-{size}"), options.rounds)
        e2e[("swift+events", size)] = median_timed(swift + ["epochs", "--size", str(size)],
                                                   os.path.join(work, f"swift-events-e2e-{size}"), options.rounds)
    for size in sizes["e2e"][:2]:
        e2e[("python", size)] = median_timed(python + ["epochs", "--size", str(size)],
                                             os.path.join(work, f"py-e2e-{size}"), options.rounds)
    for key, value in e2e.items():
        results[(key[0], f"epochs-{key[1]}")] = value
    windows = {}
    for size in sizes["windows"]:
        windows[size] = timed(swift + ["windows", "--size", str(size)], os.path.join(work, f"windows-{size}"),
                              unit="windows")
        results[("swift", f"windows-{size}")] = windows[size]
    results[("swift", "window-cost")] = scenario(swift + ["window-cost", "--size", str(sizes["windows"][1]),
                                                          "--dir", os.path.join(work, "window-cost")])
    results[("swift", "election")] = scenario(
        swift + ["election", "--size", "20" if options.quick else "200", "--dir", os.path.join(work, "election")])
    results[("swift", "window-threads")] = scenario(
        swift + ["window-threads", "--size", str(sizes["windows"][1] // 10), "--dir", os.path.join(work, "wt")])

    def both(name, key):
        return results[("python", name)][key], results[("swift", name)][key]

    small, middle, large = sizes["e2e"]
    def per_epoch(tool, low, high):
        return per_extra_epoch({size: e2e[(tool, size)] for size in (low, high)}, low, high)
    py_cpu, py_mem = per_epoch("python", small, middle)
    sw_cpu, sw_mem = per_epoch("swift", middle, large)
    ev_cpu, ev_mem = per_epoch("swift+events", middle, large)
    # The headline: whole-process CPU per extra epoch with the default outputs (standard, output and
    # event logs), Python's in the same run beside it.
    rows = [(f"E. CPU per extra epoch, default outputs (µs; Python {small:,}→{middle:,}, Swift {middle:,}→{large:,})",
             py_cpu, ev_cpu, divide(py_cpu, ev_cpu),
             f"≥ {EPOCH_CPU_TARGET}×; {e2e[('swift+events', large)]['epochs_in_log']:,}/{large:,} in log")]
    for size in sizes["e2e"]:
        sw_run = e2e[("swift", size)]
        py_run = e2e.get(("python", size))
        rows.append((f"E. {size:,} epochs end to end: whole-process CPU (s) [epochs in log]",
                     py_run["cpu_s"] if py_run else float("nan"), sw_run["cpu_s"],
                     py_run["cpu_s"] / sw_run["cpu_s"] if py_run and sw_run["cpu_s"] > 0 else float("nan"),
                     f"Swift {sw_run['epochs_in_log']:,}/{size:,}"
                     + (f", Python {py_run['epochs_in_log']:,}/{size:,}" if py_run else ", Python not run")))
    rows.append((f"E. the same, Swift writing the three Python-format logs only (µs)", py_cpu, sw_cpu,
                 divide(py_cpu, sw_cpu), ""))
    rows.append((f"E. CPU {large:,} ÷ {middle:,} epochs (Swift)", float("nan"),
                 divide(e2e[("swift", large)]["cpu_s"], e2e[("swift", middle)]["cpu_s"]), float("nan"), "≤ 12"))
    rows.append((f"E. max RSS growth per extra epoch (bytes)", py_mem, sw_mem,
                 py_mem / sw_mem if sw_mem > 0 else float("inf"), "≤ 128 B"))
    rows.append((f"E. the same with the event log (bytes)", py_mem, ev_mem,
                 py_mem / ev_mem if ev_mem > 0 else float("inf"), "≤ 128 B"))
    low, high = sizes["windows"]
    rows.append((f"W. beginWindow+endWindow, median (µs)", float("nan"),
                 results[("swift", "window-cost")]["median_us"], float("nan"), "≤ 2 µs"))
    rows.append((f"W. beginWindow+endWindow, p99 (µs)", float("nan"),
                 results[("swift", "window-cost")]["p99_us"], float("nan"), ""))
    rows.append((f"W. {high:,} ÷ {low:,} windows end to end, whole-process CPU", float("nan"),
                 divide(windows[high]["cpu_s"], windows[low]["cpu_s"]), float("nan"),
                 f"linear (≤ 12); {windows[high]['windows_in_log']:,}/{high:,} in log"))
    rows.append((f"W. max RSS, {low:,} → {high:,} windows (MiB)", windows[low]["max_rss_mib"],
                 windows[high]["max_rss_mib"], float("nan"), "flat"))
    wt = results[("swift", "window-threads")]
    rows.append((f"W. 8 threads × {int(wt['windows']) // 8:,} windows at once: pair median (µs)", float("nan"),
                 wt["median_us"], float("nan"), f"{int(wt['windows_logged']):,} windows in log"))
    election = results[("swift", "election")]
    rows.append(("D. leader election at start-up, local rank 0 of a Slurm step (ms)", float("nan"),
                 election["election_ms"], float("nan"),
                 f"< 1 ms (start-up {election['leader_median_ms']:.3g} ms vs {election['single_median_ms']:.3g} ms alone)"))
    py, sw = both("epoch-cost", "median_us")
    py99, sw99 = both("epoch-cost", "p99_us")
    rows.append(("1. epochStart+epochEnd, median (µs)", py, sw, py / sw, "≥ 20×"))
    rows.append(("1. epochStart+epochEnd, p99 (µs)", py99, sw99, py99 / sw99, ""))
    py, sw = both("sampling", "core_share_percent")
    rows.append(("2. CPU while sampling at 100 Hz (% of a core, median of 5)", py, sw, py / sw, "≥ 10× less"))
    c_floor = floor["core_share_percent"]
    rows.append(("2. floor: a bare C thread waking at 100 Hz (% of a core)", py, c_floor, py / c_floor,
                 "best ratio possible"))
    rows.append(("2. sampling ÷ floor", py / c_floor, sw / c_floor, float("nan"), "Swift ≤ 1.2×"))
    for key, label in (("rss_first_mib", "after 1,000 samples"), ("rss_second_mib",
                                                                    f"after {sizes['samples']:,} samples")):
        py, sw = both("memory", key)
        rows.append((f"3. resident memory {label} (MiB)", py, sw, py / sw, ""))
    py, sw = both("memory", "growth_mib")
    rows.append(("3. memory growth between them (MiB)", py, sw, py / sw if sw > 0 else float("inf"), "< 1 MiB"))
    py, sw = both("startup", "median_ms")
    rows.append(("4. construction to first epochStart, median (ms)", py, sw, py / sw, "< 10 ms"))
    py, sw = both("parser", "aggregate_s")
    rows.append((f"5. aggregate {sizes['files']:,} log files (s)", py, sw, py / sw, "≤ 1.2× I/O floor"))
    pyf, swf = both("parser", "io_floor_s")
    rows.append(("5. reading the same files, I/O floor (s)", pyf, swf, pyf / swf, ""))
    rows.append(("5. aggregate ÷ own I/O floor", py / pyf, sw / swf, (py / pyf) / (sw / swf), ""))

    swift_version = run(["swift", "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    python_version = run(python[:1] + ["--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT).stdout
    lines = [
        "# Benchmarks: CarbonTracker for Swift beside Python carbontracker 2.4.7",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Machine: {machine()}",
        f"- Swift: {swift_version.strip().splitlines()[0]}; Python: {python_version.strip()} with "
        "carbontracker 2.4.7 from PyPI",
        "- Both tools ran on this machine in this run, with simulated CPU (100 W TDP) and GPU (300 W),"
        " the same scenario code shape and the same log files.",
        "- Reproduce: `python3 scripts/benchmark.py`" + (" --quick (SMOKE RUN: tiny sizes)" if options.quick else ""),
        "",
        "| scenario | Python | Swift | Python / Swift | target |",
        "|---|---:|---:|---:|---|",
    ]
    def cell(value, suffix=""):
        return "—" if value != value else f"{value:.4g}{suffix}"
    for label, py, sw, ratio, target in rows:
        lines.append(f"| {label} | {cell(py)} | {cell(sw)} | {cell(ratio, '×')} | {target} |")
    lines += [
        "",
        "Notes:",
        "",
        "- Rows E and W measure the outcome, not the call: each is a whole process under `/usr/bin/time -f '%U"
        " %S %M'` (user + system CPU, max RSS), and the driver reads the logs afterwards: a run that lost an"
        " epoch or a window, or its final report, stops the benchmark instead of being reported as fast. Each"
        f" size of the E rows ran {options.rounds} times and its run of median CPU counts. CPU"
        " per extra epoch is (CPU at the larger size − CPU at the smaller) ÷ (difference in epochs), so start-up"
        " cancels out; Python runs the two smaller sizes (its largest would take minutes). Both tools log to"
        " files with simulated CPU and GPU. The headline row has Swift's default outputs: the three logs"
        " Python writes and the JSONL event log (about 220 bytes more per epoch); the \"three Python-format"
        " logs only\" row writes what Python writes (`TrackerOptions.eventLog = false`).",
        "- Scenario 2: both tools really sample at 100 Hz while the epoch runs. Waking a thread 100 times a"
        " second has a kernel cost of its own; the floor row measures it with a C thread that does nothing"
        " else, on this machine in this run. Python / floor is the largest ratio any 100 Hz sampler could"
        " reach here, so a 10× target is out of reach for real 100 Hz sampling on this machine; Swift's"
        " cost above the floor is its own work per sample. Between epochs Swift does not wake at the update"
        " interval (as Python), and at the default 1 s interval either cost is negligible. The five rounds"
        " (% of a core) show how much this machine varies: floor "
        + ", ".join(f"{r['core_share_percent']:.3f}" for r in rounds["floor"]) + "; Swift "
        + ", ".join(f"{r['core_share_percent']:.3f}" for r in rounds["swift"]) + "; Python "
        + ", ".join(f"{r['core_share_percent']:.3f}" for r in rounds["python"]) + ".",
        f"- Scenario 3: samples were taken as fast as each tool's loop allows (Python"
        f" {results[('python', 'memory')]['samples_per_second']:.0f}/s, Swift"
        f" {results[('swift', 'memory')]['samples_per_second']:.0f}/s). Python keeps every sample; Swift keeps"
        " running sums.",
        "- Scenario 4 ran with each tool's default network behaviour on a machine where DNS fails at once;"
        " Swift does its location lookup on a background thread, so its start-up does not depend on the"
        " network at all.",
        "- Scenario 5: the I/O floor is each language's plain sequential read of the same files, page cache"
        " warm; best of 3.",
    ]
    lines += ["", "Raw results:", "", "```json",
              json.dumps({f"{tool}/{name}": value for (tool, name), value in results.items()}, indent=1,
                         sort_keys=True), "```", ""]
    text = "\n".join(lines)
    print(text)
    with open(options.output, "w") as f:
        f.write(text)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
