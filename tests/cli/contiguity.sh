#!/bin/sh
# spill weights queen|rook and spill info: exit codes and messages.
# usage: sh contiguity.sh SPILL_EXE SHARED_DIR TMPDIR   (exit 0 pass, 1 fail, 77 skip)
spill=$1
shared=$2
tmp=$3
fail=0
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

. ./expect.inc

# help and usage errors
expect 0 "usage: spill weights queen|rook MAP.shp" -- "$spill" weights queen --help
expect 0 "example:" -- "$spill" weights rook -h
expect 0 "usage: spill info MAP.shp" -- "$spill" info --help
expect 2 "no map given" -- "$spill" weights queen
expect 2 "unknown option '--bogus'" -- "$spill" weights queen x.shp --bogus
expect 2 "--order must be between 1 and 1000" -- "$spill" weights queen x.shp --order 0
expect 2 "--order expects a whole number" -- "$spill" weights queen x.shp --order two
expect 2 "--snap must be positive" -- "$spill" weights rook x.shp --snap -1
expect 2 "--cumulative needs --order 2 or more" -- "$spill" weights queen x.shp --cumulative
expect 2 "--style expects one of" -- "$spill" weights queen x.shp --style Q
expect 2 "cannot tell the format" -- "$spill" weights queen x.shp -o out.xls
expect 2 "-o needs a value" -- "$spill" weights queen x.shp -o
expect 1 "nowhere.shp: no such file" -- "$spill" weights queen "$tmp/nowhere.shp"

data="$shared/data"
if [ ! -f "$data/columbus.shp" ]; then
  echo "SKIP: $data/columbus.shp not found"
  [ $fail -eq 0 ] && exit 77 || exit 1
fi

# a good run: layer line, spdep-like summary, file written and readable
expect 0 "Number of nonzero links: 236" -- "$spill" weights queen "$data/columbus.shp" -o "$tmp/q.gal"
expect 0 "49 units, planar, no .prj, 0 polygons repaired" -- "$spill" weights queen "$data/columbus.shp"
expect 0 "Number of nonzero links: 200" -- "$spill" weights rook "$data/columbus.shp" --style W -o "$tmp/r.gwt"
expect 0 "Style: W" -- "$spill" weights rook "$data/columbus.shp" --style W
expect 0 "order 2 cumulative" -- "$spill" weights queen "$data/columbus.shp" --order 2 --cumulative
[ -s "$tmp/q.gal" ] || { echo "FAIL: q.gal not written"; fail=1; }
[ -s "$tmp/r.gwt" ] || { echo "FAIL: r.gwt not written"; fail=1; }
expect 0 "Units: 49 polygons" -- "$spill" info "$data/columbus.shp"
expect 0 "planar, no .prj" -- "$spill" info "$data/columbus.shp"
if [ -f "$data/world.shp" ]; then
  expect 0 "21 regions with no links" -- "$spill" weights queen "$data/world.shp"
  expect 0 "WGS 84 (lon/lat)" -- "$spill" info "$data/world.shp"
fi

# bad input, on copies of columbus
cp "$data/columbus.shp" "$data/columbus.shx" "$data/columbus.dbf" "$tmp/" || exit 1
chmod u+w "$tmp"/columbus.*
mkdir -p "$tmp/noshx" "$tmp/nodbf" "$tmp/trunc" "$tmp/mismatch"
cp "$tmp/columbus.shp" "$tmp/columbus.dbf" "$tmp/noshx/"
cp "$tmp/columbus.shp" "$tmp/columbus.shx" "$tmp/nodbf/"
expect 1 "noshx/columbus.shx is missing" -- "$spill" weights queen "$tmp/noshx/columbus.shp"
expect 1 "nodbf/columbus.dbf is missing" -- "$spill" weights rook "$tmp/nodbf/columbus.shp"
head -c 15000 "$tmp/columbus.shp" >"$tmp/trunc/columbus.shp"
cp "$tmp/columbus.shx" "$tmp/columbus.dbf" "$tmp/trunc/"
expect 1 "the .shp is truncated" -- "$spill" weights queen "$tmp/trunc/columbus.shp"
expect 1 "trunc/columbus.shp: record" -- "$spill" info "$tmp/trunc/columbus.shp"
if [ -f "$data/nc_sids.dbf" ]; then
  cp "$tmp/columbus.shp" "$tmp/columbus.shx" "$tmp/mismatch/"
  cp "$data/nc_sids.dbf" "$tmp/mismatch/columbus.dbf"
  expect 1 "has 49 records but" -- "$spill" weights queen "$tmp/mismatch/columbus.shp"
fi
expect 1 "has no field 'NOSUCH'; its fields are: AREA, PERIMETER" -- "$spill" weights queen "$tmp/columbus.shp" --id NOSUCH
expect 1 "both have id" -- "$spill" weights queen "$tmp/columbus.shp" --id CP
expect 1 "has no field 'NOSUCH'" -- "$spill" info "$tmp/columbus.shp" --id NOSUCH
expect 0 "First ids: 1 2 3" -- "$spill" info "$tmp/columbus.shp" --id polyid

[ $fail -eq 0 ] && echo "cli contiguity: all passed"
exit $fail
