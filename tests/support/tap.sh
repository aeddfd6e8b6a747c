# TAP output for the shell tests: source it, print the plan ("1..N"), then
# report each check with ok DESCRIPTION or notok DESCRIPTION [DETAIL...]
# (each detail a "# " line under the failure).
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
