#!/bin/sh
# spill map and spill join from the command line: outputs, summaries, and
# clear errors for bad input (exit 1) and bad usage (exit 2).
# usage: sh map.sh SPILL_EXE SHARED_DIR TMPDIR
spill=$1
shared=$2
tmp=$3
map="$shared/data/world.shp"
if [ ! -f "$map" ]; then
  echo "SKIP: $map not found (the shared data is not beside this clone)"
  exit 77
fi
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# per-country values in the layout of `spill fit --city-effects` (ids are
# record numbers 1..177; 170 rows, so 7 countries have no value)
awk 'BEGIN { print "id,pilot,own,received,received_lo,received_hi,sent,total";
  for (i = 1; i <= 170; i++) printf "%d,%d,%g,%g,%g,%g,%g,%g\n", i, (i % 9 == 0), (i % 9 == 0) * 0.1,
    sin(i) / 10, sin(i) / 10 - 0.02, sin(i) / 10 + 0.02, (i % 9 == 0) * 0.3, sin(i) / 10 + (i % 9 == 0) * 0.1 }' \
  > "$tmp/effects.csv"

# a map in one step, pilots outlined
"$spill" map "$map" --values "$tmp/effects.csv" --field received --highlight pilot \
  --method jenks --classes 6 --title "Spillover received" -o "$tmp/received.png" > "$tmp/out.txt" 2> "$tmp/err.txt"
[ $? -eq 0 ] || fail "map exit status $? ($(cat "$tmp/err.txt"))"
grep -q "177 of 177 units drawn" "$tmp/out.txt" || fail "map summary: $(cat "$tmp/out.txt")"
grep -q "170 units with a row, 7 without" "$tmp/out.txt" || fail "match summary"
grep -q "Outlined (pilot): 18" "$tmp/out.txt" || fail "pilots outlined"
grep -q "Classes: 6 (Fisher-Jenks natural breaks), palette rdbu" "$tmp/out.txt" || fail "classes line"
grep -q "Projection: Equal Earth" "$tmp/out.txt" || fail "projection line"
grep -q "  no data  *7$" "$tmp/out.txt" || fail "missing count"
head -c 8 "$tmp/received.png" | od -c | grep -q "P   N   G" || fail "not a PNG"

# SVG and PDF
"$spill" map "$map" --values "$tmp/effects.csv" --field total --palette puor -o "$tmp/total.svg" > /dev/null || fail "svg"
head -c 5 "$tmp/total.svg" | grep -q "<?xml" || fail "not an SVG"
"$spill" map "$map" --values "$tmp/effects.csv" --field total --method breaks:-0.05,0,0.05 -o "$tmp/total.pdf" > /dev/null || fail "pdf"
head -c 5 "$tmp/total.pdf" | grep -q "%PDF" || fail "not a PDF"

# a field that does not exist: exit 1, the columns listed
"$spill" map "$map" --values "$tmp/effects.csv" --field spillover -o "$tmp/x.png" > /dev/null 2> "$tmp/err.txt"
[ $? -eq 1 ] || fail "missing field: exit status"
grep -q "has no column 'spillover' (columns: id, pilot, own, received" "$tmp/err.txt" || fail "missing field message: $(cat "$tmp/err.txt")"
[ ! -e "$tmp/x.png" ] || fail "output written despite the error"

# ids not in the map: an error that counts and lists them, unless allowed
cp "$tmp/effects.csv" "$tmp/extra.csv"
printf '9001,0,0,0.1,0,0,0,0\n9002,0,0,0.1,0,0,0,0\n' >> "$tmp/extra.csv"
"$spill" map "$map" --values "$tmp/extra.csv" --field received -o "$tmp/x.png" > /dev/null 2> "$tmp/err.txt"
[ $? -eq 1 ] || fail "unmatched ids: exit status"
grep -q "2 of 172 ids in column 'id' are not in the map .*(9001, 9002)" "$tmp/err.txt" || fail "unmatched message: $(cat "$tmp/err.txt")"
"$spill" map "$map" --values "$tmp/extra.csv" --field received --allow-unmatched -o "$tmp/x.png" > "$tmp/out.txt" || fail "--allow-unmatched"
grep -q "Not in the map: 2 CSV ids (9001, 9002)" "$tmp/out.txt" || fail "unmatched listed"

# an unwritable output path
"$spill" map "$map" --values "$tmp/effects.csv" --field received -o /nonexistent-dir/m.png > /dev/null 2> "$tmp/err.txt"
[ $? -eq 1 ] || fail "unwritable: exit status"
grep -q "cannot write /nonexistent-dir/m.png" "$tmp/err.txt" || fail "unwritable message: $(cat "$tmp/err.txt")"

# usage errors exit 2
"$spill" map "$map" --field received > /dev/null 2>&1
[ $? -eq 2 ] || fail "no -o: exit status"
"$spill" map "$map" --values "$tmp/effects.csv" --field received --method kmeans -o "$tmp/x.png" > /dev/null 2>&1
[ $? -eq 2 ] || fail "bad method: exit status"
"$spill" map --help | grep -q "usage: spill map" || fail "map --help"

# join: the columns as DBF fields beside the shapes, .prj copied
"$spill" join "$map" --values "$tmp/effects.csv" -o "$tmp/joined.shp" > "$tmp/out.txt" 2> "$tmp/err.txt"
[ $? -eq 0 ] || fail "join exit status ($(cat "$tmp/err.txt"))"
for e in shp shx dbf prj; do [ -f "$tmp/joined.$e" ] || fail "joined.$e missing"; done
cmp -s "$shared/data/world.prj" "$tmp/joined.prj" || fail ".prj not copied"
cmp -s "$map" "$tmp/joined.shp" || fail "shapes not copied unchanged"
grep -q "Fields added (7): pilot N(1,0), own N(3,1), received N" "$tmp/out.txt" || fail "join fields: $(cat "$tmp/out.txt")"
grep -q "received_lo->received_l, received_hi->received_h" "$tmp/out.txt" || fail "join renames"
"$spill" join "$map" --values "$tmp/extra.csv" -o "$tmp/bad.shp" > /dev/null 2>&1
[ $? -eq 1 ] || fail "join unmatched: exit status"
[ ! -e "$tmp/bad.shp" ] && [ ! -e "$tmp/bad.dbf" ] || fail "join left output after an error"
"$spill" join --help | grep -q "usage: spill join" || fail "join --help"

if [ $fails -gt 0 ]; then
  echo "map.sh: $fails failed"
  exit 1
fi
echo "map.sh: all passed"
