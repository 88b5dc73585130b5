#!/bin/sh
# spill fit: Produc/usaww two-way SDM against splm, outputs, usage and data errors.
# usage: sh fit.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; TMP=$3
[ -f "$SHARED/data/produc.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }

"$SPILL" fit --help > "$TMP/help.txt"; check "help exits 0" "[ $? -eq 0 ]"
check "help has usage and example" "grep -q 'usage: spill fit' $TMP/help.txt && grep -q -- '--adopt' $TMP/help.txt"

awk -F, 'NR==1{print "state,year,lgsp,lpcap,lpc,lemp,unemp"; next}
  {printf "%s,%s,%.17g,%.17g,%.17g,%.17g,%s\n",$1,$2,log($9),log($4),log($8),log($10),$11}' \
  "$SHARED/data/produc.csv" > "$TMP/produc.csv"

"$SPILL" fit --data "$TMP/produc.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp \
  --x lpcap,lpc,lemp,unemp --wy splm --no-effects \
  --json "$TMP/f.json" --csv "$TMP/f.csv" --latex "$TMP/f.tex" > "$TMP/out.txt" 2> "$TMP/err.txt"
check "fit exits 0" "[ $? -eq 0 ]"
check "table printed" "grep -q 'Spatial Durbin model' $TMP/out.txt && grep -q 'log-likelihood 1680.47' $TMP/out.txt"
check "the lag convention is stated" "grep -q 'lag of y: W (Q y), R splm' $TMP/out.txt"
check "json rho matches splm to 1e-6" \
  "awk -F'\"estimate\": ' '/\"rho\"/{split(\$2,a,\",\"); r=a[1]; d=(r-0.368846209590)/0.368846209590; if (d<0) d=-d; exit !(d<1e-6)}' $TMP/f.json"
check "json states the lag convention" "grep -q '\"wy\": \"splm\"' $TMP/f.json"
check "json has the coefficient list" "grep -q '\"name\": \"W\\*lpcap\"' $TMP/f.json && grep -q '\"loglik\": 1680.47' $TMP/f.json"
check "csv header" "head -1 $TMP/f.csv | grep -q '^term,estimate,se,z,p,stars'"
check "latex booktabs" "grep -q 'toprule' $TMP/f.tex"
check "no temporary files left" "[ \$(ls $TMP | grep -c tmp) -eq 0 ]"

# usage errors exit 2, data errors exit 1 with a message
"$SPILL" fit --data "$TMP/produc.csv" --id state > /dev/null 2>&1; check "missing options exit 2" "[ $? -eq 2 ]"
"$SPILL" fit --data "$TMP/produc.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --model xyz > /dev/null 2> "$TMP/e1"
check "bad model exit 2" "[ $? -eq 2 ] && grep -q \"unknown --model 'xyz'\" $TMP/e1"
head -100 "$TMP/produc.csv" > "$TMP/unbal.csv"
"$SPILL" fit --data "$TMP/unbal.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --no-effects > /dev/null 2> "$TMP/e2"
check "unbalanced exit 1 with --drop-incomplete hint" "[ $? -eq 1 ] && grep -q 'unbalanced panel' $TMP/e2 && grep -q -- '--drop-incomplete' $TMP/e2"
"$SPILL" fit --data "$TMP/unbal.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --drop-incomplete --no-effects > /dev/null 2> "$TMP/e3"
check "dropped units leave W too: the cut is reported" "[ $? -eq 0 ] && grep -q 'W follows the sample: 43 of 48 W units are not in the panel' $TMP/e3"
"$SPILL" fit --data "$TMP/unbal.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --drop-incomplete --w-strict --no-effects > /dev/null 2> "$TMP/e3b"
check "--w-strict: W units not in the panel are an error" "[ $? -eq 1 ] && grep -q 'W units are not in the panel' $TMP/e3b && grep -q -- '--w-strict' $TMP/e3b"
sed 's/^"ALABAMA",1975,[^,]*/"ALABAMA",1975,NA/' "$TMP/produc.csv" > "$TMP/na.csv"
"$SPILL" fit --data "$TMP/na.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --no-effects > /dev/null 2> "$TMP/e4"
check "NA cell names line and column" "[ $? -eq 1 ] && grep -q \"line 7, column 'lgsp'\" $TMP/e4"
"$SPILL" fit --data "$TMP/produc.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp --x lpcap --model ols --no-effects > "$TMP/ols.txt" 2>&1
check "ols table" "[ $? -eq 0 ] && grep -q 'Cl. S.E.' $TMP/ols.txt"
# --adopt builds the staggered DID indicator (1 from the adoption year on; empty = never)
awk -F, 'NR==1{print $0",pilot"; next}{a=""; if ($1 ~ /^"[A-I]/) a=1980; else if ($1 ~ /^"[J-N]/) a=1984; print $0","a}' \
  "$TMP/produc.csv" > "$TMP/adopt.csv"
"$SPILL" fit --data "$TMP/adopt.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp \
  --adopt pilot --x lpcap,lpc,lemp --model ols --no-effects --json "$TMP/did.json" > "$TMP/did.txt" 2>&1
check "adopt: did is the first coefficient" "[ $? -eq 0 ] && grep -q '^did ' $TMP/did.txt && grep -q '\"name\": \"did\"' $TMP/did.json"
"$SPILL" fit --data "$TMP/adopt.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp \
  --adopt pilot --x lpcap,lpc,lemp --no-effects --logdet lu --json "$TMP/lu.json" > /dev/null 2>&1
"$SPILL" fit --data "$TMP/adopt.csv" --w "$SHARED/data/usaww.csv" --id state --time year --y lgsp \
  --adopt pilot --x lpcap,lpc,lemp --no-effects --logdet eigen --json "$TMP/eig.json" > /dev/null 2>&1
check "lu and eigen give the same rho" \
  "[ \"\$(grep -o '\"estimate\": [-0-9.e]*' $TMP/lu.json | head -1 | cut -c13-21)\" = \"\$(grep -o '\"estimate\": [-0-9.e]*' $TMP/eig.json | head -1 | cut -c13-21)\" ]"
exit $fail
