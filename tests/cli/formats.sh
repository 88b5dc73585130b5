#!/bin/sh
# Maps as GeoJSON and GeoPackage, text encodings: exit codes and messages.
# usage: sh formats.sh SPILL_EXE SHARED_DIR TMPDIR   (exit 0 pass, 1 fail, 77 skip)
spill=$1
shared=$2
tmp=$3
fail=0
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

. ./expect.inc

sq1='[[[0,0],[0,1],[1,1],[1,0],[0,0]]]'
sq2='[[[1,0],[1,1],[2,1],[2,0],[1,0]]]'
sq3='[[[2,0],[2,1],[3,1],[3,0],[2,0]]]'
feat() { # code name ring
  printf '{"type":"Feature","properties":{"adcode":%s,"name":"%s"},"geometry":{"type":"Polygon","coordinates":%s}}' "$1" "$2" "$3"
}
printf '{"type":"FeatureCollection","features":[%s,%s,%s]}\n' "$(feat 130100 石家庄市 "$sq1")" \
  "$(feat 130200 唐山市 "$sq2")" "$(feat 130300 秦皇岛市 "$sq3")" >"$tmp/cities.geojson"

# good runs
expect 0 "Number of nonzero links: 4" -- "$spill" weights queen "$tmp/cities.geojson" --id adcode
expect 0 "Units: 3 polygons" -- "$spill" info "$tmp/cities.geojson" --id name
expect 0 "WGS 84" -- "$spill" info "$tmp/cities.geojson"
expect 0 "Text encoding: UTF-8" -- "$spill" info "$tmp/cities.geojson"
expect 0 "usage: spill weights queen|rook MAP.shp|MAP.geojson|MAP.gpkg" -- "$spill" weights queen --help
expect 0 "--encoding NAME" -- "$spill" join --help
expect 2 "--encoding needs a value" -- "$spill" info "$tmp/cities.geojson" --encoding
expect 2 "--layer needs a value" -- "$spill" weights rook "$tmp/cities.geojson" --layer

# join from GeoJSON writes a shapefile that reads back with the Chinese text
printf 'adcode,label\n130200,港口\n' >"$tmp/v.csv"
expect 0 "a shapefile: .shx, .dbf, .prj from the map's CRS and a UTF-8 .cpg" -- "$spill" join "$tmp/cities.geojson" --id adcode --values "$tmp/v.csv" -o "$tmp/j.shp"
expect 0 "e.g. 石家庄市" -- "$spill" info "$tmp/j.shp" --id adcode
expect 0 "Number of nonzero links: 4" -- "$spill" weights queen "$tmp/j.shp" --id adcode
expect 0 "(3 units, GeoJSON; text in UTF-8)" -- "$spill" join "$tmp/j.shp" --id adcode --values "$tmp/v.csv" -o "$tmp/j2.geojson"
expect 0 "Number of nonzero links: 4" -- "$spill" weights queen "$tmp/j2.geojson" --id adcode
expect 0 "\"label\":\"港口\"" -- cat "$tmp/j2.geojson"

# bad inputs
printf '{"type":"Feature","properties":{"adcode":1},"geometry":null}\n' >"$tmp/feature.geojson"
expect 1 "not a GeoJSON FeatureCollection (its type is \"Feature\")" -- "$spill" weights queen "$tmp/feature.geojson"
printf '{"type":"FeatureCollection","features":[' >"$tmp/cut.geojson"
expect 1 "not valid JSON (line 1" -- "$spill" info "$tmp/cut.geojson"
expect 1 "has no field 'code'; its fields are: adcode, name" -- "$spill" weights queen "$tmp/cities.geojson" --id code
printf '{"type":"FeatureCollection","features":[%s,%s]}\n' "$(feat 130100 a "$sq1")" "$(feat 130100 b "$sq2")" >"$tmp/dup.geojson"
expect 1 "records 1 and 2 both have id '130100' in field adcode; ids must be unique" -- "$spill" weights rook "$tmp/dup.geojson" --id adcode
expect 1 "--encoding 'NO-SUCH': iconv does not know this encoding" -- "$spill" weights queen "$tmp/cities.geojson" --encoding NO-SUCH
printf '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"adcode":1},"geometry":null}]}\n' >"$tmp/null.geojson"
expect 1 "feature 1 has no geometry (null); remove it or use --skip-null" -- "$spill" info "$tmp/null.geojson"
expect 1 "no shapes to read (1 feature without geometry)" -- "$spill" info "$tmp/null.geojson" --skip-null

# GeoPackage files made with the sqlite3 shell
if command -v sqlite3 >/dev/null 2>&1; then
  sqlite3 "$tmp/nofeat.gpkg" "CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, srs_id INTEGER);
    INSERT INTO gpkg_contents VALUES ('pop', 'attributes', NULL);" || fail=1
  expect 1 "holds no feature table" -- "$spill" weights queen "$tmp/nofeat.gpkg"
  sqlite3 "$tmp/plain.gpkg" "CREATE TABLE t (a INTEGER);" || fail=1
  expect 1 "not a GeoPackage (no gpkg_contents table)" -- "$spill" info "$tmp/plain.gpkg"
  expect 1 "no such file" -- "$spill" info "$tmp/absent.gpkg"
else
  echo "note: sqlite3 shell not installed; GeoPackage cases left out"
fi

# a GBK shapefile without .cpg, joined with a UTF-8 CSV, read back
data="$shared/data"
if [ -f "$data/columbus.shp" ]; then
  expect 0 "Text encoding: UTF-8" -- "$spill" info "$data/columbus.shp"
  expect 1 "--encoding 'KLINGON'" -- "$spill" info "$data/columbus.shp" --encoding KLINGON
fi
[ $fail -eq 0 ] && exit 0 || exit 1
