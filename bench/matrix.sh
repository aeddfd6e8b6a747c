#!/bin/sh
# matrix.sh: `cloakroom bench --matrix [--quick | --smoke]`: how many
# cases a second `cloakroom matrix` runs on warm daemons (one set serving
# every case of the sweep), against the goal of 1,000, with the fixed cost
# of starting the set apart, the CPU spent per case, and the same sweep's
# first cases on cold daemons (new daemons per case) and the sweep on two
# sets at once (-j 2) for comparison. It prints only what it measured;
# it asserts nothing about times.
# Usage: matrix.sh LAUNCHER SOURCE_DIR [--quick | --smoke]
set -eu
launch="$1"
src="$2"
mode="${3:-}"
scen="$src/scenarios/impersonation-levels.yaml"
out="$(mktemp -d "${TMPDIR:-/tmp}/cloakroom-bench-matrix-XXXXXX")"
trap 'rm -rf "$out"' EXIT
goal=1000

# level x B.cloaking x authn x package (x transport x B.started_by).
case "$mode" in
  --smoke) sweep="--vary level=all --vary B.cloaking=none,dynamic"
           cold="--vary level=identify,impersonate" ;;
  --quick) sweep="--vary level=all --vary B.cloaking=all --vary authn=all --vary package=all"
           cold="--vary level=all" ;;
  *)       sweep="--vary level=all --vary B.cloaking=all --vary authn=all --vary package=all --vary transport=com,pipe --vary B.started_by=all"
           cold="--vary level=all --vary B.cloaking=all" ;;
esac

# One sweep: sets M_N (cases), M_S (seconds), M_CPU (CPU seconds of the
# launcher and every daemon, user and system: they are this shell's
# reaped children), M_SETS and M_TICKETS (tickets the authority minted).
cpu_now() { awk -v t="$(getconf CLK_TCK)" '{printf "%.3f", ($14+$15+$16+$17)/t}' /proc/$$/stat; }
measure() {
  before=$(cpu_now)
  # shellcheck disable=SC2086
  "$launch" matrix "$scen" --variant as-written $1 --format csv --stats >"$out/table" 2>"$out/stats" ||
    { echo "cloakroom bench --matrix: the sweep failed:" >&2; cat "$out/stats" "$out/table" >&2; exit 3; }
  M_CPU=$(echo "$(cpu_now) $before" | awk '{printf "%.3f", $1-$2}')
  line=$(sed -n 's/^matrix: \([0-9]*\) cases in \([0-9.]*\) s .*, \([0-9]*\) daemon sets\{0,1\} started, \([0-9]*\) tickets\{0,1\} minted$/\1 \2 \3 \4/p' "$out/stats")
  # shellcheck disable=SC2086
  set -- $line
  M_N=$1 M_S=$2 M_SETS=$3 M_TICKETS=$4
}

echo "matrix on warm daemons: $scen"
echo "  machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
measure "--vary level=impersonate"
one_s=$M_S
one_cpu=$M_CPU
echo "  1 case: $M_S s (starting the set: the authority, B, C, A)"
measure "$sweep"
n=$M_N; s=$M_S; cpu=$M_CPU; sets=$M_SETS
steady=$(echo "$n $s $one_s" | awk '{d=$2-$3; if (d > 0) printf "%.0f", ($1-1)/d; else print "n/a"}')
overall=$(echo "$n $s" | awk '{printf "%.0f", $1/$2}')
echo "  $n cases: $s s on $sets daemon set(s): $overall cases/s overall, $steady cases/s once the set runs; $M_TICKETS tickets minted"
echo "  CPU once the set runs: $(echo "$cpu $one_cpu $n" | awk '{printf "%.2f", 1000*($1-$2)/($3-1)}') ms per case (launcher and daemons, user and system; $cpu s for the whole sweep)"
measure "$sweep -j 2"
echo "  -j 2 (two sets at once): $M_N cases in $M_S s: $(echo "$M_N $M_S" | awk '{printf "%.0f", $1/$2}') cases/s overall on $M_SETS daemon sets"
measure "$cold --cold"
echo "  cold, for comparison: $M_N cases in $M_S s: $(echo "$M_N $M_S" | awk '{printf "%.1f", $1/$2}') cases/s (new daemons per case)"
met=$(echo "$steady $goal" | awk '{print ($1 != "n/a" && $1 >= $2) ? "met" : "missed"}')
echo "goal $goal cases/s on warm daemons: $met ($steady cases/s)"
