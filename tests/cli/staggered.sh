#!/bin/sh
# spill did: mpdta against R did's published ATT(g,t), formats, bootstrap
# reproducibility across threads, the figure, spillover exposure, usage and
# identification errors.
# usage: sh staggered.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; TMP=$3
[ -f "$SHARED/data/mpdta.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
M="--data $SHARED/data/mpdta.csv --id countyreal --time year --y lemp --adopt first.treat"

"$SPILL" did --help > "$TMP/help.txt"; check "help exits 0" "[ $? -eq 0 ]"
check "help has usage and examples" "grep -q 'usage: spill did' $TMP/help.txt && grep -q 'rings:50,100,150' $TMP/help.txt"

"$SPILL" did $M --seed 3 --json "$TMP/cs.json" --csv "$TMP/cs.csv" --latex "$TMP/cs.tex" --figure "$TMP/cs.png" > "$TMP/out.txt" 2> "$TMP/err.txt"
check "cs exits 0" "[ $? -eq 0 ]"
check "ATT(2004,2006) as published" "grep -q 'ATT(2004,2006) *-0.1373' $TMP/out.txt"
check "event time e=1 as published" "grep -q 'e=1 *-0.0510' $TMP/out.txt"
check "simple ATT as published" "grep -q 'simple ATT *-0.0400' $TMP/out.txt"
check "uniform band printed" "grep -q 'uniform band: critical value' $TMP/out.txt"
check "csv header" "head -1 $TMP/cs.csv | grep -q '^table,label,g,t,e,estimate,se,lo,hi,ulo,uhi,n'"
check "json tables" "grep -q '\"name\": \"event time\"' $TMP/cs.json && grep -q '\"seed\": 3' $TMP/cs.json"
check "latex booktabs" "grep -q toprule $TMP/cs.tex"
check "figure is a PNG" "head -c 4 $TMP/cs.png | grep -q PNG"

"$SPILL" did $M --seed 3 --threads 1 --format csv > "$TMP/t1.csv" 2>/dev/null
"$SPILL" did $M --seed 3 --threads 2 --format csv > "$TMP/t2.csv" 2>/dev/null
"$SPILL" did $M --seed 4 --threads 2 --format csv > "$TMP/t3.csv" 2>/dev/null
check "bootstrap identical on 1 and 2 threads" "cmp -s $TMP/t1.csv $TMP/t2.csv"
check "another seed changes the bootstrap" "! cmp -s $TMP/t1.csv $TMP/t3.csv"

"$SPILL" did $M --method imputation --format json > "$TMP/imp.json"; check "imputation exits 0" "[ $? -eq 0 ]"
"$SPILL" did $M --method twostage --format csv > "$TMP/2s.csv"; check "twostage exits 0" "[ $? -eq 0 ]"
check "imputation = two-stage point estimate" \
  "[ \"\$(grep '\"ATT (treated)\"' $TMP/2s.csv | cut -d, -f6)\" = \"\$(awk -F, '/ATT .treated./{print \$6}' $TMP/2s.csv)\" ]"
"$SPILL" did $M --method twfe > "$TMP/twfe.txt"; check "twfe exits 0" "[ $? -eq 0 ] && grep -q 'TWFE: treated' $TMP/twfe.txt"

# spillovers: exposure from W on prefectures (simulated pilots)
if [ -f "$SHARED/refs/china_prefectures_queen.gal" ]; then
  awk 'NR>1 && NR%2==0 {print $1}' "$SHARED/refs/china_prefectures_queen.gal" > "$TMP/ids"
  awk 'BEGIN{srand(4); print "id,year,y,adopt"} {a=rand(); g=0; if (a<0.05) g=2004; else if (a<0.1) g=2006; else if (a<0.15) g=2008;
       u=rand(); for (t=2001;t<=2010;t++) printf "%s,%d,%.6f,%d\n",$1,t,u+0.1*t-200+(g&&t>=g?1:0)+rand()-0.5,g}' "$TMP/ids" > "$TMP/sp.csv"
  "$SPILL" did --method imputation --data "$TMP/sp.csv" --id id --time year --y y --adopt adopt \
    --w "$SHARED/refs/china_prefectures_queen.gal" --exposure orders:2 --figure "$TMP/sp.svg" > "$TMP/sp.txt" 2> "$TMP/sp.err"
  check "spillover run exits 0" "[ $? -eq 0 ]"
  check "ring rows and comparison" "grep -q 'spillover on exposed controls, order 2' $TMP/sp.txt && grep -q 'SDM-DID: indirect' $TMP/sp.txt && grep -q 'TWFE with exposure' $TMP/sp.txt"
  check "spillover figure is SVG" "grep -q '<svg' $TMP/sp.svg"
  "$SPILL" did --method twostage --data "$TMP/sp.csv" --id id --time year --y y --adopt adopt \
    --map "$SHARED/data/china_prefectures.shp" --exposure rings:100,200 --no-compare > "$TMP/rg.txt" 2>&1
  check "distance rings run" "[ $? -eq 0 ] && grep -q '100-200 km' $TMP/rg.txt"
fi

# usage errors exit 2; data problems exit 1 with an explanation
"$SPILL" did $M --method xyz > /dev/null 2> "$TMP/e1"; check "bad method exit 2" "[ $? -eq 2 ] && grep -q \"unknown --method 'xyz'\" $TMP/e1"
"$SPILL" did $M --exposure any > /dev/null 2> "$TMP/e2"; check "exposure with cs exit 2" "[ $? -eq 2 ]"
"$SPILL" did $M --method imputation --exposure rings:50 > /dev/null 2> "$TMP/e3"; check "rings without map exit 2" "[ $? -eq 2 ] && grep -q -- '--map' $TMP/e3"
awk -F, 'NR==1 || $5 != "0"' "$SHARED/data/mpdta.csv" > "$TMP/alltreated.csv"
"$SPILL" did --data "$TMP/alltreated.csv" --id countyreal --time year --y lemp --adopt first.treat > /dev/null 2> "$TMP/e4"
check "no never-treated: explained" "[ $? -eq 1 ] && grep -q 'no never-treated group' $TMP/e4 && grep -q -- '--control notyet' $TMP/e4"
"$SPILL" did --data "$TMP/alltreated.csv" --id countyreal --time year --y lemp --adopt first.treat --control notyet --boot 0 > "$TMP/o5" 2>&1
check "not-yet-treated: what is identified" "[ $? -eq 0 ] && grep -q 'last cohort (2007) serves as the not-yet-treated control' $TMP/o5"
awk -F, 'BEGIN{OFS=","} NR==1{print $0,"\"state\""; next} {print $0, int($2/1000)}' "$SHARED/data/mpdta.csv" > "$TMP/mpst.csv"
"$SPILL" did --data "$TMP/mpst.csv" --id countyreal --time year --y lemp --adopt first.treat --cluster state > "$TMP/cl.txt" 2>&1
check "cluster by state" "[ $? -eq 0 ] && grep -q 'clustered (29 clusters)' $TMP/cl.txt && grep -q 'simple ATT *-0.0400' $TMP/cl.txt"
"$SPILL" did --data "$TMP/mpst.csv" --id countyreal --time year --y lemp --adopt first.treat --cluster lpop > /dev/null 2> "$TMP/e6"
check "non-integer cluster codes refused" "[ $? -eq 1 ] && grep -q 'whole-number codes' $TMP/e6"
check "no temporary files left" "[ \$(ls $TMP | grep -c tmp) -eq 0 ]"
exit $fail
