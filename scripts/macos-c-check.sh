#!/usr/bin/env bash
# Compiles every C target of the package for macOS (aarch64 and x86_64) against the macOS libc headers
# that the `ziglang` Python package bundles, and links each target into a dynamic library against macOS's
# libSystem stubs, so a Linux machine can tell whether the C code builds on a Mac: a Linux-only header,
# field or function fails the compile, a symbol macOS lacks fails the link. Warnings are errors.
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
    ls "$target_dir"*.c >/dev/null 2>&1 || continue
    for triple in aarch64-macos x86_64-macos; do
        built=()
        failed=0
        for source in "$target_dir"*.c; do
            count=$((count + 1))
            object="$objects/$target-$triple-$(basename "$source" .c).o"
            if "$python" -m ziglang cc -target "$triple" -std=gnu11 -Wall -Wextra -Werror \
                -I "${target_dir}include" -c "$source" -o "$object"; then
                built+=("$object")
            else
                echo "FAIL compile $triple $source" >&2
                failed=1
            fi
        done
        if [ "$failed" = 0 ] && "$python" -m ziglang cc -target "$triple" -shared "${built[@]}" \
            -o "$objects/lib$target-$triple.dylib"; then
            echo "ok   $triple $target (compiled and linked)"
        else
            [ "$failed" = 1 ] || echo "FAIL link $triple $target" >&2
            status=1
        fi
    done
done
[ "$count" -gt 0 ] || { echo "no C sources found under Sources/C*/" >&2; exit 1; }
exit "$status"
