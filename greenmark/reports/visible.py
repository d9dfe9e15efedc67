"""What you see is what was signed: a certificate file against the document greenmark
renders from its embedded block, with the first difference named in words.

- HTML: the file must equal the rendered document once runs of whitespace are collapsed
  (so any added text, element, ``<style>`` sheet, ``style=`` attribute, comment or
  edited ``<title>`` fails); the difference is located on the parsed documents.
- Markdown: the lines must be equal (trailing whitespace, runs of spaces inside a line
  and line endings aside).
- PDF: the text of each page must equal the text of the rendered PDF's page (so white,
  tiny or hidden text fails too).
"""

from __future__ import annotations

import difflib
import re
from html.parser import HTMLParser
from typing import Any

from greenmark.reports.certificate import FIELDS
from greenmark.reports.reading import _md_value, _protect_pipes, md_unescape, normal_text

_EDITED = "the certificate text was edited"


_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0|font-size\s*:\s*0|"
    r"(?:width|height)\s*:\s*0|color\s*:|clip|position\s*:\s*absolute|transform",
    re.IGNORECASE,
)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return repr(_short(text))


Token = tuple[Any, ...]


class _Tokens(HTMLParser):
    """A document as a list of tokens (tags with their attributes, text, comments), each
    with where it is: line, the enclosing element and the ``data-gm`` field it shows."""

    VOID = frozenset(
        ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
         "source", "track", "wbr"]
    )  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[Token] = []
        self.where: list[tuple[int, str, str | None]] = []  # line, element, field
        self._open: list[tuple[str, str, str | None]] = []  # tag, description, field

    def _add(self, token: Token) -> None:
        element = self._open[-1][1] if self._open else "the document"
        field = next((f for _, _, f in reversed(self._open) if f), None)
        self.tokens.append(token)
        self.where.append((self.getpos()[0], element, field))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = tuple((k, None if v is None else normal_text(v)) for k, v in attrs)
        self._add(("start", tag, attributes))
        if tag not in self.VOID:
            self._open.append((tag, describe_tag(tag, attributes), dict(attrs).get("data-gm")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = tuple((k, None if v is None else normal_text(v)) for k, v in attrs)
        self._add(("start", tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        self._add(("end", tag))
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        text = normal_text(data)
        if text:
            self._add(("text", text))

    def handle_comment(self, data: str) -> None:
        self._add(("comment", normal_text(data)))

    def handle_decl(self, decl: str) -> None:
        self._add(("decl", normal_text(decl)))

    def unknown_decl(self, data: str) -> None:
        self._add(("decl", normal_text(data)))

    def handle_pi(self, data: str) -> None:
        self._add(("pi", normal_text(data)))


def describe_tag(tag: str, attributes: tuple[tuple[str, str | None], ...]) -> str:
    """``<p class="tier">`` (class, id and style shown; the rest left out)."""
    shown = [
        f'{k}="{_short(v or "", 60)}"' if v is not None else k
        for k, v in attributes
        if k in ("class", "id", "style", "hidden", "data-gm")
    ]
    return f"<{' '.join([tag, *shown])}>"


def _tokens(text: str) -> _Tokens:
    parser = _Tokens()
    parser.feed(text)
    parser.close()
    return parser


_WINDOW = 400


def _first_change(old: list[Any], new: list[Any]) -> tuple[str, int, int, int, int, int] | None:
    """The first non-equal opcode of a diff of ``old`` (file) against ``new`` (rendered),
    and how many changes follow it nearby. Linear in the size of the documents: the diff
    runs on a window after their common beginning."""
    start = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    if start is None:
        if len(old) == len(new):
            return None
        start = min(len(old), len(new))
    window = difflib.SequenceMatcher(
        None, old[start : start + _WINDOW], new[start : start + _WINDOW], autojunk=False
    )
    changes = [op for op in window.get_opcodes() if op[0] != "equal"]
    tag, i1, i2, j1, j2 = changes[0]
    return tag, start + i1, start + i2, start + j1, start + j2, len(changes)


def _more(count: int) -> str:
    return f" ({count - 1} more difference{'s' if count != 2 else ''})" if count > 1 else ""


def _hidden_hint(attributes: tuple[tuple[str, str | None], ...]) -> str:
    style = dict(attributes).get("style") or ""
    if "hidden" in dict(attributes) or _HIDING.search(style):
        return "a hidden or restyled element"
    return "an element"


def _extra(token: Token, where: tuple[int, str, str | None]) -> str:
    line, element, _ = where
    if token[0] == "start":
        tag, attributes = token[1], token[2]
        if tag == "style":
            return f"a <style> sheet greenmark does not render (line {line})"
        if tag == "link":
            return (
                f"a link greenmark does not render: {describe_tag(tag, attributes)} (line {line})"
            )
        return (
            f"{_hidden_hint(attributes)} greenmark does not render: "
            f"{describe_tag(tag, attributes)} (line {line})"
        )
    if token[0] == "text":
        if element.startswith("<style"):
            return f"CSS greenmark does not render in {element} (line {line}): {_quote(token[1])}"
        return f"text greenmark does not render: {_quote(token[1])} in {element} (line {line})"
    if token[0] == "end":
        return f"a </{token[1]}> greenmark does not render (line {line})"
    return f"a {token[0]} greenmark does not render: {_quote(str(token[1]))} (line {line})"


def _missing(token: Token, where: tuple[int, str, str | None], line: int) -> str:
    _, element, field = where
    if token[0] == "text":
        if field in FIELDS:
            return f"{_EDITED}: {FIELDS[field].lower()} is not shown (near line {line})"
        return f"{_EDITED}: {_quote(token[1])} in {element} is missing (near line {line})"
    if token[0] == "start":
        return f"the element {describe_tag(token[1], token[2])} is missing (near line {line})"
    return f"the document lacks {_quote(' '.join(map(str, token[1:])))} (near line {line})"


def _attribute_change(old: Token, new: Token, line: int) -> str:
    before, after = dict(old[2]), dict(new[2])
    element = describe_tag(new[1], new[2])
    field = after.get("data-gm")
    if field in FIELDS and before.get("data-gm") != field:
        return f"{_EDITED}: {FIELDS[field].lower()} is not shown (line {line})"
    if "style" in before and before.get("style") != after.get("style"):
        return (
            f"a style attribute greenmark does not render: style={_quote(before['style'] or '')} "
            f"on {element} (line {line})"
        )
    added = [k for k in before if k not in after]
    if added:
        name = added[0]
        return (
            f"an attribute greenmark does not render: {name}={_quote(before[name] or '')} "
            f"on {element} (line {line})"
        )
    changed = next((k for k in after if before.get(k) != after[k]), None)
    if changed is not None:
        return (
            f"the attribute {changed} of {element} was edited (line {line}): "
            f"{_quote(before.get(changed) or '')}, greenmark renders {_quote(after[changed] or '')}"
        )
    return f"the element {element} was edited (line {line})"


def _css_rule(css: str, other: str) -> str:
    """The rule of ``css`` where it first differs from ``other`` (from the ``}`` before the
    difference to the ``}`` after it)."""
    at = next((i for i, (a, b) in enumerate(zip(css, other, strict=False)) if a != b), None)
    at = min(len(css), len(other)) if at is None else at
    start = css.rfind("}", 0, at) + 1
    end = css.find("}", at)
    return css[start : len(css) if end < 0 else end + 1].strip()


def _text_change(old: str, new: str, where: tuple[int, str, str | None]) -> str:
    line, element, field = where
    if field in FIELDS:
        return (
            f"{_EDITED}: {FIELDS[field].lower()} shows {_quote(old)}, "
            f"the certified data says {_quote(new)}"
        )
    if element.startswith("<style"):
        edited, rendered = _css_rule(old, new), _css_rule(new, old)
        if not rendered:
            return f"the <style> sheet was edited (line {line}): it adds {_quote(edited)}"
        return (
            f"the <style> sheet was edited (line {line}): it has {_quote(edited)}, "
            f"greenmark renders {_quote(rendered)}"
        )
    return (
        f"{_EDITED}: {element} (line {line}) shows {_quote(old)}, "
        f"the certified data renders {_quote(new)}"
    )


def html_differences(text: str, expected: str) -> list[str]:
    """How the HTML ``text`` differs from the ``expected`` rendering (empty: identical
    once whitespace is collapsed). One message: the first difference, and how many."""
    if normal_text(text.lstrip("\ufeff")) == normal_text(expected):
        return []
    found, wanted = _tokens(text.lstrip("\ufeff")), _tokens(expected)
    change = _first_change(found.tokens, wanted.tokens)
    if change is None:
        a, b = normal_text(text), normal_text(expected)
        at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), len(b))
        return [
            "the certificate's markup differs from what greenmark renders from its data: "
            f"it has {_quote(a[max(0, at - 30) : at + 30])}, "
            f"greenmark renders {_quote(b[max(0, at - 30) : at + 30])}"
        ]
    tag, i1, i2, j1, j2, count = change
    old, new = found.tokens[i1:i2], wanted.tokens[j1:j2]
    if tag == "insert":
        line = found.where[i1][0] if i1 < len(found.where) else found.getpos()[0]
        message = _missing(new[0], wanted.where[j1], line)
    elif tag == "delete" or old[0][0] != new[0][0]:
        message = _extra(old[0], found.where[i1])
    elif old[0][0] == "text":
        message = _text_change(old[0][1], new[0][1], wanted.where[j1])
    elif old[0][0] == "start" and old[0][1] == new[0][1]:
        message = _attribute_change(old[0], new[0], found.where[i1][0])
    else:
        message = _extra(old[0], found.where[i1])
    return [message + _more(count)]


def _md_lines(text: str) -> list[str]:
    lines = []
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        body = line.rstrip()
        indent = body[: len(body) - len(body.lstrip())]
        lines.append(indent + " ".join(body.split()))
    while lines and not lines[-1]:
        lines.pop()
    return lines


_ROW = re.compile(r"^\|\s*(?P<label>[^|]+?)\s*\|\s*(?P<value>.*?)\s*\|\s*$")


def _md_row(line: str) -> tuple[str, str] | None:
    row = _ROW.match(_protect_pipes(line.strip()))
    if row is None:
        return None
    label = md_unescape(row["label"].strip("*").strip())
    return label, _md_value(row["value"].replace("\x00", "\\|"))


def md_differences(text: str, expected: str) -> list[str]:
    """How the Markdown ``text`` differs from the ``expected`` rendering, line by line."""
    found, wanted = _md_lines(text), _md_lines(expected)
    change = _first_change(found, wanted)
    if change is None:
        return []
    tag, i1, _, j1, _, count = change
    line = i1 + 1
    if tag == "insert":
        message = f"line {line}: the line {_quote(wanted[j1])} greenmark renders is missing"
    elif tag == "delete":
        message = f"line {line}: text greenmark does not render: {_quote(found[i1])}"
    else:
        old, new = _md_row(found[i1]), _md_row(wanted[j1])
        labels = {label: field for field, label in FIELDS.items()}
        if old and new and old[0] == new[0] and new[0] in labels:
            message = (
                f"{_EDITED}: {FIELDS[labels[new[0]]].lower()} shows {_quote(old[1])}, "
                f"the certified data says {_quote(new[1])} (line {line})"
            )
        else:
            message = (
                f"{_EDITED}: line {line} shows {_quote(found[i1])}, "
                f"the certified data renders {_quote(wanted[j1])}"
            )
    return [message + _more(count)]


def pdf_differences(pages: list[str], expected: list[str]) -> list[str]:
    """How the text of each PDF page differs from the ``expected`` rendering's."""
    if len(pages) != len(expected):
        return [
            f"the PDF has {len(pages)} page{'s' if len(pages) != 1 else ''}, greenmark renders "
            f"{len(expected)} from its data"
        ]
    for number, (page, want) in enumerate(zip(pages, expected, strict=True), start=1):
        words, wanted = page.split(), want.split()
        change = _first_change(words, wanted)
        if change is None:
            continue
        tag, i1, i2, j1, j2, _ = change
        shown, rendered = " ".join(words[i1:i2]), " ".join(wanted[j1:j2])
        if tag == "delete":
            return [
                f"page {number} shows text greenmark does not render from its data: "
                f"{_quote(shown)} (white, tiny or hidden text counts too)"
            ]
        if tag == "insert":
            return [f"page {number} lacks text greenmark renders from its data: {_quote(rendered)}"]
        return [
            f"page {number} shows {_quote(shown)} where greenmark renders {_quote(rendered)} "
            "from its data"
        ]
    return []
