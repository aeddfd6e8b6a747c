#!/usr/bin/env python3
"""test_html.py: `cloakroom run --format html` as a person opens it. The
page is self-contained (no script, no external asset); headless Chromium
renders it with no console error; the DOM it renders has, per variant, the
diagram, the hop table, one collapsible explanation per hop (with its token
diff) and the expectations; a screenshot shows a drawn page with the pass
colour in it. TAP on stdout; skipped, with the reason, without Chromium."""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser

LAUNCH = os.environ["CLOAKROOM_LAUNCH"]
SRC = os.environ["CLOAKROOM_SOURCE"]
SCENARIO = os.path.join(SRC, "scenarios", "seed-diagram.yaml")
n = 0
failed = 0


def check(ok, what, *details):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {what}")
    if not ok:
        failed += 1
        for d in details:
            for line in str(d).splitlines()[:20]:
                print(f"# {line}")


class Dom(HTMLParser):
    """Counts elements by tag and class, and collects the text of
    summaries and expectation items."""

    def __init__(self):
        super().__init__()
        self.count = {}
        self.summaries = []
        self.items = []
        self.scripts = 0
        self.external = []
        self._in = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for c in (a.get("class") or "").split() + [""]:
            key = f"{tag}.{c}" if c else tag
            self.count[key] = self.count.get(key, 0) + 1
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            v = a.get(k)
            if v and not v.startswith("#"):
                self.external.append(v)
        if tag in ("summary", "li"):
            self._in = (tag, a.get("class"), [])

    def handle_data(self, data):
        if self._in:
            self._in[2].append(data)

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            text = "".join(self._in[2])
            if tag == "summary":
                self.summaries.append(text)
            else:
                self.items.append((self._in[1], text))
            self._in = None


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        ln, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + ln]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + ln
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def main():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("1..0 # SKIP no Chromium (./cloakroom test installs it as root)")
        return 0
    print("1..7")
    tmp = tempfile.mkdtemp(prefix="cloakroom-html-")
    try:
        page = os.path.join(tmp, "report.html")
        run = subprocess.run([LAUNCH, "run", SCENARIO, "--format", "html"],
                             capture_output=True, text=True, timeout=300)
        with open(page, "w") as f:
            f.write(run.stdout)
        js = subprocess.run([LAUNCH, "run", SCENARIO, "--json"],
                            capture_output=True, text=True, timeout=300)
        want = json.loads(js.stdout)
        variants = want["variants"]
        check(run.returncode == 0 and run.stdout.startswith("<!DOCTYPE html>"),
              "run --format html writes a page", run.stderr)

        static = Dom()
        static.feed(run.stdout)
        check(static.scripts == 0 and not static.external,
              "self-contained: no script, no external asset",
              f"scripts {static.scripts}, external {static.external}")

        profile = os.path.join(tmp, "profile")
        base = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                f"--user-data-dir={profile}", "--enable-logging=stderr",
                "--v=0", "--hide-scrollbars"]
        dom = subprocess.run(base + ["--dump-dom", "file://" + page],
                             capture_output=True, text=True, timeout=120)
        console = [l for l in dom.stderr.splitlines() if "CONSOLE" in l
                   or "Uncaught" in l]
        check(dom.returncode == 0 and not console,
              "Chromium renders it with no console error",
              f"exit {dom.returncode}", *console)

        d = Dom()
        d.feed(dom.stdout)
        nv = len(variants)
        hops = sum(len(v["hops"]) for v in variants)
        check(d.count.get("section.run", 0) == nv
              and d.count.get("svg", 0) >= nv
              and d.count.get("table.hops", 0) == nv,
              f"the rendered page has the {nv} variants, each with its "
              "diagram and hop table", d.count)
        hop_summaries = [s for s in d.summaries if "->" in s]
        token_lines = run.stdout.count("token diff")
        check(len(hop_summaries) == hops and token_lines >= hops,
              f"one collapsible explanation per hop ({hops}), each with "
              "its token diff",
              f"summaries {len(hop_summaries)}, token lines {token_lines}")
        exp = [(e["pass"], e["text"]) for v in variants
               for e in v["expectations"]]
        got = [(c == "pass", t.split(" ", 1)[1]) for c, t in d.items
               if c in ("pass", "fail")]
        check(exp and got == [(p, t) for p, t in exp],
              "the expectations, each in its pass or fail colour class",
              f"want {exp}", f"got {got}")

        shot = os.path.join(tmp, "shot.png")
        subprocess.run(base + ["--window-size=1280,2400",
                               f"--screenshot={shot}", "file://" + page],
                       capture_output=True, text=True, timeout=120)
        ok, why = False, "no screenshot"
        if os.path.exists(shot):
            w, h, bpp, rows = png_pixels(shot)
            drawn = green = 0
            for row in rows[::4]:
                for x in range(0, w * bpp, bpp * 4):
                    r, g, b = row[x], row[x + 1], row[x + 2]
                    if (r, g, b) != (255, 255, 255):
                        drawn += 1
                    if (r, g, b) == (0xdc, 0xfc, 0xe7):  # li.pass
                        green += 1
            total = len(rows[::4]) * len(range(0, w * bpp, bpp * 4))
            ok = drawn > total * 0.02 and green > 0
            why = f"{drawn} of {total} sampled pixels drawn, {green} pass"
        check(ok, "a screenshot shows a drawn page with the pass colour",
              why)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
