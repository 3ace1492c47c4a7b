#!/usr/bin/env bash
# Compiles every C target of the package for macOS (aarch64 and x86_64) against the macOS libc headers
# that the `ziglang` Python package bundles, so a Linux machine can tell whether the C code builds on a
# Mac. Fails on any error or warning.
# Usage: scripts/macos-c-check.sh PYTHON   (a Python with `ziglang` installed)
set -euo pipefail
cd "$(dirname "$0")/.."
python="${1:?usage: scripts/macos-c-check.sh PYTHON (with the ziglang package installed)}"
objects=$(mktemp -d)
trap 'rm -rf "$objects"' EXIT
status=0
count=0
for target_dir in Sources/C*/; do
    target=$(basename "$target_dir")
    for source in "$target_dir"*.c; do
        [ -e "$source" ] || continue
        for triple in aarch64-macos x86_64-macos; do
            count=$((count + 1))
            if "$python" -m ziglang cc -target "$triple" -std=gnu11 -Wall -Wextra -Werror \
                -I "${target_dir}include" -c "$source" -o "$objects/$target-$triple.o"; then
                echo "ok   $triple $source"
            else
                echo "FAIL $triple $source" >&2
                status=1
            fi
        done
    done
done
[ "$count" -gt 0 ] || { echo "no C sources found under Sources/C*/" >&2; exit 1; }
exit "$status"
