#!/bin/sh
# Install spill into a temporary prefix, then build the example as an outside
# user would: with pkg-config, and with CMake's find_package; run both.
# usage: test_install.sh BUILD_DIR SOURCE_DIR TMP_DIR
set -eu
build=$1 src=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(ls -d "$prefix"/lib*/ | head -n 1)
for f in bin/spill include/spill.h share/man/man1/spill.1; do
  [ -e "$prefix/$f" ] || { echo "install: $f missing"; exit 1; }
done
[ -e "$libdir/libspill.a" ] && [ -e "$libdir/libspill.so.0" ] || { echo "install: libraries missing"; exit 1; }
# Only the public API is exported: no internal spill__ symbol.
if nm -D --defined-only "$libdir/libspill.so" | grep -q ' spill__'; then
  echo "install: libspill.so exports internal spill__ symbols"; exit 1
fi
nm -D --defined-only "$libdir/libspill.so" | grep -q ' spill_fit_model$' || { echo "install: spill_fit_model not exported"; exit 1; }

export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -o "$tmp/pipeline_pc" "$src/examples/pipeline.c" $(pkg-config --cflags --libs spill)
(cd "$tmp" && LD_LIBRARY_PATH="$libdir" ./pipeline_pc >pc.out) || { echo "pkg-config build did not run"; exit 1; }
grep -q "indirect" "$tmp/pc.out" || { echo "pkg-config build printed no effects"; cat "$tmp/pc.out"; exit 1; }
# (pkg-config --static is not tried: Debian's geos.pc names -lgeos, whose
# development link Debian does not ship; the find_package build below links
# the static library.)

cmake -S "$src/examples/outside" -B "$tmp/outside" -DCMAKE_PREFIX_PATH="$prefix" \
  -DSPILL_EXAMPLE_SOURCE="$src/examples/pipeline.c" >/dev/null
cmake --build "$tmp/outside" >/dev/null
(cd "$tmp" && "$tmp/outside/pipeline_shared" >cm.out && "$tmp/outside/pipeline_static" >cms.out) ||
  { echo "find_package build did not run"; exit 1; }
grep -q "indirect" "$tmp/cm.out" && grep -q "indirect" "$tmp/cms.out" || { echo "find_package builds printed no effects"; exit 1; }
grep -q '^.SS "spill fit"' "$prefix/share/man/man1/spill.1" || { echo "man page lacks spill fit"; exit 1; }
echo "install: pkg-config (shared) and find_package (shared, static) builds run"
