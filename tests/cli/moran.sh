#!/bin/sh
# spill moran, lisa and diagnose from the command line: values against spdep
# (refs/README.md), reproducible permutations, outputs, and clear errors for
# bad input (exit 1) and bad usage (exit 2).
# usage: sh moran.sh SPILL_EXE SHARED_DIR TMPDIR
spill=$1
shared=$2
tmp=$3
map="$shared/data/columbus.shp"
gal="$shared/refs/columbus_queen.gal"
if [ ! -f "$map" ] || [ ! -f "$gal" ]; then
  echo "SKIP: $map not found (the shared data is not beside this clone)"
  exit 77
fi
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1
fail=0
. ./expect.inc

# help with an example, usage errors (2), input errors (1)
expect 0 "example" -- "$spill" moran --help
expect 0 "example" -- "$spill" lisa --help
expect 0 "example" -- "$spill" diagnose --help
expect 2 "--var" -- "$spill" moran --map "$map" --w "$gal"
expect 2 "give --w FILE or --contiguity" -- "$spill" moran --map "$map" --var CRIME
expect 2 "--perm" -- "$spill" moran --map "$map" --var CRIME --w "$gal" --perm -3
expect 2 "unknown option" -- "$spill" moran --map "$map" --var CRIME --w "$gal" --bogus 1
expect 2 "--map MAP.shp is required" -- "$spill" lisa --data x.csv --id a --time b --var c --w "$gal" --cluster-map o.png
expect 2 "--alpha" -- "$spill" lisa --map "$map" --var CRIME --w "$gal" --alpha 2
expect 1 "no field 'NOPE'" -- "$spill" moran --map "$map" --var NOPE --w "$gal"
expect 1 "cannot" -- "$spill" moran --map "$map" --var CRIME --w "$tmp/missing.gal"

# Moran's I and Geary's C of CRIME: spdep moran.test / geary.test
expect 0 "0.500189" -- "$spill" moran --map "$map" --var CRIME --w "$gal"
"$spill" moran --map "$map" --var CRIME --w "$gal" --format csv > "$tmp/m.csv" || fail=1
awk -F, 'NR == 2 { d1 = $4 - 0.500188557183; d2 = $10 - 5.589382675045; d3 = $12 - 0.540528202702; d4 = $18 - 4.743061500504;
  if (d1 * d1 > 1e-20 || d2 * d2 > 1e-16 || d3 * d3 > 1e-20 || d4 * d4 > 1e-16) { print "FAIL: Moran CSV " $0; exit 1 } }' \
  "$tmp/m.csv" || fail=1
# contiguity built from the map gives the same W as the GAL file
"$spill" moran --map "$map" --var CRIME --contiguity queen --format csv > "$tmp/m2.csv" || fail=1
cmp -s "$tmp/m.csv" "$tmp/m2.csv" || { echo "FAIL: --contiguity queen differs from the GAL"; fail=1; }
# permutations: the same seed, the same p; JSON and LaTeX outputs
"$spill" moran --map "$map" --var HOVAL --w "$gal" --perm 199 --seed 9 --format json --out "$tmp/a.json" > /dev/null || fail=1
"$spill" moran --map "$map" --var HOVAL --w "$gal" --perm 199 --seed 9 --out "$tmp/b.json" > /dev/null || fail=1
cmp -s "$tmp/a.json" "$tmp/b.json" || { echo "FAIL: same seed, different JSON"; fail=1; }
grep -q '"p_permutation"' "$tmp/a.json" || { echo "FAIL: JSON lacks p_permutation"; fail=1; }
expect 0 "\\toprule" -- "$spill" moran --map "$map" --var CRIME --w "$gal" --format latex
# residuals: the exact moments (I = 0.222109, E = -0.033418)
expect 0 "I = 0.222109  E(I) = -0.033418" -- "$spill" moran --map "$map" --var CRIME --x INC,HOVAL --resid --w "$gal"

# LISA: outputs, counts, reproducible
"$spill" lisa --map "$map" --var CRIME --w "$gal" --perm 499 --seed 3 --csv "$tmp/l.csv" --shp "$tmp/l.shp" \
  --cluster-map "$tmp/l.png" --scatter "$tmp/s.svg" > "$tmp/lisa.txt" 2>&1 || { echo "FAIL: lisa"; cat "$tmp/lisa.txt"; fail=1; }
grep -q "High-High" "$tmp/lisa.txt" || { echo "FAIL: lisa summary"; fail=1; }
[ "$(wc -l < "$tmp/l.csv")" -eq 50 ] || { echo "FAIL: lisa CSV rows"; fail=1; }
head -c 8 "$tmp/l.png" | od -c | grep -q "P   N   G" || { echo "FAIL: cluster map not a PNG"; fail=1; }
head -c 5 "$tmp/s.svg" | grep -q "<?xml" || { echo "FAIL: scatter not an SVG"; fail=1; }
[ -f "$tmp/l.dbf" ] || { echo "FAIL: no joined shapefile"; fail=1; }
# local I_1 (record 1) as spdep localmoran
awk -F, '$1 == "1" { d = $5 - 0.736818490608; if (d * d > 1e-20) { print "FAIL: I_1 " $5; exit 1 } }' "$tmp/l.csv" || fail=1
"$spill" lisa --map "$map" --var CRIME --w "$gal" --perm 499 --seed 3 --csv "$tmp/l2.csv" > /dev/null || fail=1
cmp -s "$tmp/l.csv" "$tmp/l2.csv" || { echo "FAIL: lisa not reproducible with --seed"; fail=1; }
expect 0 "Benjamini-Hochberg" -- "$spill" lisa --map "$map" --var CRIME --w "$gal" --fdr

# diagnose on Produc / usaww (splm's W Q y convention reproduces slmtest)
produc="$shared/data/produc.csv"
usaww="$shared/data/usaww.csv"
if [ -f "$produc" ] && [ -f "$usaww" ]; then
  awk -F, 'NR == 1 { print "state,year,lgsp,lpcap,lpc,lemp,unemp"; next }
    { printf "%s,%s,%.17g,%.17g,%.17g,%.17g,%s\n", $1, $2, log($9), log($4), log($8), log($10), $11 }' \
    "$produc" > "$tmp/produc_log.csv"
  "$spill" diagnose --data "$tmp/produc_log.csv" --id state --time year --y lgsp --x lpcap,lpc,lemp,unemp \
    --w "$usaww" --wy splm --format csv --out "$tmp/d.csv" > /dev/null 2> "$tmp/err.txt" || { echo "FAIL: diagnose"; cat "$tmp/err.txt"; fail=1; }
  grep -q '^"LM tests, two-way FE",LM-lag,69.1662886' "$tmp/d.csv" || { echo "FAIL: diagnose two-way LM-lag"; grep "two-way" "$tmp/d.csv"; fail=1; }
  grep -q '^"LM tests, unit FE",Robust LM-error,94.9225355' "$tmp/d.csv" || { echo "FAIL: diagnose unit RLM-error"; fail=1; }
  # Hausman of the spatial lag model against splm sphtest 83.079300280285, df 4
  # (splm's RE optimiser stops 7e-6 short of the maximum: see README)
  awk -F, '/^Fixed or random effects,Hausman/ { d = ($3 - 83.079300280285) / 83.0793; if (d < 0) d = -d;
    ok = d < 2e-5 && $4 == 4 } END { exit !ok }' "$tmp/d.csv" || { echo "FAIL: Hausman row"; grep Hausman "$tmp/d.csv"; fail=1; }
  grep -q '^SDM vs SAR/SEM (two-way FE),LR SDM vs SAR' "$tmp/d.csv" || { echo "FAIL: SDM rows"; fail=1; }
  expect 0 "Reading" -- "$spill" diagnose --data "$tmp/produc_log.csv" --id state --time year --y lgsp --x lpcap,lpc,lemp,unemp --w "$usaww" --no-sdm
  expect 2 "--x" -- "$spill" diagnose --data "$tmp/produc_log.csv" --id state --time year --y lgsp --w "$usaww"
fi
exit $fail
