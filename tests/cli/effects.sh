#!/bin/sh
# spill fit: effects table, seeds, per-city effects, several W (Table 8), usage errors.
# usage: sh effects.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; TMP=$3
[ -f "$SHARED/data/produc.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }

# Produc with a staggered "pilot": states A-I adopt in 1975, N-P in 1980, the rest never.
awk -F, 'NR==1{print "state,year,lgsp,adopt,lpc,lemp,unemp"; next}
  {s=substr($1,2,1); a=(s<="I")?1975:((s>="N"&&s<="P")?1980:0);
   printf "%s,%s,%.17g,%d,%.17g,%.17g,%s\n",$1,$2,log($9),a,log($8),log($10),$11}' \
  "$SHARED/data/produc.csv" > "$TMP/p.csv"
W="$SHARED/data/usaww.csv"
BASE="--data $TMP/p.csv --id state --time year --y lgsp --adopt adopt --x lpc,lemp,unemp"

"$SPILL" fit --help > "$TMP/help.txt"
check "help lists the effects options" "grep -q -- '--city-effects' $TMP/help.txt && grep -q -- '--w-name' $TMP/help.txt"

"$SPILL" fit $BASE --w "$W" --draws 300 --seed 3 --city-effects "$TMP/ce.csv" --at 1980 \
  --effects-out "$TMP/eff.csv" > "$TMP/out1.txt" 2> "$TMP/err1.txt"
check "fit with effects exits 0" "[ $? -eq 0 ]"
check "effects table printed" "grep -q 'Effects (LeSage-Pace)' $TMP/out1.txt && grep -q '300 draws (seed 3)' $TMP/out1.txt"
check "city effects summary" "grep -q 'City effects of did in 1980' $TMP/out1.txt"
check "effects CSV header" "head -1 $TMP/eff.csv | grep -q '^name,effect,estimate,se_delta,mean,sd,z,p,lo,hi'"
check "city CSV: header and 48 states" "head -1 $TMP/ce.csv | grep -q '^id,pilot,own,own_lo,own_hi,received' && [ \$(wc -l < $TMP/ce.csv) -eq 49 ]"
# sum over cities of own + received equals the sum of own + sent (both 1'S d)
check "city effects: row sums = column sums" \
  "awk -F, 'NR>1{a+=\$3+\$6; b+=\$3+\$9} END{d=a-b; if(d<0)d=-d; exit !(d<=1e-8*(a<0?-a:a) && a!=0)}' $TMP/ce.csv"
check "non-pilots send nothing" "awk -F, 'NR>1 && \$2==0 && \$9!=0{bad=1} END{exit bad}' $TMP/ce.csv"

"$SPILL" fit $BASE --w "$W" --draws 300 --seed 3 > "$TMP/out2.txt" 2>&1
"$SPILL" fit $BASE --w "$W" --draws 300 --seed 4 > "$TMP/out3.txt" 2>&1
check "same seed, same output" "grep -A3 'effect  *estimate' $TMP/out1.txt > $TMP/a && grep -A3 'effect  *estimate' $TMP/out2.txt > $TMP/b && cmp -s $TMP/a $TMP/b"
check "another seed, other draws" "grep -A3 'effect  *estimate' $TMP/out3.txt > $TMP/c && ! cmp -s $TMP/a $TMP/c"

"$SPILL" fit $BASE --w "$W" --draws 50 --format json > "$TMP/f.json"
check "JSON carries the effects list" "grep -q '\"effects\": \[{\"name\":\"did\",\"direct\":{\"estimate\":' $TMP/f.json"

"$SPILL" fit $BASE --w "$W" --w-name Contiguity --w "$W" --w-name Again --style W --draws 100 \
  --table-out "$TMP/t8.tex" > "$TMP/t8.txt" 2> "$TMP/t8.err"
check "several W exit 0" "[ $? -eq 0 ]"
check "Table 8 text layout" "grep -q 'Contiguity' $TMP/t8.txt && grep -q '^Indirect' $TMP/t8.txt && grep -q '^R-squared' $TMP/t8.txt && grep -q '^Observations  *816  *816' $TMP/t8.txt && grep -q '^Units  *48  *48' $TMP/t8.txt"
check "Table 8 LaTeX booktabs" "grep -q 'toprule' $TMP/t8.tex && grep -q '& Contiguity & Again' $TMP/t8.tex"
"$SPILL" fit $BASE --w "$W" --w "$W" --draws 50 --format csv > "$TMP/t8.csv"
check "Table 8 CSV" "head -1 $TMP/t8.csv | grep -q '^statistic,usaww,usaww' && grep -q '^indirect_se,' $TMP/t8.csv"

"$SPILL" fit $BASE --w "$W" --w "$W" --city-effects "$TMP/x.csv" > /dev/null 2> "$TMP/e1"
check "city effects with two W: exit 2" "[ $? -eq 2 ] && grep -q 'single --w' $TMP/e1"
"$SPILL" fit $BASE --w "$W" --draws -1 > /dev/null 2> "$TMP/e2"
check "negative draws: exit 2" "[ $? -eq 2 ]"
"$SPILL" fit $BASE --w "$W" --at 1980 > /dev/null 2> "$TMP/e3"
check "--at alone: exit 2" "[ $? -eq 2 ] && grep -q 'city-effects' $TMP/e3"
"$SPILL" fit $BASE --w "$W" --draws 10 --city-effects "$TMP/x.csv" --at 1900 > /dev/null 2> "$TMP/e4"
check "year not in the panel: exit 1 naming it" "[ $? -eq 1 ] && grep -q '1900' $TMP/e4"
"$SPILL" fit $BASE --w "$W" --effects-out "$TMP/x.doc" > /dev/null 2> "$TMP/e5"
check "unknown table extension: exit 2" "[ $? -eq 2 ]"
check "no temporary files left" "[ \$(ls $TMP | grep -c tmp) -eq 0 ]"
exit $fail
