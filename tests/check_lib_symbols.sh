#!/bin/sh
# fixnet tests: lib/ links to nothing that allocates, throws, prints or uses RTTI.
# Usage: check_lib_symbols.sh LIBFIXNET.a
set -eu
lib="$1"
skip=77
[ "${CI:-}" = true ] && skip=1  # CI may not skip
command -v nm >/dev/null || { echo "SKIPPED (exit $skip): nm not found"; exit $skip; }
# Symbols the archive needs from outside itself: undefined in some member, defined in none.
nm "$lib" | awk 'NF == 2 && $1 == "U" { print $2 }' | sort -u > "${TMPDIR:-/tmp}/fixnet-undef.$$"
nm "$lib" | awk 'NF == 3 && $2 != "U" { print $3 }' | sort -u > "${TMPDIR:-/tmp}/fixnet-def.$$"
undefined=$(comm -23 "${TMPDIR:-/tmp}/fixnet-undef.$$" "${TMPDIR:-/tmp}/fixnet-def.$$")
rm -f "${TMPDIR:-/tmp}/fixnet-undef.$$" "${TMPDIR:-/tmp}/fixnet-def.$$"
echo "lib/ needs only:" $undefined
# operator new/delete, malloc family, exceptions, RTTI, stdio/iostream.
forbidden=$(printf '%s\n' "$undefined" | grep -E \
  '^(malloc|calloc|realloc|free|aligned_alloc|posix_memalign|_Znw.*|_Zna.*|_Zdl.*|_Zda.*|__cxa_throw|__cxa_allocate_exception|__cxa_begin_catch|__dynamic_cast|_ZTI.*|printf|fprintf|puts|fputs|fopen|fwrite|write|_ZSt4cout|_ZSt4cerr)$' || true)
if [ -n "$forbidden" ]; then
  echo "FAILED: lib/ uses forbidden symbols:" $forbidden
  exit 1
fi
