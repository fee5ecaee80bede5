#!/bin/sh
# fixnet tests: a program of its own (examples/spiral, copied elsewhere) uses
# fixnet the ways the README gives: as a Meson subproject, and installed
# (meson install) then found through pkg-config, by Meson and by a plain
# compiler command. Each build must be warning-free, use portable code unless
# asked otherwise, and run (the program exits 0 once it has learnt).
# Usage: check_consumer.sh SOURCE_ROOT
set -eu
root=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/examples/spiral" "$work/app"

# no_native DIR: nothing in DIR's build was compiled for the build machine only.
no_native() {
  if grep -q -- '-march=native' "$1/compile_commands.json"; then
    echo "check_consumer: $1 was compiled with -march=native" >&2
    exit 1
  fi
}

echo "-- as a subproject"
mkdir "$work/app/subprojects"
ln -s "$root" "$work/app/subprojects/fixnet"
meson setup "$work/sub" "$work/app" --force-fallback-for=fixnet >"$work/sub.log" || { cat "$work/sub.log"; exit 1; }
ninja -C "$work/sub" >/dev/null
no_native "$work/sub"
"$work/sub/spiral"
rm "$work/app/subprojects/fixnet"

echo "-- installed, through pkg-config"
meson setup "$work/fixnet" "$root" -Dtests=false -Dsimd=portable --prefix="$work/prefix" --libdir=lib \
  >"$work/fixnet.log" || { cat "$work/fixnet.log"; exit 1; }
ninja -C "$work/fixnet" >/dev/null
meson install -C "$work/fixnet" --quiet >/dev/null
PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
export PKG_CONFIG_PATH
meson setup "$work/pc" "$work/app" --wrap-mode=nofallback >"$work/pc.log" || { cat "$work/pc.log"; exit 1; }
ninja -C "$work/pc" >/dev/null
no_native "$work/pc"
"$work/pc/spiral"
# shellcheck disable=SC2046  # pkg-config's flags are words
c++ -std=c++17 -O2 -Wall -Wextra -Wpedantic -Werror "$work/app/spiral.cpp" $(pkg-config --cflags --libs fixnet) \
  -o "$work/spiral"
"$work/spiral" >/dev/null
echo "check_consumer: the program built and ran as a subproject and from an installed prefix"
