#!/bin/sh
# spill --version names spill and the libraries it was built with; spill --help.
# usage: sh version.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc
for lib in spill GEOS PROJ shapelib SuiteSparse cairo ReadStat SQLite jansson; do
  expect 0 "$lib " -- "$SPILL" --version
done
# each version is a number, not "unknown"
"$SPILL" --version > "$tmp/v.txt"
if grep -q unknown "$tmp/v.txt" || [ "$(grep -cE '^[A-Za-z]+ [0-9]+\.[0-9]+' "$tmp/v.txt")" -lt 9 ]; then
  echo "FAIL: a version is missing"; sed 's/^/  | /' "$tmp/v.txt"; fail=1
fi
expect 0 "usage: spill COMMAND" -- "$SPILL" --help
expect 2 "unknown command" -- "$SPILL" nonsense
exit $fail
