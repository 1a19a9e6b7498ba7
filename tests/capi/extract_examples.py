#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the code block after `<!-- example: NAME -->` in DOC to OUT_DIR/NAME.

Usage: extract_examples.py DOC OUT_DIR NAME...
Fails, naming the page, when an example is missing or given twice, so that
the page and its tests cannot drift apart.
"""
import pathlib
import re
import sys


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    doc, out_dir, names = pathlib.Path(argv[1]), pathlib.Path(argv[2]), argv[3:]
    text = doc.read_text(encoding="utf-8")
    blocks = {}
    for m in re.finditer(r"<!-- example: (\S+) -->\n```\w*\n(.*?)```", text,
                         re.S):
        if m.group(1) in blocks:
            sys.exit(f"{doc}: example {m.group(1)} is given twice")
        blocks[m.group(1)] = m.group(2)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in names:
        if name not in blocks:
            sys.exit(f"{doc}: no example {name} "
                     f"(a code block after '<!-- example: {name} -->')")
        target = out_dir / name
        # Rewrite only on change: the examples' objects stay up to date.
        if not target.exists() or target.read_text() != blocks[name]:
            target.write_text(blocks[name])


if __name__ == "__main__":
    main(sys.argv)
