#!/usr/bin/env python3
"""Doc coverage of the aiomas crate: public items with an example of their own, of all.

Reads the rustdoc HTML of `cargo doc --workspace --no-deps` (default features) in
`target/doc/aiomas` (or the directory given as the first argument). Stable rustdoc has no JSON
output, so the count works on the HTML pages, which have a fixed shape:

- items: every entry of `all.html` (structs, enums, traits, functions, macros, attributes,
  derives, constants, statics, type aliases) and every module page (`index.html`);
- methods: the inherent methods and associated functions of each struct and enum (the
  `implementations-list` section: not those of trait impls, which the trait documents), and the
  required and provided methods of each trait;
- an item has an example of its own if its own doc block (`top-doc` of its page; the doc block
  after a method's `<section id="method.NAME">`) contains a code block (`example-wrap`).
  Examples on the module or the type do not count for the methods.

Prints the totals, then one line per module (`--items` lists the items without an example).
"""

import html
import re
import sys
from collections import defaultdict
from pathlib import Path

doc = Path(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "target/doc/aiomas")
list_missing = "--items" in sys.argv

EXAMPLE = 'class="example-wrap'
TOP_DOC = re.compile(r'<details class="toggle top-doc"[^>]*>(.*?)</details>', re.S)
METHOD = re.compile(r'<section id="(?:ty)?method\.([A-Za-z0-9_]+)"')


def top_doc_has_example(page: str) -> bool:
    match = TOP_DOC.search(page)
    return bool(match) and EXAMPLE in match.group(1)


def section(page: str, start: str, ends: list) -> str:
    """The page's text from the anchor `start` to the first of `ends` after it."""
    begin = page.find(f'id="{start}"')
    if begin < 0:
        return ""
    stops = [page.find(f'id="{end}"', begin) for end in ends]
    stops = [stop for stop in stops if stop >= 0]
    return page[begin : min(stops) if stops else len(page)]


def methods(text: str):
    """(name, has an example) for each method section in `text`."""
    found = list(METHOD.finditer(text))
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        yield match.group(1), EXAMPLE in text[match.end() : end]


items = []  # (module, name, has example)
index = (doc / "all.html").read_text()
pages = sorted(set(re.findall(r'<li><a href="([^"#]+\.html)">', index)))
modules = sorted(doc.rglob("index.html"))
for path in [p.relative_to(doc).as_posix() for p in modules] + pages:
    page = (doc / path).read_text()
    module = "/".join(path.split("/")[:-1]) or "(crate root)"
    if path.endswith("index.html"):
        name = f"mod {module}"
    else:
        kind, item = Path(path).name.split(".")[:2]
        name = f"{kind} {item}"
    items.append((module, name, top_doc_has_example(page)))
    kind = Path(path).name.split(".")[0]
    if kind in ("struct", "enum"):
        text = section(
            page,
            "implementations-list",
            ["trait-implementations", "synthetic-implementations", "blanket-implementations"],
        )
    elif kind == "trait":
        text = section(page, "required-methods", ["implementors", "foreign-impls", "dyn-compatibility"])
        text = text or section(page, "provided-methods", ["implementors", "foreign-impls", "dyn-compatibility"])
    else:
        text = ""
    for method, has_example in methods(text):
        items.append((module, f"{name}::{method}", has_example))

with_example = sum(1 for *_, ok in items if ok)
print(f"public items with an example of their own: {with_example} of {len(items)} ({100 * with_example / len(items):.0f}%)")
per_module = defaultdict(lambda: [0, 0])
for module, _, ok in items:
    per_module[module][0] += ok
    per_module[module][1] += 1
for module, (ok, total) in sorted(per_module.items()):
    print(f"  {module}: {ok} of {total}")
if list_missing:
    for module, name, ok in items:
        if not ok:
            print(f"missing: {module}: {html.unescape(name)}")
