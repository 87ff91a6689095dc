#!/usr/bin/env python3
"""Turns an unpacked Debian package into plain UTF-8 text files.

Usage: extract_text.py UNPACKED_DIR OUT_DIR

HTML loses its tags (script and style bodies too); gzip files are
decompressed first; files that are binary (a NUL byte) or not UTF-8 are
skipped, and so are machine-made formats that are text only in encoding
(scripts, style sheets, vector images, search indices, JSON); files
shorter than 200 characters are skipped as noise. Output names follow the
package's own paths, so a document can be traced back.
"""

import gzip
import html.parser
import os
import sys


class TextOfHtml(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skipping:
            self.skipping -= 1
        if tag in ("p", "div", "li", "h1", "h2", "h3", "h4", "pre", "tr", "br", "dt", "dd"):
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self):
        lines = (" ".join(line.split()) for line in "".join(self.parts).splitlines())
        return "\n".join(line for line in lines if line)


# Text in encoding only: minified scripts, style sheets, SVG drawings,
# Sphinx search indices, data files.
MACHINE_MADE = (".js", ".css", ".svg", ".map", ".json", ".xml", ".xsl", ".inv", ".ttf", ".woff")


def text_of(path):
    plain = path[:-3] if path.endswith(".gz") else path
    if plain.endswith(MACHINE_MADE):
        return None
    with open(path, "rb") as file:
        data = file.read()
    name = path
    if path.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return None
        name = path[:-3]
    if b"\0" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if name.endswith((".html", ".htm", ".xhtml")):
        parser = TextOfHtml()
        parser.feed(text)
        text = parser.text()
    return text if len(text) >= 200 else None


def main():
    source, out = sys.argv[1], sys.argv[2]
    written = 0
    for root, dirs, files in os.walk(source):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            text = text_of(path)
            if text is None:
                continue
            relative = os.path.relpath(path, source)
            target = os.path.join(out, relative + ".txt")
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as file:
                file.write(text)
            written += len(text.encode("utf-8"))
    print(f"{out}: {written / 1e6:.1f} MB of text")


if __name__ == "__main__":
    main()
