#!/bin/sh
# spill weights knn|band|idw|kernel|econ: usage errors, summaries, bad input.
# usage: sh weights_distance.sh SPILL_EXE SHARED_DIR TMPDIR   (exit 0 pass, 1 fail, 77 skip)
spill=$1
shared=$2
tmp=$3
fail=0
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

. ./expect.inc

for t in knn band idw kernel; do
  expect 0 "usage: spill weights $t MAP.shp" -- "$spill" weights $t --help
  expect 0 "example:" -- "$spill" weights $t -h
  expect 2 "no map given" -- "$spill" weights $t
done
expect 0 "Case, Rosen and Hines 1993" -- "$spill" weights econ --help
expect 0 "W_d diag(xbar_j / mean xbar)" -- "$spill" weights econ --help
expect 2 "--k is required" -- "$spill" weights knn x.shp
expect 2 "--k must be at least 1" -- "$spill" weights knn x.shp --k 0
expect 2 "--k expects a whole number" -- "$spill" weights knn x.shp --k six
expect 2 "--threshold must be a positive distance" -- "$spill" weights band x.shp --threshold 0
expect 2 "--threshold must be a positive distance" -- "$spill" weights band x.shp --threshold -5
expect 2 "--power must be positive" -- "$spill" weights idw x.shp --power -1
expect 2 "--cutoff must be a positive distance" -- "$spill" weights idw x.shp --cutoff 0
expect 2 "give either --bandwidth KM (fixed) or --k K (adaptive)" -- "$spill" weights kernel x.shp
expect 2 "--kernel expects" -- "$spill" weights kernel x.shp --k 3 --kernel box
expect 2 "--var is required" -- "$spill" weights econ x.shp
expect 2 "--form expects invdiff or geo" -- "$spill" weights econ x.shp --var gdp --form nested
expect 2 "--data needs --id COL" -- "$spill" weights econ --data p.csv --var gdp
expect 2 "--years expects FROM-TO" -- "$spill" weights econ --data p.csv --id c --time t --var gdp --years 2015-2011
expect 2 "--symmetrize expects average, max or min" -- "$spill" weights knn x.shp --k 2 --symmetrize both
expect 2 "cannot tell the format" -- "$spill" weights knn x.shp --k 2 -o w.xls
expect 2 "unknown option '--bogus'" -- "$spill" weights band x.shp --bogus

data="$shared/data"
if [ ! -f "$data/columbus.shp" ] || [ ! -f "$data/china_prefectures.shp" ]; then
  echo "SKIP: $data/columbus.shp or china_prefectures.shp not found"
  [ $fail -eq 0 ] && exit 77 || exit 1
fi
col="$data/columbus.shp"
chn="$data/china_prefectures.shp"

# planar without .prj: says distances are in map units
expect 0 "Min / max links: 4 / 4" -- "$spill" weights knn "$col" --k 4
expect 0 "planar, no .prj: the unit is unknown" -- "$spill" weights knn "$col" --k 4
expect 1 "k = 49, but k must be at least 1 and below the 49 units" -- "$spill" weights knn "$col" --k 49
expect 0 "Symmetric: yes" -- "$spill" weights knn "$col" --k 4 --symmetrize max
expect 0 "Threshold: " -- "$spill" weights band "$col"
expect 0 "No regions without links" -- "$spill" weights band "$col"
expect 0 "Dense matrix: 49 x 49" -- "$spill" weights idw "$col" --power 2 --style W -o "$tmp/idw.mtx"
expect 0 "Number of nonzero links: 2352" -- "$spill" weights info "$tmp/idw.mtx"
expect 0 "Style: W" -- "$spill" weights kernel "$col" --k 6 --kernel epanechnikov --style W
expect 0 "Number of nonzero links: 2352" -- "$spill" weights econ "$col" --var INC
expect 1 "has no field 'GDP'" -- "$spill" weights econ "$col" --var GDP
expect 0 "Min / max links: 48 / 48" -- "$spill" weights econ "$col" --var HOVAL --form geo --style W
# union with the queen weights of the same map; a file with other ids fails
"$spill" weights queen "$col" -o "$tmp/q.gal" >/dev/null 2>&1
if [ -s "$tmp/q.gal" ]; then
  expect 0 "Symmetric: yes" -- "$spill" weights knn "$col" --k 2 --union "$tmp/q.gal" --symmetrize max
  expect 0 "Symmetric: yes" -- "$spill" weights knn "$col" --k 2 --intersect "$tmp/q.gal" --symmetrize min
fi
if [ -f "$data/usaww.csv" ]; then
  expect 1 "must cover the same units" -- "$spill" weights knn "$col" --k 2 --union "$data/usaww.csv"
fi
# econ from a panel: ids must match the map's
{
  echo "id,year,gdp"
  i=1; while [ $i -le 49 ]; do echo "$i,2010,$i"; echo "$i,2011,$((i * 3))"; i=$((i + 1)); done
} >"$tmp/panel.csv"
expect 0 "Variable: gdp, mean over 2010-2011" -- "$spill" weights econ "$col" --data "$tmp/panel.csv" --panel-id id --time year --var gdp --years 2010-2011
grep -v '^17,' "$tmp/panel.csv" >"$tmp/panel16.csv"
expect 1 "map unit '17' has no row" -- "$spill" weights econ "$col" --data "$tmp/panel16.csv" --panel-id id --time year --var gdp
sed 's/^5,2011,15$/5,2011,NA/' "$tmp/panel.csv" >"$tmp/panelna.csv"
expect 1 "missing value" -- "$spill" weights econ "$col" --data "$tmp/panelna.csv" --panel-id id --time year --var gdp
expect 0 "Number of regions: 49" -- "$spill" weights econ --data "$tmp/panel.csv" --id id --time year --var gdp --years 2011

# lon/lat: geodesic km; coordinates from fields; duplicates named
expect 0 "Distances: geodesic on WGS84 (km), between polygon centroids" -- "$spill" weights knn "$chn" --k 6
expect 0 "Distances: geodesic on WGS84 (km), between fields lon, lat" -- "$spill" weights knn "$chn" --k 6 --coords lon,lat --id adcode -o "$tmp/k6.gwt"
expect 0 "Min / max links: 6 / 6" -- "$spill" weights info "$tmp/k6.gwt"
expect 0 "Threshold: " -- "$spill" weights band "$chn" --coords lon,lat
expect 1 "share a location" -- "$spill" weights knn "$chn" --coords prov,prov --planar --k 2
expect 0 "Distances: Euclidean in EPSG:3415 (km)" -- "$spill" weights band "$chn" --threshold 300 --crs EPSG:3415
expect 1 "the layer has no .prj" -- "$spill" weights band "$col" --threshold 3 --crs EPSG:3857
exit $fail
