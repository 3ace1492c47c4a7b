#!/usr/bin/env bash
# Builds the DocC catalogue of the CarbonTracker library with the toolchain's own docc (no plugin
# package): builds the package, extracts the public symbol graph of the CarbonTracker module, and
# converts Sources/CarbonTracker/CarbonTracker.docc into .build/documentation/CarbonTracker.doccarchive.
# Warnings are errors, so a broken symbol link (``Name`` that names no symbol), a missing article
# or a missing image fails the script.
#
# Usage: scripts/build-docs.sh            (run from anywhere; it works in the repository root)
# The script runs `swift build` itself; a caller that shares the machine with other builds wraps
# the whole script in its own lock.
set -euo pipefail
cd "$(dirname "$0")/.."

# Lower modules that CarbonTracker re-exports (`@_exported import`), comma-separated: their public
# symbols become part of the CarbonTracker symbol graph, so the catalogue can link to them.
REEXPORTED_MODULES="CarbonTrackerSources,CarbonTrackerMonitor"

MODULE=CarbonTracker
CATALOGUE=Sources/CarbonTracker/CarbonTracker.docc
BUNDLE_IDENTIFIER=org.carbontracker.swift.CarbonTracker
OUTPUT=.build/documentation/CarbonTracker.doccarchive
SYMBOL_GRAPHS=.build/documentation/symbol-graphs

toolchain_bin=$(dirname "$(readlink -f "$(command -v swift)")")
docc="$toolchain_bin/docc"
extract="$toolchain_bin/swift-symbolgraph-extract"
for tool in "$docc" "$extract"; do
    [ -x "$tool" ] || { echo "build-docs: $tool not found; install a Swift toolchain that ships docc and swift-symbolgraph-extract" >&2; exit 1; }
done

echo "build-docs: swift build"
swift build

modules="$(swift build --show-bin-path)/Modules"
triple=$(swift -print-target-info | sed -n 's/^ *"triple": "\(.*\)",*$/\1/p' | head -1)
[ -n "$triple" ] || { echo "build-docs: could not read the host triple from swift -print-target-info" >&2; exit 1; }

# The C targets' module maps, so the extractor can load the modules the library imports.
clang_args=()
for map in "$(swift build --show-bin-path)"/*.build/module.modulemap; do
    [ -e "$map" ] && clang_args+=(-Xcc "-fmodule-map-file=$map")
done
for include in Sources/*/include; do
    [ -d "$include" ] && clang_args+=(-Xcc -I -Xcc "$include")
done

reexport_args=()
[ -n "$REEXPORTED_MODULES" ] && reexport_args+=("-experimental-allowed-reexported-modules=$REEXPORTED_MODULES")

rm -rf "$SYMBOL_GRAPHS" "$OUTPUT"
mkdir -p "$SYMBOL_GRAPHS"
echo "build-docs: swift-symbolgraph-extract -module-name $MODULE ($triple)"
"$extract" -module-name "$MODULE" -I "$modules" -target "$triple" \
    -minimum-access-level public \
    "${clang_args[@]}" "${reexport_args[@]}" \
    -output-dir "$SYMBOL_GRAPHS"

echo "build-docs: docc convert $CATALOGUE"
"$docc" convert "$CATALOGUE" \
    --additional-symbol-graph-dir "$SYMBOL_GRAPHS" \
    --fallback-display-name "$MODULE" \
    --fallback-bundle-identifier "$BUNDLE_IDENTIFIER" \
    --output-path "$OUTPUT" \
    --warnings-as-errors
echo "build-docs: wrote $OUTPUT"
