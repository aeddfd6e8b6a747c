#!/bin/bash
# test_deploy.sh: docs/deploy.md followed literally, three network
# namespaces standing in for its three machines. Every command comes from
# the document's own blocks; only the machine's directories are moved
# under a private root, and ssh/scp reach the other namespaces. Needs root
# (skipped otherwise, with the reason); it removes every namespace and
# stops every process it started, also on failure. TAP on stdout.
set -u
SRC=${CLOAKROOM_SOURCE:?}
BIN=${CLOAKROOM_BIN:?}
DOC=$SRC/docs/deploy.md

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP the three-machine deployment needs root (network namespaces)"
	exit 0
fi
for t in ip unshare; do
	if ! command -v $t >/dev/null; then
		echo "1..0 # SKIP the three-machine deployment needs $t"
		exit 0
	fi
done

T=$(mktemp -d /tmp/cloakroom-deploy-XXXXXX)
NS=crd$$
PIDS=()
cleanup() {
	# The daemons by the pid each logged, then the shells that ran them.
	for f in authority procB procC; do
		for p in $(sed -n 's/^[a-zA-Z]*\[[A-Z ]*\([0-9][0-9]*\)\]: listening.*/\1/p' \
			"$T/$f.log" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
	for m in m1 m2 m3 hub; do ip netns del $NS-$m 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=1
	echo "not ok $n - $1"
	shift
	for f in "$@"; do [ -f "$f" ] && sed 's/^/# /' "$f"; done
}
check() { # check DESCRIPTION LOGS... -- COMMAND...
	local d=$1 logs=()
	shift
	while [ "$1" != -- ]; do logs+=("$1"); shift; done
	shift
	if "$@"; then ok "$d"; else not_ok "$d" "${logs[@]}"; fi
}

# block SECTION N: the N-th indented block under "## SECTION", unindented.
block() {
	awk -v sec="## $1" -v want="$2" '
		/^## / { in_sec = index($0, sec) == 1; inb = 0; next }
		!in_sec { next }
		/^    / { if (!inb) { k++; inb = 1 } if (k == want) print substr($0, 5); next }
		/^$/ { next }
		{ inb = 0 }' "$DOC"
}

# The three machines: a network namespace each on the document's addresses
# (they exist only inside the namespaces), joined by a bridge.
ip netns add $NS-hub && ip -n $NS-hub link add br0 type bridge &&
	ip -n $NS-hub link set br0 up || { echo "1..1"; not_ok "root, but cannot create network namespaces"; exit 1; }
for i in 1 2 3; do
	ip netns add $NS-m$i &&
	ip -n $NS-m$i link set lo up &&
	ip -n $NS-hub link add p$i type veth peer name eth0 netns $NS-m$i &&
	ip -n $NS-hub link set p$i master br0 up &&
	ip -n $NS-m$i addr add 192.0.2.1$i/24 dev eth0 &&
	ip -n $NS-m$i link set eth0 up || { echo "1..1"; not_ok "namespaces"; exit 1; }
	mkdir -p "$T/m$i"
done

# A clone of the repository as step 1 sees it: the build already made.
mkdir "$T/clone"
ln -s "$BIN" "$T/clone/build"
ln -s "$SRC/scenarios" "$T/clone/scenarios"

# on MACHINE SCRIPT: run SCRIPT on machine m1..m3: in its namespace, its
# /opt/cloakroom, /etc/cloakroom and /var/lib/cloakroom under $T/mN, from
# the clone; ssh and scp reach the other machines.
prelude='
ssh() { local m=$1; shift; on $m "${*//$MROOT/$T/$m}"; }
scp() {
	local args=("$@") dst=${@: -1}
	unset "args[${#args[@]}-1]"
	local m=${dst%%:*} path=${dst#*:}
	cp "${args[@]}" "$T/$m${path#$MROOT}"
}
on() {
	ip netns exec '$NS'-$1 env MROOT=$T/$1 T=$T bash -c "$prelude
$2"
}
'
export T prelude
on() {
	local script
	script=$(sed -e "s#/opt/cloakroom#\$MROOT/opt#g" \
		-e "s#/etc/cloakroom#\$MROOT/etc#g" \
		-e "s#/var/lib/cloakroom#\$MROOT/var#g" \
		-e "s#^\\./cloakroom build\$#true#" <<<"$2")
	ip netns exec $NS-$1 env MROOT=$T/$1 bash -c "$prelude
cd $T/clone
$script"
}

# wait_for FILE TEXT: until TEXT is in FILE (10 s at most).
wait_for() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
pid_in() { sed -n "s/.*$2\[[A-Z ]*\([0-9][0-9]*\)\]: listening.*/\1/p" "$1" | head -1; }

echo "1..10"

# 1. Build and install on every machine.
s1=$(block "1." 1)
for m in m1 m2 m3; do
	on $m "$s1" >"$T/install-$m.log" 2>&1 || break
done
check "step 1 installs on every machine" "$T"/install-*.log -- \
	test -x "$T/m3/opt/bin/procC" -a -f "$T/m2/opt/scenarios/double-hop.yaml"

# 2. The authority on m1.
on m1 "$(block "2." 1)" >"$T/authority.log" 2>&1 &
PIDS+=($!)
check "step 2 starts the authority on 192.0.2.11:7000, mutual TLS" "$T/authority.log" -- \
	wait_for "$T/authority.log" "listening on 192.0.2.11:7000 (port 7000), mutual TLS"

# 3. Each machine gets its files.
on m1 "$(block "3." 1)" >"$T/files.log" 2>&1
check "step 3 gives each machine its own files only" "$T/files.log" -- \
	test -f "$T/m2/etc/auth/svc-b.corp.key" -a -f "$T/m3/etc/auth/C.key" \
	-a -f "$T/m1/etc/auth/A.key" -a ! -e "$T/m3/etc/auth/B.key" \
	-a ! -e "$T/m2/etc/auth/A.key" -a -f "$T/m3/etc/auth/C.skey" \
	-a ! -e "$T/m2/etc/auth/A.skey"

# 4. Servers, callees first.
on m3 "$(block "4." 1)" >"$T/procC.log" 2>&1 &
PIDS+=($!)
check "step 4 starts procC on m3, mutual TLS" "$T/procC.log" -- \
	wait_for "$T/procC.log" "listening on 192.0.2.13:7003 (port 7003), mutual TLS"
on m2 "$(block "4." 2)" >"$T/procB.log" 2>&1 &
PIDS+=($!)
check "step 4 starts procB on m2, mutual TLS" "$T/procB.log" -- \
	wait_for "$T/procB.log" "listening on 192.0.2.12:7002 (port 7002), mutual TLS"

# 5. The client on m1: the hops the document shows, and a trace.
mkdir "$T/run"
on m1 "cd $T/run
$(block "5." 1)" >"$T/procA.log" 2>&1
rc=$?
check "step 5: procA exits 0 and writes its trace" "$T/procA.log" -- \
	test $rc = 0 -a -s "$T/run/trace.bin"
want=$(block "5." 2 | sed 's/^procA\[A [0-9]*\]: //')
got=$(sed -n 's/^procA\[A [0-9]*\]: \(hop .*\)/\1/p' "$T/procA.log")
echo "$want" >"$T/want.log"
check "step 5 prints the hops the document shows" "$T/want.log" "$T/procA.log" -- \
	test -n "$want" -a "$want" = "$got"

# SIGTERM stops each server cleanly: exit 0.
stopped=0
for d in procC procB; do
	p=$(pid_in "$T/$d.log" "$d")
	[ -n "$p" ] && kill -TERM "$p"
done
for i in 1 2; do
	wait "${PIDS[$i]}" && stopped=$((stopped + 1))
done
check "SIGTERM stops procB and procC with exit 0" "$T/procB.log" "$T/procC.log" -- \
	test $stopped = 2
p=$(sed -n 's/^authority\[\([0-9]*\)\]: listening.*/\1/p' "$T/authority.log")
[ -n "$p" ] && kill -TERM "$p"
wait "${PIDS[0]}"
check "SIGTERM stops the authority with exit 0" "$T/authority.log" -- test $? = 0
PIDS=()

# The systemd unit, as the document gives it (binaries at m2's place).
if command -v systemd-analyze >/dev/null; then
	block systemd 1 | sed "s#/opt/cloakroom#$T/m2/opt#g" \
		>"$T/cloakroom-procB.service"
	systemd-analyze verify "$T/cloakroom-procB.service" >"$T/unit.log" 2>&1
	check "the systemd unit verifies" "$T/cloakroom-procB.service" "$T/unit.log" -- \
		test $? = 0 -a ! -s "$T/unit.log"
else
	n=$((n + 1)); echo "ok $n - the systemd unit verifies # SKIP no systemd-analyze"
fi
exit $failed
