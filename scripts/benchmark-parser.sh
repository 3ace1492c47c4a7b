#!/bin/sh
# Times `carbontracker --parse` against Python carbontracker's parser on the same 10,000 log files
# (5,000 runs copied from the Python fixtures).
#
#   scripts/benchmark-parser.sh [PYTHON]     PYTHON: an interpreter with carbontracker installed
#
# Builds the release CLI first. Without PYTHON (or when it lacks carbontracker) only Swift is timed.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

swift build -c release --product carbontracker --package-path "$root" >/dev/null
cli=$(swift build -c release --show-bin-path --package-path "$root")/carbontracker

fixtures="$root/Tests/CarbonTrackerTests/Fixtures/python-logs"
logs="$work/logs"
mkdir "$logs"
i=0
while [ "$i" -lt 5000 ]; do
    for std in "$fixtures"/*_carbontracker.log; do
        [ "$i" -lt 5000 ] || break
        base=${std%carbontracker.log}
        cp "$std" "$logs/run$i.0_2026-01-01T000000Z_carbontracker.log"
        cp "${base}carbontracker_output.log" "$logs/run$i.0_2026-01-01T000000Z_carbontracker_output.log"
        i=$((i + 1))
    done
done
echo "files: $(ls "$logs" | wc -l)"

now() { date +%s.%N; }

start=$(now)
"$cli" --parse "$logs" >/dev/null
end=$(now)
echo "swift  carbontracker --parse: $(echo "$end - $start" | bc) s"

if "$python" -c "import carbontracker.parser" 2>/dev/null; then
    start=$(now)
    "$python" -c "import sys; from carbontracker import parser; parser.print_aggregate(sys.argv[1])" "$logs" >/dev/null
    end=$(now)
    echo "python parser.print_aggregate: $(echo "$end - $start" | bc) s"
    start=$(now)
    "$python" -c "import sys; from carbontracker import parser; parser.parse_all_logs(sys.argv[1])" "$logs" >/dev/null
    end=$(now)
    echo "python parser.parse_all_logs:  $(echo "$end - $start" | bc) s"
else
    echo "python: carbontracker not importable with '$python'; skipped"
fi
