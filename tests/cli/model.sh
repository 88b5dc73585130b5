#!/bin/sh
# spill fit, the model family: SAC, SDEM, random effects, Lee-Yu, GNS refused.
# usage: sh model.sh SPILL_EXE SHARED_DIR TMPDIR
SPILL=$1; SHARED=$2; TMP=$3
[ -f "$SHARED/data/produc.csv" ] || { echo "SKIP: no shared data"; exit 77; }
rm -rf "$TMP" && mkdir -p "$TMP" || exit 1
fail=0
check() { if eval "$2"; then :; else echo "FAIL: $1"; fail=1; fi; }
# |json member estimate - ref| / |ref| < tol
near() { awk -F'"estimate": ' -v m="\"$2\"" -v r="$3" -v t="$4" \
  'index($0, m) {split($2,a,","); d=(a[1]-r)/r; if (d<0) d=-d; ok=(d<t)} END{exit !ok}' "$1"; }

"$SPILL" fit --help > "$TMP/help.txt"
check "help lists sac, sdem, random, lee-yu-bc" \
  "grep -q 'sac (rho W y and lambda W u)' $TMP/help.txt && grep -q 'sdem' $TMP/help.txt && grep -q 'random' $TMP/help.txt && grep -q -- '--lee-yu-bc' $TMP/help.txt"

awk -F, 'NR==1{print "state,year,lgsp,lpcap,lpc,lemp,unemp"; next}
  {printf "%s,%s,%.17g,%.17g,%.17g,%.17g,%s\n",$1,$2,log($9),log($4),log($8),log($10),$11}' \
  "$SHARED/data/produc.csv" > "$TMP/produc.csv"
A="--data $TMP/produc.csv --w $SHARED/data/usaww.csv --id state --time year --y lgsp --x lpcap,lpc,lemp,unemp"

# SAC two-way, splm's lag convention: splm's lambda (lag) 0.048514919735, rho (error) 0.336115599647
"$SPILL" fit $A --model sac --wy splm --draws 100 --json "$TMP/sac.json" > "$TMP/sac.txt" 2>&1
check "sac exits 0" "[ $? -eq 0 ]"
check "sac table names both parameters" "grep -q '^rho ' $TMP/sac.txt && grep -q '^lambda ' $TMP/sac.txt && grep -q 'SAC/SARAR' $TMP/sac.txt"
check "sac rho (lag) matches splm" "near $TMP/sac.json rho 0.048514919735 1e-6"
check "sac lambda (error) matches splm" "near $TMP/sac.json lambda 0.336115599647 1e-6"
check "sac effects printed" "grep -q 'indirect' $TMP/sac.txt"

# SDEM: effects are the coefficients
"$SPILL" fit $A --model sdem --draws 0 > "$TMP/sdem.txt" 2>&1
check "sdem exits 0 with lambda and W terms" "[ $? -eq 0 ] && grep -q '^lambda ' $TMP/sdem.txt && grep -q '^W\*lpc ' $TMP/sdem.txt"
check "sdem indirect effect = theta" \
  "[ \"\$(awk '/^W\*lpc /{print \$2}' $TMP/sdem.txt)\" = \"\$(awk '/^lpc +direct/{getline; print \$2}' $TMP/sdem.txt)\" ]"

# random effects SAR (splm: lambda 0.161614536572, phi 21.317508140789; see test_model for why 2e-6)
"$SPILL" fit $A --model sar --re --no-effects --json "$TMP/re.json" > "$TMP/re.txt" 2>&1
check "re exits 0 with constant and phi" "[ $? -eq 0 ] && grep -q '^(constant)' $TMP/re.txt && grep -q '^phi ' $TMP/re.txt"
check "re rho matches splm" "near $TMP/re.json rho 0.161614536572 1e-6"
check "re phi matches splm" "near $TMP/re.json phi 21.317508140789 2e-6"
check "json says random" "grep -q '\"fe\": \"random\"' $TMP/re.json"
"$SPILL" fit $A --model sem --fe random --no-effects > "$TMP/sem_re.txt" 2>&1
check "re sem exits 0" "[ $? -eq 0 ] && grep -q '^phi ' $TMP/sem_re.txt"

# Lee-Yu: the transformation and the bias correction
"$SPILL" fit $A --model sdm --lee-yu --no-effects --json "$TMP/ly.json" > "$TMP/ly.txt" 2>&1
check "lee-yu exits 0 and says transformation" "[ $? -eq 0 ] && grep -q 'Lee-Yu transformation (exact ML)' $TMP/ly.txt && grep -q '\"lee_yu_method\": \"transformation\"' $TMP/ly.json"
"$SPILL" fit $A --model sdm --lee-yu-bc --wy splm --no-effects --json "$TMP/bc.json" > "$TMP/bc.txt" 2>&1
check "lee-yu-bc keeps Elhorst's correction (rho 0.40997)" "[ $? -eq 0 ] && near $TMP/bc.json rho 0.40997 1e-4 && grep -q \"Elhorst's\" $TMP/bc.txt"

# refusals
"$SPILL" fit $A --model gns > /dev/null 2> "$TMP/e1"
check "gns refused with the reason (exit 2)" "[ $? -eq 2 ] && grep -q 'not identified' $TMP/e1"
"$SPILL" fit $A --model sac --fe random > /dev/null 2> "$TMP/e2"
check "sac with random effects refused (exit 1)" "[ $? -eq 1 ] && grep -q 'random effects are implemented for the SAR, SDM and SEM' $TMP/e2"
"$SPILL" fit $A --model sar --lee-yu --lee-yu-bc > /dev/null 2> "$TMP/e3"
check "both Lee-Yu options refused" "[ $? -eq 2 ]"
"$SPILL" fit $A --model sar --fe time --lee-yu > /dev/null 2> "$TMP/e4"
check "lee-yu with time effects refused" "[ $? -eq 2 ]"
exit $fail
