#!/bin/sh
# spill weights info|convert: formats, round trips, exit codes and messages.
# usage: sh weights_files.sh SPILL_EXE SHARED_DIR TMPDIR   (exit 0 pass, 1 fail, 77 skip)
spill=$1
shared=$2
tmp=$3
fail=0
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

. ./expect.inc

# help and usage errors
expect 0 "usage: spill weights info FILE" -- "$spill" weights info --help
expect 0 "example:" -- "$spill" weights convert -h
expect 2 "no weight file given" -- "$spill" weights info
expect 2 "give an input and an output file" -- "$spill" weights convert a.gal
expect 2 "unknown format 'xls'" -- "$spill" weights convert a.gal b.csv --format xls
expect 2 "cannot tell the format of 'b.xls'" -- "$spill" weights convert a.gal b.xls
expect 2 "unknown option '--bogus'" -- "$spill" weights info a.gal --bogus
expect 2 "would overwrite the input" -- "$spill" weights convert a.gal a.gal
expect 1 "cannot open $tmp/none.gal" -- "$spill" weights info "$tmp/none.gal"

# a small file with an island and ids with a space and non-ASCII text
cat >"$tmp/small.gal" <<'GAL'
4
"New York" 2
北京 Paris
北京 1
"New York"
Paris 1
"New York"
alone 0

GAL
expect 0 "Number of regions: 4" -- "$spill" weights info "$tmp/small.gal"
expect 0 "1 region with no links: alone" -- "$spill" weights info "$tmp/small.gal"
expect 0 "Looks like: B (binary)" -- "$spill" weights info "$tmp/small.gal"
for ext in gwt mtx csv; do
  expect 0 "Written: $tmp/small.$ext" -- "$spill" weights convert "$tmp/small.gal" "$tmp/small.$ext"
  expect 0 "1 region with no links: alone" -- "$spill" weights info "$tmp/small.$ext"
  expect 0 "Written: $tmp/back_$ext.gal" -- "$spill" weights convert "$tmp/small.$ext" "$tmp/back_$ext.gal"
  cmp -s "$tmp/small.gal" "$tmp/back_$ext.gal" || { echo "FAIL: small.gal -> $ext -> gal differs"; diff "$tmp/small.gal" "$tmp/back_$ext.gal"; fail=1; }
done
expect 0 "Written: $tmp/dense.csv" -- "$spill" weights convert "$tmp/small.gal" "$tmp/dense.csv" --format dense --style W
head -1 "$tmp/dense.csv" | grep -qF 'id,New York,北京,Paris,alone' || { echo "FAIL: dense header"; head -1 "$tmp/dense.csv"; fail=1; }
expect 0 "Looks like: W (row-standardised)" -- "$spill" weights info "$tmp/dense.csv"
expect 0 "1 region with no links: alone" -- "$spill" weights info "$tmp/dense.csv"
# a GAL out of weighted links says what it leaves out
expect 0 "GAL keeps only the neighbour pattern" -- "$spill" weights convert "$tmp/dense.csv" "$tmp/pattern.gal"

# transforms on the way
printf 'id_i,id_j,w\na,b,2\nb,c,1\nc,c,5\n' >"$tmp/asym.csv"
expect 0 "Symmetric: no" -- "$spill" weights info "$tmp/asym.csv"
expect 0 "Symmetric: yes" -- "$spill" weights convert "$tmp/asym.csv" "$tmp/sym.mtx" --symmetrize average --zero-diagonal
grep -q '^3 3 4$' "$tmp/sym.mtx" || { echo "FAIL: sym.mtx should hold 4 entries"; cat "$tmp/sym.mtx"; fail=1; }
grep -q '^1 2 1$' "$tmp/sym.mtx" || { echo "FAIL: (W+W')/2 of a->b = 2 should be 1"; fail=1; }
expect 2 "--symmetrize expects average, max or min" -- "$spill" weights convert "$tmp/asym.csv" "$tmp/x.gal" --symmetrize up

# bad files name the file and the line
printf '3\n1 1\n2\n2 1\n1\n' >"$tmp/trunc.gal"
expect 1 "trunc.gal, line 5: the file ends after 2 of the 3 units" -- "$spill" weights info "$tmp/trunc.gal"
printf '2\n1 1\n9\n2 1\n1\n' >"$tmp/unknown.gal"
expect 1 "unknown.gal, line 3: neighbour id '9' of unit '1' is not a unit of this file" -- "$spill" weights info "$tmp/unknown.gal"
printf 'id,a,b\na,0,1\nb,x,0\n' >"$tmp/cell.csv"
expect 1 "cell.csv, line 3, column 'a': 'x' is not a number" -- "$spill" weights info "$tmp/cell.csv"
printf 'id,a,b,c\na,0,1,0\nb,1,0,0\n' >"$tmp/rect.csv"
expect 1 "not square" -- "$spill" weights info "$tmp/rect.csv"
# a failed conversion leaves no output behind
expect 1 "not square" -- "$spill" weights convert "$tmp/rect.csv" "$tmp/rect.gal"
[ -e "$tmp/rect.gal" ] && { echo "FAIL: rect.gal written from a bad input"; fail=1; }

data="$shared/data"
refs="$shared/refs"
if [ ! -f "$data/usaww.csv" ] || [ ! -f "$refs/columbus_queen.gal" ]; then
  echo "SKIP: $data/usaww.csv or $refs/columbus_queen.gal not found"
  [ $fail -eq 0 ] && exit 77 || exit 1
fi
expect 0 "Number of nonzero links: 214" -- "$spill" weights info "$data/usaww.csv"
expect 0 "First ids: ALABAMA ARIZONA" -- "$spill" weights info "$data/usaww.csv"
expect 0 "Number of nonzero links: 236" -- "$spill" weights info "$refs/columbus_queen.gal"
expect 0 "21 regions with no links" -- "$spill" weights info "$refs/world_queen.gal"
# the reference GAL through every format and back is byte-identical
for f in gwt mtx csv dense; do
  ext=$f; [ $f = dense ] && ext=csv
  expect 0 "Written" -- "$spill" weights convert "$refs/columbus_queen.gal" "$tmp/cq_$f.$ext" --format $f
  expect 0 "Written" -- "$spill" weights convert "$tmp/cq_$f.$ext" "$tmp/cq_$f.gal"
  cmp -s "$refs/columbus_queen.gal" "$tmp/cq_$f.gal" || { echo "FAIL: columbus_queen.gal through $f differs"; fail=1; }
done
# usaww to Matrix Market and back: same summary, weights to 17 digits
expect 0 "Written" -- "$spill" weights convert "$data/usaww.csv" "$tmp/usaww.mtx"
expect 0 "Written" -- "$spill" weights convert "$tmp/usaww.mtx" "$tmp/usaww2.csv" --format dense
"$spill" weights info "$data/usaww.csv" | sed 1d >"$tmp/a.txt"
"$spill" weights info "$tmp/usaww2.csv" | sed 1d >"$tmp/b.txt"
cmp -s "$tmp/a.txt" "$tmp/b.txt" || { echo "FAIL: usaww summary changed through mtx and dense csv"; diff "$tmp/a.txt" "$tmp/b.txt"; fail=1; }
exit $fail
