#!/bin/sh
# Interactions in --x (a*b, a:b, a*b*c, did*m) against the same commands on
# a file with the products made by hand (awk, 17 digits: the same doubles),
# and --years FROM-TO against the file cut by hand, on every command that
# reads a panel. Bad terms fail with the messages of docs/errors.md.
# usage: sh interact.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; TMP=$3
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
tmp=$TMP
. ./expect.inc
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }

"$SPILL" demo --generated --n 60 --draws 100 --out "$TMP/d" >/dev/null 2>&1 || { echo "FAIL: demo"; exit 1; }
# adoption year, a province code, and the products by hand
awk -F, 'BEGIN{OFS=","} NR==FNR{ if(FNR>1 && $4==1 && (!($1 in a) || $2<a[$1])) a[$1]=$2; next}
  FNR==1{print "id,year,y,d,x1,x2,x3,adopt,prov,x1_x2,x1_x3,x2_x3,x1_x2_x3,d_x1";next}
  {u=$1; gsub(/"/,"",u); print u,$2,$3,$4,$5,$6,$7,(($1 in a)?a[$1]:0),u%5,
   sprintf("%.17g",$5*$6),sprintf("%.17g",$5*$7),sprintf("%.17g",$6*$7),sprintf("%.17g",$5*$6*$7),
   sprintf("%.17g",$4*$5)}' "$TMP/d/panel.csv" "$TMP/d/panel.csv" > "$TMP/p.csv"
W="--w $TMP/d/w_adjacency.gwt"
K="--id id --time year --y y"

# same LABEL TERMS HAND command...: the command with terms and with the
# hand-made columns prints the same table once the names are mapped (the
# option is --x, or $OPT)
same() {
  label=$1; terms=$2; hand=$3; shift 3
  "$SPILL" "$@" ${OPT:---x} "$terms" > "$TMP/a.txt" 2>"$TMP/a.err"; ra=$?
  "$SPILL" "$@" ${OPT:---x} "$hand" > "$TMP/b.txt" 2>"$TMP/b.err"; rb=$?
  sed -e 's/x1:x2:x3/x1_x2_x3/g' -e 's/x1:x2/x1_x2/g' -e 's/x1:x3/x1_x3/g' -e 's/x2:x3/x2_x3/g' \
      -e 's/d:x1/d_x1/g' -e 's/did:x1/d_x1/g' "$TMP/a.txt" > "$TMP/a2.txt"
  if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
    echo "FAIL: $label exited $ra / $rb"; sed 's/^/  | /' "$TMP/a.err" "$TMP/b.err"; fail=1
  elif ! cmp -s "$TMP/a2.txt" "$TMP/b.txt"; then
    echo "FAIL: $label: terms and hand-made columns differ"; diff "$TMP/a2.txt" "$TMP/b.txt" | head -20; fail=1
  fi
}
P="--data $TMP/p.csv $K"
same "fit sdm" "x1*x2,x3" "x1,x2,x1_x2,x3" fit $P $W --treat d --draws 200 --format csv
same "fit sdm three-way" "x1*x2*x3" "x1,x2,x3,x1_x2,x1_x3,x2_x3,x1_x2_x3" fit $P $W --treat d --no-effects
same "fit ols twfe, d*x1" "d*x1" "x1,d_x1" fit $P --treat d --model ols --format csv
same "fit sdem" "x1:x2,x3" "x1_x2,x3" fit $P $W --treat d --model sdem --no-effects
same "fit ols --absorb --vce" "x1*x2" "x1,x2,x1_x2" fit $P --treat d --model ols --absorb prov#year --vce cluster prov
same "eventstudy" "x1*x2" "x1,x2,x1_x2" eventstudy $P --adopt adopt --format csv
same "eventstudy sdm" "x1*x2" "x1,x2,x1_x2" eventstudy $P $W --adopt adopt --model sdm --format csv
same "placebo" "x1*x2" "x1,x2,x1_x2" placebo $P --adopt adopt --reps 50 --seed 3
same "bacon" "x1*x2" "x1,x2,x1_x2" bacon $P --adopt adopt
same "did imputation" "x1*x2" "x1,x2,x1_x2" did $P --adopt adopt --method imputation --boot 0
same "did cs" "x1:x2" "x1_x2" did $P --adopt adopt --boot 0
OPT=--cov same "psm" "x1*x2" "x1,x2,x1_x2" psm $P --adopt adopt
same "diagnose" "x1*x2" "x1,x2,x1_x2" diagnose $P $W --treat d
same "moran --resid" "x1*x2" "x1,x2,x1_x2" moran --data "$TMP/p.csv" --id id --time year --var y $W --resid
same "fit --by" "x1*x2" "x1,x2,x1_x2" fit $P --adopt adopt --by prov --reps 99

# --years: the window equals the file cut by hand, and a unit lacking a
# year outside the window does not count against balance
awk -F, 'NR==1 || ($2>=2012 && $2<=2019)' "$TMP/p.csv" > "$TMP/cut.csv"
awk -F, '!($1==7 && $2==2011)' "$TMP/p.csv" > "$TMP/hole.csv"
window() {
  label=$1; shift
  "$SPILL" "$@" --data "$TMP/hole.csv" --years 2012-2019 > "$TMP/a.txt" 2>"$TMP/a.err"; ra=$?
  "$SPILL" "$@" --data "$TMP/cut.csv" > "$TMP/b.txt" 2>"$TMP/b.err"; rb=$?
  if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
    echo "FAIL: $label --years exited $ra / $rb"; sed 's/^/  | /' "$TMP/a.err" "$TMP/b.err"; fail=1
  elif ! cmp -s "$TMP/a.txt" "$TMP/b.txt"; then
    echo "FAIL: $label: --years and the file cut by hand differ"; diff "$TMP/a.txt" "$TMP/b.txt" | head -20; fail=1
  elif ! grep -q "years 2012-2019: 8 of 12 periods kept" "$TMP/a.err"; then
    echo "FAIL: $label: no notice of the window"; sed 's/^/  | /' "$TMP/a.err"; fail=1
  fi
}
window "fit" fit $K $W --treat d --x x1 --draws 200
window "eventstudy" eventstudy $K --adopt adopt --x x1 --leads 2 --lags 2
window "placebo" placebo $K --adopt adopt --reps 50 --seed 3
window "bacon" bacon $K --adopt adopt
window "fit --by" fit $K --adopt adopt --by prov --reps 99
window "did cs" did $K --adopt adopt --boot 0
window "did imputation" did $K --adopt adopt --method imputation --boot 0 $W --exposure any
window "psm" psm $K --adopt adopt --cov x1,x2
window "diagnose" diagnose $K $W --treat d --x x1,x2
window "moran" moran --id id --time year --var y $W
window "moran --resid" moran --id id --time year --var y $W --resid --x x1
window "lisa" lisa --id id --time year --var y $W --perm 99 --period 2015

# the window: bad input
expect 2 "--years '2019-2012': expected FROM-TO with FROM <= TO" -- "$SPILL" did $P --adopt adopt --years 2019-2012
expect 2 "--years needs --data (a map has no periods)" -- "$SPILL" moran --map "$TMP/d/network.shp" --var x --contiguity queen --years 2012-2013
expect 1 "no period of the panel (2011 to 2022) is in the window" -- "$SPILL" psm $P --adopt adopt --cov x1 --years 1990-1995
expect 1 "unbalanced panel within --years 2011-2013" -- "$SPILL" diagnose --data "$TMP/hole.csv" $K $W --x x1 --years 2011-2013
expect 0 "dropped 1 incomplete unit" -- "$SPILL" eventstudy --data "$TMP/hole.csv" $K --adopt adopt --years 2011-2013 --drop-incomplete

# terms: bad input
expect 1 "--x x1*zz: no column 'zz' in" -- "$SPILL" fit $P $W --treat d --x 'x1*zz'
expect 1 "--x x1*: an empty factor" -- "$SPILL" eventstudy $P --adopt adopt --x 'x1*'
expect 1 "--x x1**x2: an empty factor" -- "$SPILL" did $P --adopt adopt --x 'x1**x2'
expect 1 "--cov x1*zz: no column 'zz'" -- "$SPILL" psm $P --adopt adopt --cov 'x1*zz'
expect 1 "at most three factors" -- "$SPILL" fit $P $W --treat d --x 'x1*x2*x3*prov'
expect 1 "not both" -- "$SPILL" fit $P $W --treat d --x 'x1*x2:x3'
expect 1 "'x1' appears twice in the term" -- "$SPILL" fit $P $W --treat d --x 'x1:x1'
# spill iv: terms among the controls, a product as the endogenous regressor
same "iv, x terms" "x1*x2" "x1,x2,x1_x2" iv $P --endog d --instr x3 --format csv
OPT=--endog same "iv, endogenous product" "d:x1" "d_x1" iv $P --instr x3 --x x1 --format csv
OPT=--instr same "iv, instrument product" "x1:x2" "x1_x2" iv $P --endog d --x x3 --format csv
expect 2 "a product in --endog or --instr is written a:b" -- "$SPILL" iv $P --endog 'd*x1' --instr x3
# a product cell is missing when a factor is: the row is left out (OLS) as Stata does
awk -F, 'BEGIN{OFS=","} NR==5{$6=""} {print}' "$TMP/p.csv" > "$TMP/miss.csv"
expect 0 "1 row with a missing value" -- "$SPILL" fit --data "$TMP/miss.csv" $K --treat d --model ols --x 'x1*x2'
# on a map: products of DBF fields
M="--map $TMP/d/network.shp --var id --contiguity queen --resid"
"$SPILL" moran $M --x 'lon*lat' > "$TMP/m1.txt" 2>&1; r1=$?
"$SPILL" moran $M --x 'lon,lat' > "$TMP/m2.txt" 2>&1; r2=$?
check "moran on a map with lon*lat runs" "[ $r1 -eq 0 ] && [ $r2 -eq 0 ]"
check "the product changes the residuals" "! cmp -s $TMP/m1.txt $TMP/m2.txt"
# every touched command shows terms in --help
for c in fit eventstudy placebo bacon did psm diagnose moran fit_--by_g; do
  "$SPILL" $(echo $c | tr _ ' ') --help 2>&1 | grep -q 'a:b\|A:B' || { echo "FAIL: $c --help does not mention a:b"; fail=1; }
done
exit $fail
