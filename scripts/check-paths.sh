#!/usr/bin/env bash
# Fails when a source, documentation or script file names a repository path under docs/, scripts/,
# Sources/ or Tests/ that does not exist, so messages, comments and articles never point at nothing.
#
# Usage: scripts/check-paths.sh            (from anywhere; it works in the repository root)
# A path is a run of letters, digits and `_ . / + -` after one of those four folder names, not preceded
# by a letter, digit, `.`, `/` or `-` (so `.build/...` paths and URLs are not taken for repository paths).
# Globs and interpolations end the path where they start (`Sources/*/include` names nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

python3 - <<'PY'
import os, re, subprocess, sys

checked_suffixes = (".swift", ".md", ".sh", ".py", ".c", ".h", ".json", ".dict", ".yml", ".yaml")
checked_names = {".ci/run", "Package.swift"}
# Inputs and outputs, not prose: fixtures, fuzz inputs, the reference tables, and the tests of the
# repository's checkers, which name made-up paths on purpose.
skipped_prefixes = ("Tests/CarbonTrackerTests/Fixtures/", "data/", os.path.join("scripts", "test_"))

path_pattern = re.compile(r"(?<![A-Za-z0-9_./-])((?:docs|scripts|Sources|Tests)/[A-Za-z0-9_./+-]*[A-Za-z0-9_+-])")

files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                       check=True, capture_output=True, text=True).stdout.split("\n")
missing = []
scanned = 0
for name in files:
    if not name or not os.path.isfile(name):
        continue
    if name.startswith(skipped_prefixes):
        continue
    if not (name.endswith(checked_suffixes) or name in checked_names):
        continue
    scanned += 1
    with open(name, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            for match in path_pattern.finditer(line):
                # A glob or a variable right after it: a pattern, not one path.
                if line[match.end():match.end() + 1] in ("*", "?", "[", "$", "{"):
                    continue
                path = match.group(1).rstrip(".")
                if not os.path.exists(path):
                    missing.append(f"{name}:{number}: {path}")
if missing:
    print("These paths are named but do not exist; point them at what exists:", file=sys.stderr)
    print("\n".join(missing), file=sys.stderr)
    sys.exit(1)
print(f"check-paths: every docs/, scripts/, Sources/ and Tests/ path named in {scanned} files exists")
PY
