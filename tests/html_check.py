#!/usr/bin/env python3
# html_check.py: the structure of the HTML the report, `report --run` and `compare` write:
# every tag closed in order, ids unique, every in-page link to an id that exists.
# Exit 1 naming the first problems. Used by tests/e2e_report.sh and tests/e2e_compare.sh.
import sys
from html.parser import HTMLParser
VOID = {"meta", "img", "br", "hr", "link", "input"}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.errors = []; s.ids = {}; s.hrefs = []
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in s.ids: s.errors.append("duplicate id " + a["id"])
            s.ids[a["id"]] = 1
        if tag == "a" and a.get("href", "").startswith("#"): s.hrefs.append(a["href"][1:])
        if tag not in VOID: s.stack.append((tag, s.getpos()))
    def handle_endtag(s, tag):
        if not s.stack or s.stack[-1][0] != tag:
            s.errors.append("unexpected </%s> at %s (open: %s)" % (tag, s.getpos(), s.stack[-1] if s.stack else None)); return
        s.stack.pop()
failed = 0
for f in sys.argv[1:]:
    p = P(); p.feed(open(f, encoding="utf-8").read()); p.close()
    bad = p.errors + ["unclosed %s at %s" % t for t in p.stack] + ["link to missing #" + h for h in p.hrefs if h not in p.ids]
    if bad:
        print(f, bad[:5]); failed = 1
sys.exit(failed)
