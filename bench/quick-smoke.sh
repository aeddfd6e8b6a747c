#!/bin/sh
# quick-smoke.sh: runs `cloakroom bench --quick --out DIR` and checks that
# it exits 0, prints both configurations and the two ratio lines, and
# writes the figure files. It must never assert a time or a ratio's value.
set -u
bench="$1"
out="$(mktemp -d "${TMPDIR:-/tmp}/cloakroom-bench-smoke-XXXXXX")"
trap 'rm -rf "$out"' EXIT
log="$out/stdout"
fail() { echo "not ok 1 bench --quick: $*"; cat "$log"; exit 1; }

echo "1..1"
"$bench" --quick --out "$out/figures" >"$log" 2>&1 || fail "exit status $?"
for line in 'configuration bare' 'configuration secured' \
            'ratio p50 latency secured/bare: ' \
            'ratio throughput at 64 in flight secured/bare: ' \
            'per-hop decision (micro): '; do
  grep -q "^$line" "$log" || fail "no line '$line'"
done
tail -n 1 "$log" | grep -q '^ratio throughput at 64 in flight' ||
  fail "the ratios are not printed last"
head -c 5 "$out/figures/benchmarks-latency.svg" | grep -q '^<svg' ||
  fail "no SVG written"
grep -q '^| latency p50 (us) |' "$out/figures/benchmarks-figures.md" ||
  fail "no markdown fragment written"
echo "ok 1 bench --quick prints both configurations and the ratios"
