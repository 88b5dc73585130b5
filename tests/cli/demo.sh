#!/bin/sh
# spill demo: runs end to end, recovers the simulated effects, writes its outputs.
# usage: demo.sh SPILL_EXE SHARED_DIR TMPDIR
set -u
spill=$1 shared=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
fails=0
ok() { printf 'ok   %s\n' "$1"; }
bad() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
expect() { # expect NAME COMMAND-STATUS WANTED-STATUS
  if [ "$2" -eq "$3" ]; then ok "$1"; else bad "$1 (exit $2, wanted $3)"; fi
}
has() { # has NAME FILE PATTERN
  if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1: '$3' not in $2"; sed 's/^/    /' "$2" | head -40; fi
}

"$spill" demo --help >"$tmp/help.txt" 2>&1
expect "demo --help exits 0" $? 0
has "help names the options" "$tmp/help.txt" "--generated"

"$spill" demo --generated --n 150 --draws 300 --out "$tmp/gen" >"$tmp/gen.txt" 2>&1
expect "demo on a generated network" $? 0
has "generated map is used" "$tmp/gen.txt" "150 units"
has "effects recovered" "$tmp/gen.txt" "3 of 3 true effects inside"
for f in network.shp city_effects.csv spillover_map.png city_effects.shp city_effects.dbf \
         table8.csv table8.tex fit_adjacency.json w_adjacency.gwt panel.csv; do
  if [ -s "$tmp/gen/$f" ]; then ok "wrote $f"; else bad "missing output $f"; fi
done
if head -c 8 "$tmp/gen/spillover_map.png" | od -An -c | grep -q 'P   N   G'; then ok "PNG signature"; else bad "not a PNG"; fi
has "JSON carries effects" "$tmp/gen/fit_adjacency.json" '"effects"'
has "city effects CSV header" "$tmp/gen/city_effects.csv" "^id,pilot,own"
# no temporary files left behind
if ls "$tmp/gen" | grep -q '\.tmp'; then bad "temporary files left in the output folder"; else ok "no temporary files"; fi

"$spill" demo --generated --out /proc/no/such/dir >"$tmp/badout.txt" 2>&1
expect "unwritable output folder fails" $? 1
has "message names the folder" "$tmp/badout.txt" "/proc/no/such/dir"

"$spill" demo --bogus >"$tmp/bogus.txt" 2>&1
expect "unknown option is a usage error" $? 2

if [ -f "$shared/data/china_prefectures.shp" ]; then
  "$spill" demo --data "$shared/data" --out "$tmp/china" >"$tmp/china.txt" 2>&1
  expect "demo on China's prefectures" $? 0
  has "333 prefecture units" "$tmp/china.txt" "333 units"
  has "China: effects recovered" "$tmp/china.txt" "3 of 3 true effects inside"
  has "every unit drawn" "$tmp/china.txt" "333 of 333 units drawn"
else
  echo "skip China run: $shared/data/china_prefectures.shp not found"
fi

echo "demo.sh: $fails failed"
[ "$fails" -eq 0 ]
