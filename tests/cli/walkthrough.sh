#!/bin/sh
# examples/walkthrough.sh runs to the end and leaves every output it promises.
# usage: walkthrough.sh SPILL_EXE SHARED_DIR TMPDIR
set -u
spill=$1 shared=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
if ! sh ../../examples/walkthrough.sh "$spill" "$shared/data" "$tmp/out" >"$tmp/log.txt" 2>&1; then
  echo "FAIL: the walkthrough stopped:"; tail -30 "$tmp/log.txt"; exit 1
fi
fails=0
for f in queen.gal knn6.gal idw300.gwt queen_dense.csv fit.json city_effects.csv table8.tex \
         received.png effects.shp effects.dbf; do
  if [ -s "$tmp/out/$f" ]; then echo "ok   $f"; else echo "FAIL missing $f"; fails=$((fails + 1)); fi
done
grep -q 'IDW 300 km' "$tmp/out/table8.tex" || { echo "FAIL table8.tex lacks the third column"; fails=$((fails + 1)); }
echo "walkthrough.sh: $fails failed"
[ "$fails" -eq 0 ]
