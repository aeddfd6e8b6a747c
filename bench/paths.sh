#!/bin/sh
# paths.sh: `cloakroom bench --paths [--smoke]`: `cloakroom paths` on a
# generated domain (bench/paths-domain.py; 10,000 users and 2,000
# computers, --smoke 200 and 40), end to end: loading the domain, the
# search decided by the model in process, and the confirmation of every
# path on the daemons, each path run (--confirm each) and one run per
# class of alike paths (--confirm class), on two sets of daemons at once
# (the default, -j 2) and, for comparison in the same run, on one (-j 1);
# then the same domain as an Active Directory LDIF export, through
# `cloakroom import` and `paths` (--confirm class) on what it wrote, and
# that paths once more with -j 1. It prints only what it measured, with
# the load average before each figure, and asserts nothing about times,
# against the goal of 5 s.
# Usage: paths.sh LAUNCHER SOURCE_DIR [--smoke]
set -eu
launch="$1"
src="$2"
users=10000 computers=2000
[ "${3:-}" = "--smoke" ] && users=200 computers=40
out="$(mktemp -d "${TMPDIR:-/tmp}/cloakroom-bench-paths-XXXXXX")"
trap 'rm -rf "$out"' EXIT
python3 "$src/bench/paths-domain.py" "$users" "$computers" "$out/domain.yaml"
echo "paths on a generated domain: $users users, $computers computers ($(wc -c <"$out/domain.yaml") bytes)"
echo "  machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
load() { cut -d' ' -f1-3 /proc/loadavg; }
for how in "class" "class -j 1" "each"; do
  l0=$(load)
  t0=$(date +%s.%N)
  # $how is split on purpose: "class -j 1" is two options
  # shellcheck disable=SC2086
  "$launch" paths "$out/domain.yaml" --to svc-sql --confirm $how \
    >"$out/table" 2>"$out/stats" ||
    { echo "cloakroom bench --paths: paths failed:" >&2; cat "$out/stats" >&2; exit 3; }
  t1=$(date +%s.%N)
  echo "  --confirm $how: $(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}') s end to end (load $l0); $(cat "$out/stats")"
done
python3 "$src/bench/paths-domain.py" "$users" "$computers" "$out/export.ldif" ldif
l0=$(load)
t0=$(date +%s.%N)
"$launch" import "$out/export.ldif" --out "$out/imported" >"$out/import" 2>&1 ||
  { echo "cloakroom bench --paths: import failed:" >&2; cat "$out/import" >&2; exit 3; }
t1=$(date +%s.%N)
"$launch" paths "$out/imported/domain.yaml" --to svc-sql --confirm class \
  >"$out/table" 2>"$out/stats" ||
  { echo "cloakroom bench --paths: paths failed:" >&2; cat "$out/stats" >&2; exit 3; }
t2=$(date +%s.%N)
echo "  import of the LDIF export ($(wc -c <"$out/export.ldif") bytes): $(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}') s; $(sed -n 's/^  accounts written: //p' "$out/import")"
echo "  import, then paths --confirm class: $(echo "$t0 $t2" | awk '{printf "%.2f", $2-$1}') s end to end (load $l0); $(cat "$out/stats")"
l0=$(load)
t0=$(date +%s.%N)
"$launch" paths "$out/imported/domain.yaml" --to svc-sql --confirm class -j 1 \
  >"$out/table" 2>"$out/stats" ||
  { echo "cloakroom bench --paths: paths failed:" >&2; cat "$out/stats" >&2; exit 3; }
t1=$(date +%s.%N)
echo "  the same paths with -j 1: $(echo "$t0 $t1" | awk '{printf "%.2f", $2-$1}') s (load $l0); $(cat "$out/stats")"
