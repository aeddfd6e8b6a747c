#!/bin/bash
# test_install.sh: `meson install` into a DESTDIR, then the installed
# `cloakroom` runs the seed diagram from the installed scenario library
# with the installed daemons (nothing from the build tree: CLOAKROOM_BIN is
# unset), and a program builds against the installed model through its
# pkg-config file. TAP on stdout.
set -u
BUILD=${CLOAKROOM_BUILD:?}
T=$(mktemp -d /tmp/cloakroom-install-XXXXXX)
trap 'rm -rf "$T"' EXIT
echo "1..4"
. "$(dirname "$0")/../support/tap.sh"

if meson install -C "$BUILD" --destdir "$T" --no-rebuild --quiet >"$T.log" 2>&1; then
	ok "meson install into a DESTDIR"
else
	notok "meson install into a DESTDIR" "$(tail -5 "$T.log")"
fi
rm -f "$T.log"
prefix=$(meson introspect "$BUILD" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"))')
root="$T$prefix"
bin="$root/bin/cloakroom"
scn=$(find "$root" -path '*/cloakroom/scenarios/seed-diagram.yaml' | head -1)

if [ -x "$bin" ] && [ -n "$scn" ] &&
	[ -x "$(find "$root" -path '*/cloakroom/procB/procB' | head -1)" ]; then
	ok "the launcher, the daemons and the scenario library are installed"
else
	notok "the launcher, the daemons and the scenario library are installed" \
		"bin=$bin scenario=$scn"
fi

out=$(cd / && env -u CLOAKROOM_BIN -u CLOAKROOM_LAUNCH "$bin" run "$scn" 2>&1)
rc=$?
if [ $rc = 0 ] && grep -q 'expectations: [1-9][0-9]* passed, 0 failed' <<<"$out"; then
	ok "the installed cloakroom runs the seed diagram"
else
	notok "the installed cloakroom runs the seed diagram" "exit $rc" "$(tail -5 <<<"$out")"
fi

pc=$(dirname "$(find "$root" -name cloakroom-secctx.pc | head -1)")
cat >"$T/use.c" <<'C'
#include <sc_token.h>
#include <stdio.h>
int main(void)
{
	sc_token *t = NULL;
	(void)t;
	puts(sc_level_name(SC_LEVEL_DELEGATE));
	return 0;
}
C
flags=$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs cloakroom-secctx 2>&1)
# The .pc names the final prefix; inside the DESTDIR, point at it there.
flags=${flags//$prefix/$root}
# A sanitizer build installs an instrumented library.
case "${CLOAKROOM_SANITIZE:-none}" in none | "") ;; *) flags="-fsanitize=$CLOAKROOM_SANITIZE $flags" ;; esac
if cc -o "$T/use" "$T/use.c" $flags 2>"$T/cc.log" && [ "$("$T/use")" = delegate ]; then
	ok "a program builds against the installed model (pkg-config cloakroom-secctx)"
else
	notok "a program builds against the installed model (pkg-config cloakroom-secctx)" \
		"$flags" "$(head -5 "$T/cc.log")"
fi
