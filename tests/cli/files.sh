#!/bin/sh
# Files as they come: the same fit from every panel and W form; bad inputs
# give their message and exit code.
# usage: sh files.sh SPILL_EXE SHARED_DIR TMPDIR   (exit 0 pass, 1 fail, 77 skip)
spill=$1
shared=$2
tmp=$3
fail=0
rm -rf "$tmp" && mkdir -p "$tmp" || exit 1

. ./expect.inc

# help texts show the options and examples
expect 0 "--sep S" -- "$spill" fit --help
expect 0 "--encoding NAME" -- "$spill" fit --help
expect 0 "--ids FILE" -- "$spill" fit --help
expect 0 "--city-effects FILE.csv|FILE.dta" -- "$spill" fit --help
expect 0 "spill fit --data panel.dta --w W.txt --ids cities.txt" -- "$spill" fit --help
expect 0 "--ids-from MAP --id FIELD" -- "$spill" weights info --help
expect 0 "stata (.txt for spmatrix import" -- "$spill" weights convert --help
expect 0 "--decimal D" -- "$spill" weights econ --help

# ---- bad inputs (self-contained) ----
printf 'id,year,y,d\nA,1,1,0\nA,2,2,1\nB,1,1,0\nB,2,3,0\n' >"$tmp/p.csv"
printf 'id_i,id_j,w\nA,B,1\nB,A,1\n' >"$tmp/w.csv"
base="--w $tmp/w.csv --id id --time year --y y --treat d --model ols --no-effects"
# a separator guessed from the header that the rows do not use
printf 'id;year;y;d\nA,1,1,0\nA,2,2,1\n' >"$tmp/mixed.csv"
expect 1 "the separator (semicolon) was detected from the first lines: give --sep" -- \
  "$spill" fit --data "$tmp/mixed.csv" $base
expect 1 "line 2: 1 fields where the header has 4" -- "$spill" fit --data "$tmp/mixed.csv" $base
# text valid neither as UTF-8 nor as GB18030: the first bad byte's line and column
printf 'id,year,y,d\nA,1,1,0\nA\377,2,2,1\n' >"$tmp/bad.csv"
expect 1 "bad.csv, line 3, column 2: byte 0xFF is not valid UTF-8, and the text is not GB18030" -- \
  "$spill" fit --data "$tmp/bad.csv" $base
expect 1 "line 3, column 2: byte 0xFF is not valid GBK text" -- \
  "$spill" fit --data "$tmp/bad.csv" $base --encoding GBK
# unknown names and values of the options
expect 2 "unknown encoding 'KLINGON' for --encoding" -- "$spill" fit --data "$tmp/p.csv" $base --encoding KLINGON
expect 2 "--decimal expects '.' or ','" -- "$spill" fit --data "$tmp/p.csv" $base --decimal x
expect 2 "--sep expects one character" -- "$spill" fit --data "$tmp/p.csv" $base --sep ab
expect 2 "--sep and --decimal cannot both be ','" -- "$spill" fit --data "$tmp/p.csv" $base --sep , --decimal ,
expect 2 "give --ids FILE or --ids-from MAP, not both" -- "$spill" weights info "$tmp/w.csv" --ids a --ids-from b --id c
expect 2 "--ids-from MAP needs --ids-field FIELD" -- "$spill" weights info "$tmp/w.csv" --ids-from b.shp
# a spreadsheet is not a CSV
printf 'PK\003\004xxxx' >"$tmp/book.csv"
expect 1 "book.csv is a spreadsheet (Excel .xlsx/.xls), not text: save it as CSV" -- \
  "$spill" fit --data "$tmp/book.csv" $base
# header-less matrices: the ids must fit, the matrix must be square
printf '0 1 0\n1 0 1\n0 1 0\n' >"$tmp/m.txt"
printf 'a\nb\nc\n' >"$tmp/ids3.txt"
printf 'a\nb\n' >"$tmp/ids2.txt"
expect 0 "Number of regions: 3" -- "$spill" weights info "$tmp/m.txt" --ids "$tmp/ids3.txt"
expect 0 "header-less matrix" -- "$spill" weights info "$tmp/m.txt" --ids "$tmp/ids3.txt"
expect 1 "the matrix is 3 x 3 but 2 ids were given" -- "$spill" weights info "$tmp/m.txt" --ids "$tmp/ids2.txt"
printf '0,1,0,1\n1,0,1,1\n0,1,0,1\n' >"$tmp/rect.csv"
expect 1 "not a square matrix: 3 rows, but 4 numbers in the first row" -- \
  "$spill" weights info "$tmp/rect.csv" --ids "$tmp/ids3.txt"
printf 'a\nb\na\n' >"$tmp/dup.txt"
expect 1 "'a'" -- "$spill" weights info "$tmp/m.txt" --ids "$tmp/dup.txt"
# without ids a .txt is read as Stata's format, and says what else it could be
expect 1 "a header-less matrix needs its ids: --ids FILE or --ids-from MAP" -- "$spill" weights info "$tmp/m.txt"
# Stata's text format needs integer ids
expect 1 "Stata's spmatrix needs integer ids" -- "$spill" weights convert "$tmp/w.csv" "$tmp/w_stata.txt"

# a GAL file with GBK ids reads as UTF-8, with a note
printf '2\n\261\261\276\251 1\n\311\317\272\243\n\311\317\272\243 1\n\261\261\276\251\n' >"$tmp/gbk.gal"
expect 0 "First ids: 北京 上海" -- "$spill" weights info "$tmp/gbk.gal"
expect 0 "gbk.gal is not UTF-8: read as GB18030" -- "$spill" weights info "$tmp/gbk.gal"

# ---- Stata spmatrix text and .dta, both ways, against an explicit matrix ----
printf '3\n10 0 1 1\n20 1 0 0\n30 1 0 0\n' >"$tmp/s.txt"
expect 0 "Written: $tmp/s.gal" -- "$spill" weights convert "$tmp/s.txt" "$tmp/s.gal"
printf '3\n10 2\n20 30\n20 1\n10\n30 1\n10\n' >"$tmp/want.gal"
cmp -s "$tmp/s.gal" "$tmp/want.gal" || { echo "FAIL: Stata text -> GAL"; cat "$tmp/s.gal"; fail=1; }
expect 0 "Written: $tmp/s2.txt" -- "$spill" weights convert "$tmp/s.gal" "$tmp/s2.txt"
cmp -s "$tmp/s.txt" "$tmp/s2.txt" || { echo "FAIL: GAL -> Stata text"; cat "$tmp/s2.txt"; fail=1; }
expect 0 "Written: $tmp/s.dta" -- "$spill" weights convert "$tmp/s.txt" "$tmp/s.dta" --style W
expect 0 "Looks like: W (row-standardised)" -- "$spill" weights info "$tmp/s.dta"
expect 0 "Written: $tmp/s3.txt" -- "$spill" weights convert "$tmp/s.dta" "$tmp/s3.txt"
printf '3\n10 0 0.5 0.5\n20 1 0 0\n30 1 0 0\n' >"$tmp/want3.txt"
cmp -s "$tmp/s3.txt" "$tmp/want3.txt" || { echo "FAIL: .dta -> Stata text"; cat "$tmp/s3.txt"; fail=1; }
head -c 11 "$tmp/s.dta" | grep -q '<stata_dta>' || { echo "FAIL: s.dta is not a Stata 14+ file"; fail=1; }

# ---- every panel form gives the clean fit (needs the shared Produc data) ----
if [ ! -f "$shared/data/produc.csv" ] || [ ! -f "$shared/data/usaww.csv" ]; then
  echo "skip: the panel forms need $shared/data/produc.csv and usaww.csv"
  exit $(( fail ? 1 : 77 ))
fi
d=$shared/data
fit() { # fit DATA W ID TIME JSON [options]: SDM of gsp on pcap, pc, emp
  data=$1 w=$2 id=$3 time=$4 json=$5
  shift 5
  "$spill" fit --data "$data" --w "$w" --id "$id" --time "$time" --y gsp --x pcap,pc,emp --no-effects \
    --json "$tmp/$json" "$@" >"$tmp/out" 2>&1 || { echo "FAIL: fit $data"; cat "$tmp/out"; fail=1; }
}
same() { cmp -s "$tmp/clean.json" "$tmp/$1" || { echo "FAIL: $1 differs from the clean fit"; diff "$tmp/clean.json" "$tmp/$1" | head; fail=1; }; }
fit "$d/produc.csv" "$d/usaww.csv" state year clean.json
tr ',' '\t' <"$d/produc.csv" >"$tmp/produc.tsv"
fit "$tmp/produc.tsv" "$d/usaww.csv" state year tab.json
same tab.json
sed 's/,/;/g; s/\./,/g' "$d/produc.csv" >"$tmp/semi.csv"
fit "$tmp/semi.csv" "$d/usaww.csv" state year semi.json
same semi.json
grep -qF "read ',' as the decimal mark" "$tmp/out" || { echo "FAIL: no decimal-comma note"; fail=1; }
fit "$tmp/semi.csv" "$d/usaww.csv" state year semi2.json --sep ';' --decimal ,
same semi2.json
# economic weights from the same semicolon panel (the panel options of weights econ)
expect 0 "mean over all years of $tmp/semi.csv (48 units)" -- \
  "$spill" weights econ --data "$tmp/semi.csv" --id state --time year --var gsp --sep ';' --decimal , -o "$tmp/e.gwt"
expect 2 "unknown encoding 'KLINGON'" -- \
  "$spill" weights econ --data "$tmp/semi.csv" --id state --time year --var gsp --encoding KLINGON
# GBK: Chinese headers and ids; W keeps the same Chinese ids in UTF-8
sed '1s/"state"/"省份"/; 1s/"year"/"年份"/; s/"\([A-Z][A-Z ]*\)"/"州\1"/g' "$d/produc.csv" | iconv -f UTF-8 -t GBK >"$tmp/gbk.csv"
sed 's/"\([A-Z][A-Z ]*\)"/"州\1"/g' "$d/usaww.csv" >"$tmp/w_cn.csv"
fit "$tmp/gbk.csv" "$tmp/w_cn.csv" 省份 年份 gbk.json
same gbk.json
grep -qF "is not UTF-8: read as GB18030" "$tmp/out" || { echo "FAIL: no GB18030 note"; fail=1; }
fit "$tmp/gbk.csv" "$tmp/w_cn.csv" 省份 年份 gbk2.json --encoding GBK
same gbk2.json
# a header-less W with its ids from a list
sed 1d "$d/usaww.csv" | cut -d, -f2- >"$tmp/w_plain.csv"
sed 1d "$d/usaww.csv" | cut -d, -f1 | tr -d '"' >"$tmp/states.txt"
fit "$d/produc.csv" "$tmp/w_plain.csv" state year plain.json --ids "$tmp/states.txt"
same plain.json
tr ',' ' ' <"$tmp/w_plain.csv" >"$tmp/w_plain.txt"
fit "$d/produc.csv" "$tmp/w_plain.txt" state year plain2.json --ids "$tmp/states.txt"
same plain2.json
# W as .dta, and per-city effects as .dta
expect 0 "Written: $tmp/usaww.dta" -- "$spill" weights convert "$d/usaww.csv" "$tmp/usaww.dta"
fit "$d/produc.csv" "$tmp/usaww.dta" state year dta.json
same dta.json
awk -F, 'NR == 1 { print $0 ",d"; next } { print $0 "," (($2 >= 1978 && $1 < "\"N") ? 1 : 0) }' \
  "$d/produc.csv" >"$tmp/produc_d.csv"
"$spill" fit --data "$tmp/produc_d.csv" --w "$d/usaww.csv" --id state --time year --y gsp --x pcap,pc,emp \
  --treat d --model slx --draws 50 --city-effects "$tmp/city.dta" >"$tmp/out" 2>&1
grep -qF "Written: $tmp/city.dta" "$tmp/out" || { echo "FAIL: city effects .dta"; cat "$tmp/out"; fail=1; }
head -c 11 "$tmp/city.dta" | grep -q '<stata_dta>' || { echo "FAIL: city.dta is not a .dta"; fail=1; }

# a header-less matrix whose ids come from a map's field (the spdep reference W)
if [ -f "$shared/refs/columbus_queen.gal" ] && [ -f "$d/columbus.shp" ]; then
  "$spill" weights convert "$shared/refs/columbus_queen.gal" "$tmp/cq.csv" --format dense >/dev/null
  sed 1d "$tmp/cq.csv" | cut -d, -f2- >"$tmp/cq_plain.csv"
  expect 0 "Written: $tmp/cq.gal" -- \
    "$spill" weights convert "$tmp/cq_plain.csv" "$tmp/cq.gal" --ids-from "$d/columbus.shp" --id POLYID
  cmp -s "$tmp/cq.gal" "$shared/refs/columbus_queen.gal" || { echo "FAIL: matrix with map ids differs"; fail=1; }
  expect 1 "but 48 ids were given" -- "$spill" weights info "$tmp/cq_plain.csv" --ids "$tmp/states.txt"
fi

[ $fail -eq 0 ] && echo "files: all passed"
exit $fail
