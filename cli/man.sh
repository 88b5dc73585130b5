#!/bin/sh
# Generate the spill(1) man page from the --help texts of the built command.
# usage: man.sh SPILL_EXE > spill.1
set -eu
exe=$1
# roff: escape backslashes, protect lines starting with . or '
esc() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
block() { printf '.nf\n'; esc; printf '.fi\n'; }

ver=$("$exe" --version | head -n 1 | cut -d' ' -f2)
printf '.TH SPILL 1 "" "spill %s" "User Commands"\n' "$ver"
printf '.SH NAME\nspill \\- spatial spillover econometrics on city networks\n'
printf '.SH SYNOPSIS\n.B spill\n.I COMMAND\n[options]\n'
printf '.SH DESCRIPTION\n'
"$exe" --help | block
printf '.SH COMMANDS\n'
for c in demo info "weights" "weights queen" "weights knn" "weights info" "weights convert" \
         "weights subset" fit map join moran lisa diagnose eventstudy placebo bacon did table iv psm; do
  # shellcheck disable=SC2086
  if out=$("$exe" $c --help 2>/dev/null) && [ -n "$out" ]; then
    printf '.SS "spill %s"\n' "$c"
    printf '%s\n' "$out" | block
  fi
done
printf '.SH EXIT STATUS\n0 success, 1 bad input, data or a failed computation (a message says which), 2 usage error.\n'
printf '.SH VERSIONS\n'
"$exe" --version | block
printf '.SH SEE ALSO\nThe README of spill, and spill.h for the C library.\n'
