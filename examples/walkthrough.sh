#!/bin/sh
# A walk through the spill commands, from a map to a spillover map.
#
# usage: sh examples/walkthrough.sh [SPILL] [DATA_DIR] [OUT_DIR]
#   SPILL     the spill command (default ./build/spill)
#   DATA_DIR  folder with china_prefectures.shp (default ../shared/data);
#             without it a generated city network is used
#   OUT_DIR   where everything goes (default walkthrough-out)
# Each step prints the command it runs. Run it from the repository's top.
set -eu
spill=${1:-./build/spill}
data=${2:-../shared/data}
out=${3:-walkthrough-out}
mkdir -p "$out"
run() { printf '\n$ %s\n' "$*"; "$@"; }

# 1. The map and a simulated pilot panel on it. `spill demo` leaves the panel
#    it simulated (2011-2022, pilots approved in 2013, 2014, 2017) in panel.csv.
if [ -f "$data/china_prefectures.shp" ]; then
  map=$data/china_prefectures.shp id=adcode
  run "$spill" demo --data "$data" --out "$out/demo" --draws 200 >/dev/null
else
  run "$spill" demo --generated --out "$out/demo" --draws 200 >/dev/null
  map=$out/demo/network.shp id=id
fi
run "$spill" info "$map" --id "$id"

# 2. Weights: contiguity, nearest neighbours, inverse distance within 300 km.
run "$spill" weights queen "$map" --id "$id" -o "$out/queen.gal"
run "$spill" weights knn "$map" --id "$id" --k 6 -o "$out/knn6.gal"
run "$spill" weights idw "$map" --id "$id" --power 1 --cutoff 300 -o "$out/idw300.gwt"
run "$spill" weights info "$out/idw300.gwt"
# a dense, row-standardised copy for Stata's spmatrix import or MATLAB
run "$spill" weights convert "$out/queen.gal" "$out/queen_dense.csv" --format dense --style W

# 3. The two-way FE DID and the spatial Durbin DID with each W: effects with
#    simulation SEs, the Table-8 layout, per-city spillovers.
run "$spill" fit --data "$out/demo/panel.csv" --id id --time year --y y --treat did \
    --x x1,x2,x3 --model ols --w "$out/queen.gal"
run "$spill" fit --data "$out/demo/panel.csv" --id id --time year --y y --treat did \
    --x x1,x2,x3 --w "$out/queen.gal" --json "$out/fit.json" \
    --city-effects "$out/city_effects.csv" --at 2022
run "$spill" fit --data "$out/demo/panel.csv" --id id --time year --y y --treat did \
    --x x1,x2,x3 --w "$out/queen.gal" --w-name Queen --w "$out/knn6.gal" --w-name kNN-6 \
    --w "$out/idw300.gwt" --w-name "IDW 300 km" --table-out "$out/table8.tex"

# 4. Map the spillover each city received, and hand GIS users a shapefile.
run "$spill" map "$map" --id "$id" --values "$out/city_effects.csv" --field received \
    --highlight pilot --highlight-label "pilot city" --title "Spillover received" \
    -o "$out/received.png"
run "$spill" join "$map" --id "$id" --values "$out/city_effects.csv" -o "$out/effects.shp"
printf '\nDone: outputs in %s\n' "$out"
