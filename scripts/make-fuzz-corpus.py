#!/usr/bin/env python3
"""Writes the fuzzer's seed corpus (Tests/CarbonTrackerTests/Fixtures/fuzz/corpus).

Each seed is one input of `FuzzTarget`: a first byte naming the reader (L logs, J event log,
E Electricity Maps, D Energi Data Service, G Carbon Intensity API, I IP geolocation), then its bytes. A log seed is a
run's standard log, the separator line, and its output log.

    python3 scripts/make-fuzz-corpus.py [SWIFT_LOG_DIR ...]

Seeds come from the Python carbontracker 2.4.7 fixture logs, from logs this package wrote (pass the
directories, e.g. from `swift run TrainingExample --simulated --epochs 3 --log-dir DIR`; those already
in the corpus are kept), from hand-written logs for rare shapes, from hostile inputs (absurd numbers,
bytes that are not UTF-8, lines cut short by a full disk or a kill), and from provider answers in the shape
the services give (as in Tests/CarbonTrackerTests/Intensity/IntensityTestSupport.swift), stamped
2024-05-01, the fixed "now" of the fuzz target's forecasts.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "CarbonTrackerTests", "Fixtures")
CORPUS = os.path.join(FIXTURES, "fuzz", "corpus")
SEPARATOR = b"\n--- carbontracker_output.log ---\n"


def write(name, data):
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)


def log_seeds(directory, prefix):
    names = sorted(os.listdir(directory))
    for name in names:
        if not name.endswith("_carbontracker.log"):
            continue
        base = name[: -len("carbontracker.log")]
        output = base + "carbontracker_output.log"
        if output not in names:
            continue
        with open(os.path.join(directory, name), "rb") as f:
            standard = f.read()
        with open(os.path.join(directory, output), "rb") as f:
            out = f.read()
        write(prefix + base.rstrip("_"), b"L" + standard + SEPARATOR + out)
        events = base + "carbontracker_events.jsonl"
        if events in names:
            with open(os.path.join(directory, events), "rb") as f:
                write(prefix + base.rstrip("_") + "-events", b"J" + f.read())


HAND_WRITTEN = {
    # One rank of a distributed job (its Distributed lines) with a measurement window.
    "handwritten-distributed-rank-with-window": (
        "2026-01-01 00:00:00 - carbontracker version 2.4.7-swift.2\n"
        "2026-01-01 00:00:00 - The following components were found: GPU with device(s) Sim GPU. CPU with "
        "device(s) Sim CPU.\n"
        "2026-01-01 00:00:00 - Distributed run: job 4711 (slurm), step 0, node node1, rank 1 of 4, local rank 1 of 2, "
        "node rank 0, launcher slurm, pid 812\n"
        "2026-01-01 00:00:00 - Distributed measure: gpu \"Sim GPU\" [node1/rank 1/gpu/Sim GPU]; rule: a GPU source "
        "set up in this process belongs to it\n"
        "2026-01-01 00:00:00 - Distributed leave: cpu \"Sim CPU\" [node1/cpu/Sim CPU] to local rank 0; rule: local "
        "rank 0 measures the node-shared sources\n"
        "2026-01-01 00:00:00 - Monitoring thread started.\n"
        "2026-01-01 00:00:00 - Epoch 1:\n"
        "2026-01-01 00:00:02 - Duration: 0:00:02.00\n"
        "2026-01-01 00:00:02 - Average power usage (W) for gpu: 300.0\n"
        "2026-01-01 00:00:02 - Measured energy (J) for gpu: 600.0 [method: simulated]\n"
        "2026-01-01 00:00:03 - Window eval: duration 0:00:01.23, energy (J) for gpu: [369.0] [method: simulated], "
        "CO2eq (g): 0.07\n"
        "2026-01-01 00:00:03 - Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: DK: [150.0]\n"
        "2026-01-01 00:00:03 - Average carbon intensity during training was 150.00 gCO2eq/kWh.\n"
        "2026-01-01 00:00:03 - Monitoring thread ended.\n",
        "2026-01-01 00:00:03 - CarbonTracker: \n"
        "Actual consumption for 1 epoch(s):\n"
        "\tTime:\t0:00:02\n\tEnergy:\t0.000263333333 kWh\n\tCO2eq:\t0.039500000000 g\n",
    ),
    # numpy wraps long arrays of several GPUs onto continuation lines; a None epoch; early stop.
    "handwritten-multi-gpu-wrapped": (
        "2026-01-01 00:00:00 - carbontracker version 2.4.7\n"
        "2026-01-01 00:00:00 - The following components were found: GPU with device(s) A100, A100, A100, "
        "A100. CPU with device(s) Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz.\n"
        "2026-01-01 00:00:00 - Epoch 1:\n"
        "2026-01-01 00:00:10 - Duration: 0:00:10.00\n"
        "2026-01-01 00:00:10 - Average power usage (W) for gpu: [212.41234567 208.91234567 210.01234567\n"
        " 199.99999999]\n"
        "2026-01-01 00:00:10 - Average power usage (W) for cpu: None\n"
        "2026-01-01 00:00:10 - Epoch 2:\n"
        "2026-01-01 00:00:20 - Duration: 0:00:10.00\n"
        "2026-01-01 00:00:20 - Average power usage (W) for gpu: [1.e-05 30. 0. 7.5]\n"
        "2026-01-01 00:00:20 - Average power usage (W) for cpu: [55.5, 60.0]\n"
        "2026-01-01 00:00:20 - Training was interrupted before all 10 epochs were monitored.\n"
        "2026-01-01 00:00:20 - Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: "
        "Copenhagen, Capital Region, DK: [120.5, 130.0]\n"
        "2026-01-01 00:00:20 - Average carbon intensity during training was 125.25 gCO2eq/kWh.\n"
        "2026-01-01 00:00:20 - Monitoring thread ended.\n",
        "2026-01-01 00:00:10 - CarbonTracker: \n"
        "Predicted consumption for 10 epoch(s):\n"
        "\tTime:\t0:01:40\n\tEnergy:\t0.004861287512 kWh\n\tCO2eq:\t2.163272942849 g\n"
        "\tThis is equivalent to:\n\t0.020255364633 km travelled by car\n"
        "2026-01-01 00:00:20 - CarbonTracker: \n"
        "Actual consumption for 2 epoch(s):\n"
        "\tTime:\t0:00:20\n\tEnergy:\t0.000972257502 kWh\n\tCO2eq:\t0.121774251 g\n"
        "\tThis is equivalent to:\n\t0.001140208344 km travelled by car\n",
    ),
}

# Hostile shapes, as bytes: absurd numbers (overflowing, infinite, NaN, negative), bytes that are not
# UTF-8, and lines cut where a full disk or a kill cuts them.
_HEAD = (
    b"2026-01-01 00:00:00 - carbontracker version 2.4.7-swift.2\n"
    b"2026-01-01 00:00:00 - The following components were found: CPU with device(s) Sim CPU.\n"
)
HOSTILE = {
    "hostile-absurd-numbers": b"L" + _HEAD
    + b"2026-01-01 00:00:00 - Epoch 1:\n"
    b"2026-01-01 00:00:01 - Duration: 0:00:01.00\n"
    b"2026-01-01 00:00:01 - Average power usage (W) for cpu: 1.7e308\n"
    b"2026-01-01 00:00:01 - Measured energy (J) for cpu: inf [method: simulated]\n"
    b"2026-01-01 00:00:01 - Epoch 2:\n"
    b"2026-01-01 00:00:02 - Duration: 99999999:59:59.99\n"
    b"2026-01-01 00:00:02 - Average power usage (W) for cpu: nan\n"
    b"2026-01-01 00:00:02 - Measured energy (J) for cpu: -1e308 [method: counter]\n"
    b"2026-01-01 00:00:02 - Average carbon intensity during training was -nan gCO2eq/kWh.\n"
    b"2026-01-01 00:00:02 - Monitoring thread ended.\n"
    + SEPARATOR
    + b"2026-01-01 00:00:02 - CarbonTracker: \nActual consumption for 2 epoch(s):\n"
    b"\tTime:\t0:00:02\n\tEnergy:\tinf kWh\n\tCO2eq:\t1.7e308 g\n",
    "hostile-not-utf8": b"L"
    + b"2026-01-01 00:00:00 - carbontracker version 2.4.7\xff\xfe\n"
    b"2026-01-01 00:00:00 - The following components were found: CPU with device(s) caf\xe9 \xc3\x28.\n"
    b"2026-01-01 00:00:00 - Epoch 1:\n"
    b"2026-01-01 00:00:01 - Duration: 0:00:0\xe91.00\n"
    b"2026-01-01 00:00:01 - Average power usage (W) for cpu: 5\xa00.0\n"
    b"2026-01-01 00:00:01 - Measured energy (J) for cpu: 50.0 [method: \xe9]\n"
    + SEPARATOR
    + b"2026-01-01 00:00:01 - CarbonTracker: \nActual consumption for 1 epoch(s):\n"
    b"\tTime:\t0:00:01\n\tEnergy:\t0.0000\xff22 kWh\n",
    "hostile-truncated-lines": b"L" + _HEAD
    + b"2026-01-01 00:00:00 - Epoch 1:\n"
    b"2026-01-01 00:00:01 - Duration: 0:00:01.00\n"
    b"2026-01-01 00:00:01 - Average power usage (W) for cpu: 50.0\n"
    b"2026-01-01 00:00:01 - Measured energy (J) for cpu: 50.0 [method: incomplete]\n"
    b"2026-01-01 00:00:01 - Epoch 2:\n"
    b"2026-01-01 00:00:02 - Durat"
    + SEPARATOR
    + b"2026-01-01 00:00:02 - CarbonTracker: \nActual consumption for 2 epoch(s):\n\tTime:\t0:00:0",
    "hostile-killed-no-report": b"L" + _HEAD
    + b"2026-01-01 00:00:00 - Epoch 1:\n"
    b"2026-01-01 00:00:01 - Duration: 0:00:01.00\n"
    b"2026-01-01 00:00:01 - Average power usage (W) for cpu: 50.0\n"
    b"2026-01-01 00:00:01 - Epoch 2:\n"
    + SEPARATOR,
    "hostile-events-truncated": b"J"
    + b'{"schema":"carbontracker-events/1","event":"run_started","run_id":"r","time":"2026-01-01T00:00:00Z",'
    b'"settings":{"update_interval":"1e308"}}\n'
    b'{"schema":"carbontracker-events/1","event":"epoch_finished","run_id":"r","time":"2026-01-01T00:00:01Z",'
    b'"epoch":1,"duration_seconds":1e308,"components":[{"component":"cpu","devices":["caf\xe9"],'
    b'"energy_joules":[1.7e308],"method":"incomplete"}]}\n'
    b'{"schema":"carbontracker-events/1","event":"epoch_fini',
    "hostile-electricitymaps-absurd.json": b"E" + b'{"zone": "DK-DK2", "carbonIntensity": 1e308, '
    b'"datetime": "2024-05-01T12:00:00.000Z"}',
    "hostile-carbonintensitygb-nan.json": b"G" + b'{"data": [{"from": "2024-05-01T11:30Z", "to": "2024-05-01T12:00Z", '
    b'"intensity": {"forecast": -1e400, "actual": NaN, "index": "\xe9"}}]}',
}

PROVIDERS = {
    "electricitymaps-latest.json": b"E" + b'{"zone": "DK-DK2", "carbonIntensity": 142.0, '
    b'"datetime": "2024-05-01T12:00:00.000Z", "updatedAt": "2024-05-01T11:51:02.034Z", '
    b'"emissionFactorType": "lifecycle", "isEstimated": true, "estimationMethod": "TIME_SLICER_AVERAGE"}',
    "electricitymaps-forecast.json": b"E" + b'{"zone": "DK-DK2", "forecast": ['
    + b", ".join(
        b'{"carbonIntensity": %d, "datetime": "2024-05-01T%02d:00:00.000Z"}' % (100 + 7 * h, h) for h in range(12, 24)
    )
    + b'], "updatedAt": "2024-05-01T11:51:02.034Z"}',
    "energidataservice-co2emis.json": b"D" + b'{"total": 2, "filters": "{}", "limit": 48, "dataset": "CO2Emis", '
    b'"records": [{"Minutes5UTC": "2024-05-01T12:00:00", "Minutes5DK": "2024-05-01T14:00:00", '
    b'"PriceArea": "DK1", "CO2Emission": 120.0}, {"Minutes5UTC": "2024-05-01T12:00:00", '
    b'"Minutes5DK": "2024-05-01T14:00:00", "PriceArea": "DK2", "CO2Emission": 180.0}]}',
    "energidataservice-co2emisprog.json": b"D" + b'{"total": 24, "dataset": "CO2EmisProg", "records": ['
    + b", ".join(
        b'{"Minutes5UTC": "2024-05-01T%02d:%02d:00", "PriceArea": "DK%d", "CO2Emission": %d.5}'
        % (12 + m // 60, m % 60, 1 + (m // 5) % 2, 60 + m)
        for m in range(0, 120, 5)
    )
    + b"]}",
    "carbonintensitygb-national.json": b"G" + b'{"data": [{"from": "2024-05-01T11:30Z", "to": "2024-05-01T12:00Z", '
    b'"intensity": {"forecast": 141, "actual": 139, "index": "moderate"}}]}',
    "carbonintensitygb-regional.json": b"G" + b'{"data": [{"regionid": 13, "dnoregion": "UKPN London", '
    b'"shortname": "London", "postcode": "SW1A", "data": [{"from": "2024-05-01T11:30Z", '
    b'"to": "2024-05-01T12:00Z", "intensity": {"forecast": 141, "index": "moderate"}, '
    b'"generationmix": [{"fuel": "gas", "perc": 30.1}, {"fuel": "wind", "perc": 40.2}]}]}]}',
    "carbonintensitygb-window.json": b"G" + b'{"data": {"regionid": 13, "shortname": "London", "postcode": "SW1A", '
    b'"data": ['
    + b", ".join(
        b'{"from": "2024-05-01T%02d:%02dZ", "to": "2024-05-01T%02d:%02dZ", "intensity": {"forecast": %d, "index": "low"}}'
        % (12 + h // 2, 30 * (h % 2), 12 + (h + 1) // 2, 30 * ((h + 1) % 2), 90 + h)
        for h in range(8)
    )
    + b"]}}",
    "ipinfo.json": b"I" + b'{"ip": "203.0.113.7", "city": "London", "region": "England", "country": "GB", '
    b'"loc": "51.5,-0.12", "org": "AS64500 Example", "postal": "SW1A", "timezone": "Europe/London"}',
}


def main():
    os.makedirs(CORPUS, exist_ok=True)
    log_seeds(os.path.join(FIXTURES, "python-logs"), "python-")
    for directory in sys.argv[1:]:
        log_seeds(directory, "swift-")
    for name, (standard, output) in HAND_WRITTEN.items():
        write(name, b"L" + standard.encode() + SEPARATOR + output.encode())
    for name, data in PROVIDERS.items():
        write(name, data)
    for name, data in HOSTILE.items():
        write(name, data)
    print(len(os.listdir(CORPUS)), "seeds in", os.path.relpath(CORPUS, ROOT))


if __name__ == "__main__":
    main()
