#!/bin/sh
# quick-smoke.sh: runs `cloakroom bench --smoke --out DIR` (the quick mode
# with tiny counts) and checks that it exits 0, prints the four
# configurations and the minimal relay's, the seal/open micro-benchmarks,
# the floor's ratio and the ratio lines of both pairs last, writes the plot and
# puts the figures between the markers of DIR/benchmarks.md, keeping the
# text around them. It must never assert a time or a ratio's value.
set -u
bench="$1"
out="$(mktemp -d "${TMPDIR:-/tmp}/cloakroom-bench-smoke-XXXXXX")"
trap 'rm -rf "$out"' EXIT
log="$out/stdout"
doc="$out/figures/benchmarks.md"
fail() { echo "not ok 1 bench --smoke: $*"; cat "$log"; exit 1; }

echo "1..1"
mkdir "$out/figures"
printf 'before\n<!-- bench:figures:begin -->\nold\n<!-- bench:figures:end -->\nafter\n' >"$doc"
"$bench" --smoke --out "$out/figures" >"$log" 2>&1 || fail "exit status $?"
for line in 'configuration bare ' 'configuration secured ' \
            'configuration bare-mtls ' 'configuration secured-mtls ' \
            'configuration minimal ' \
            '  seal ' '  open, ticket kept ' '  proof ' \
            'per-call proof (micro: seal and open, ticket kept): ' \
            'ratio p50 latency bare/minimal relay, insecure transport: ' \
            'ratio p50 latency secured/bare, insecure transport: ' \
            'ratio throughput at 64 in flight secured/bare, insecure transport: ' \
            'ratio p50 latency secured/bare, mutual TLS: ' \
            'ratio throughput at 64 in flight secured/bare, mutual TLS: ' \
            'per-hop decision (micro): '; do
  grep -q "^$line" "$log" || fail "no line '$line'"
done
tail -n 4 "$log" | grep -c '^ratio ' | grep -q '^4$' &&
  tail -n 1 "$log" | grep -q '^ratio throughput at 64 in flight' ||
  fail "the ratios are not printed last"
head -c 5 "$out/figures/benchmarks-latency.svg" | grep -q '^<svg' ||
  fail "no SVG written"
grep -q '^| latency p50 (us) |' "$doc" || fail "no figures in $doc"
grep -q '^old$' "$doc" && fail "the old figures are still in $doc"
head -n 1 "$doc" | grep -q '^before$' && tail -n 1 "$doc" | grep -q '^after$' ||
  fail "the text around the markers was not kept"
echo "ok 1 bench --smoke prints the four configurations and the ratios"
