#!/usr/bin/env bash
# Builds and runs the libFuzzer fuzzer of CarbonTracker's readers (see the Reliability article,
# Sources/CarbonTracker/CarbonTracker.docc/Reliability.md).
#
#   scripts/fuzz.sh build              # release build with -sanitize=fuzzer into .build/fuzz
#   scripts/fuzz.sh run SECONDS [DIR]  # fuzz for SECONDS; new inputs go to DIR (default: a temp dir)
#
# `run` starts from the seed corpus and every saved regression input, bounds each input to 5 s and
# the process to 1 GiB, and fails (status 1) on a finding: a trap, a broken promise of the fuzz target,
# a hang or a memory blow-up. The finding's input is printed in base64, to be saved under
# Tests/CarbonTrackerTests/Fixtures/fuzz/regressions/ so that `swift test` replays it. Every input the
# fuzzer kept is then replayed by the debug build of the same target (`swift build` makes it), whose
# unsafe-buffer reads are bounds-checked.
set -euo pipefail
cd "$(dirname "$0")/.."
fixtures=Tests/CarbonTrackerTests/Fixtures/fuzz
binary=.build/fuzz/release/CarbonTrackerFuzz

case "${1:-}" in
build)
    swift build -c release --scratch-path .build/fuzz --product CarbonTrackerFuzz \
        -Xswiftc -sanitize=fuzzer -Xswiftc -DCARBONTRACKER_LIBFUZZER
    ;;
run)
    seconds="${2:?usage: scripts/fuzz.sh run SECONDS [DIR]}"
    corpus="${3:-$(mktemp -d)}"
    mkdir -p "$corpus"
    artifacts=$(mktemp -d)
    # The target writes two small logs per input; tmpfs keeps that off the disk.
    scratch=/dev/shm
    [ -w "$scratch" ] || scratch="${TMPDIR:-/tmp}"
    status=0
    TMPDIR="$scratch" SWIFT_BACKTRACE=enable=no "$binary" \
        -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=16384 \
        -dict=Fuzz/carbontracker.dict -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" "$fixtures/corpus" "$fixtures/regressions" >"$artifacts/log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^(==|SUMMARY|Fatal|.*Fatal error)|ERROR|Test unit written' \
        "$artifacts/log" || true
    if [ "$status" -ne 0 ] || ls "$artifacts" | grep -qE '^(crash|timeout|oom|leak)-'; then
        tail -n 60 "$artifacts/log"
        for finding in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
            [ -e "$finding" ] || continue
            echo "== finding $(basename "$finding") (base64; save it in $fixtures/regressions/):"
            base64 -w 100 "$finding"
        done
        echo "fuzzing found a problem (libFuzzer status $status)" >&2
        exit 1
    fi
    if [ -x .build/debug/CarbonTrackerFuzz ]; then
        SWIFT_BACKTRACE=enable=no .build/debug/CarbonTrackerFuzz "$corpus"
    fi
    rm -rf "$artifacts"
    [ -n "${3:-}" ] || rm -rf "$corpus"
    ;;
*)
    echo "usage: scripts/fuzz.sh build | run SECONDS [DIR]" >&2
    exit 2
    ;;
esac
