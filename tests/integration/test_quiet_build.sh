#!/bin/bash
# test_quiet_build.sh: ./cloakroom prints no meson or ninja line on stderr
# when there is nothing to build, and the build's lines when there is
# (and on a failure). Hermetic: a copy of the script in a temporary
# checkout whose build/ holds a stand-in launcher, with a stand-in
# `meson` first on PATH that answers as meson does. TAP on stdout.
set -u
SRC=${CLOAKROOM_SOURCE:?}
T=$(mktemp -d /tmp/cloakroom-quiet-XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "1..3"
. "$(dirname "$0")/../support/tap.sh"

mkdir -p "$T/top/build/cli" "$T/bin"
cp "$SRC/cloakroom" "$T/top/cloakroom"
touch "$T/top/build/build.ninja"
printf '#!/bin/sh\necho "cloakroom 0.0-test"\n' >"$T/top/build/cli/cloakroom-launch"
chmod +x "$T/top/build/cli/cloakroom-launch"
# MESON_SAYS: what `meson compile` prints; MESON_RC: its exit status.
cat >"$T/bin/meson" <<'M'
#!/bin/sh
printf '%b' "$MESON_SAYS"
exit "${MESON_RC:-0}"
M
chmod +x "$T/bin/meson"

run() { # MESON_SAYS MESON_RC: the script's stderr in $T/err, status in rc
	MESON_SAYS="$1" MESON_RC="$2" PATH="$T/bin:$PATH" \
		"$T/top/cloakroom" --version >"$T/out" 2>"$T/err"
	rc=$?
}

run "ninja: Entering directory \`build'\nninja: no work to do.\n" 0
if [ $rc -eq 0 ] && [ ! -s "$T/err" ] && grep -q '0.0-test' "$T/out"; then
	ok "nothing to build: no meson or ninja line on stderr"
else
	notok "nothing to build: no meson or ninja line on stderr" \
		"exit $rc" "$(cat "$T/err")"
fi

run "ninja: Entering directory \`build'\n[1/2] Compiling C object cli/x.o\n[2/2] Linking target cli/cloakroom-launch\n" 0
if [ $rc -eq 0 ] && grep -q 'Compiling C object' "$T/err"; then
	ok "something built: the build's lines on stderr"
else
	notok "something built: the build's lines on stderr" "exit $rc" \
		"$(cat "$T/err")"
fi

run "ninja: Entering directory \`build'\n../cli/x.c:1:1: error: boom\nninja: build stopped: subcommand failed.\n" 1
if [ $rc -ne 0 ] && grep -q 'error: boom' "$T/err"; then
	ok "a failed build: its lines on stderr, and a failing status"
else
	notok "a failed build: its lines on stderr, and a failing status" \
		"exit $rc" "$(cat "$T/err")"
fi
