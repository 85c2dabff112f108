"""HTML to readable markdown (or plain text): keep the page's main content, drop navigation and other chrome."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Never content: scripts, styles, widgets, and the site's navigation around the text.
DROP = frozenset("script style noscript template svg canvas iframe object embed form button input select "
                 "textarea dialog nav aside head".split())
DROP_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "dialog"})
CHROME = re.compile(r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|sidebar|breadcrumbs?|cookies?|consent|advert\w*|"
                    r"ads|social|share|sharing|skip-link|site-header|site-footer|masthead|related-posts|popup)"
                    r"(?:$|[\s_-])", re.I)
BLOCK = frozenset("p div section article main header footer figure figcaption address details summary "
                  "h1 h2 h3 h4 h5 h6 ul ol li dl dt dd pre blockquote table tr hr center".split())
MAX_DEPTH = 150  # deeper elements are flattened into their ancestor at this depth, their text kept
_SPACE = re.compile(r"\s+")
_LANG = re.compile(r"(?:lang|language)-([\w+#.-]+)")


class Node:
    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str]):
        self.tag, self.attrs = tag, attrs
        self.children: list[Node | str] = []

    def find_all(self, tag: str) -> list[Node]:
        found: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag:
                    found.append(child)
                found += child.find_all(tag)
        return found

    def first(self, tag: str) -> Node | None:
        return next(iter(self.find_all(tag)), None)

    def raw_text(self) -> str:
        return "".join(c if isinstance(c, str) else c.raw_text() for c in self.children)


class _TreeBuilder(HTMLParser):
    """A forgiving DOM: unclosed <p>/<li>/<td> close themselves the way browsers close them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]  # open elements; never deeper than MAX_DEPTH, so rendering cannot recurse away

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._close_implied(tag)
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def _close_implied(self, tag: str) -> None:
        stops = {"li": ("ul", "ol"), "dt": ("dl",), "dd": ("dl",), "tr": ("table",), "td": ("tr", "table"),
                 "th": ("tr", "table"), "option": ("select",)}
        closes = {"li": ("li",), "dt": ("dt", "dd"), "dd": ("dt", "dd"), "tr": ("tr", "td", "th"),
                  "td": ("td", "th"), "th": ("td", "th"), "option": ("option",)}
        if tag in closes:
            for i in range(len(self.stack) - 1, 0, -1):
                if self.stack[i].tag in stops[tag]:
                    return
                if self.stack[i].tag in closes[tag]:
                    del self.stack[i:]
                    return
        elif tag in BLOCK and self.stack[-1].tag == "p" and len(self.stack) > 1:
            self.stack.pop()


def parse(html: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def _is_chrome(node: Node) -> bool:
    attrs = node.attrs
    if node.tag in DROP or attrs.get("role", "").lower() in DROP_ROLES or "hidden" in attrs:
        return True
    if attrs.get("aria-hidden") == "true" or "display:none" in attrs.get("style", "").replace(" ", ""):
        return True
    return bool(CHROME.search(attrs.get("class", "")) or CHROME.search(attrs.get("id", "")))


def _prune(node: Node, page_level: bool) -> None:
    """Remove chrome below node; the site's header and footer only when node is the whole page."""
    kept: list[Node | str] = []
    for child in node.children:
        if isinstance(child, Node):
            if _is_chrome(child) or (page_level and child.tag in ("header", "footer")):
                continue
            _prune(child, page_level)
        kept.append(child)
    node.children = kept


def main_content(doc: Node) -> tuple[Node, str]:
    """The node holding the page's text (one <article>, else <main>, else the body) and the page title."""
    title_node = doc.first("title")
    title = _SPACE.sub(" ", title_node.raw_text()).strip() if title_node else ""
    articles = doc.find_all("article")
    mains = [n for n in _walk(doc) if n.tag == "main" or n.attrs.get("role") == "main"]
    root = articles[0] if len(articles) == 1 else mains[0] if mains else doc.first("body") or doc
    _prune(root, page_level=root.tag in ("body", "#document"))
    return root, title


def _walk(node: Node):
    for child in node.children:
        if isinstance(child, Node):
            yield child
            yield from _walk(child)


class Renderer:
    """Markdown (plain=False) or plain text (plain=True) from a pruned tree; links resolved against base_url."""

    def __init__(self, base_url: str = "", plain: bool = False):
        self.base_url, self.plain = base_url, plain

    def render(self, node: Node) -> str:
        return _tidy(self.inner(node))

    def inner(self, node: Node) -> str:
        return "".join(_SPACE.sub(" ", c) if isinstance(c, str) else self.element(c) for c in node.children)

    def element(self, node: Node) -> str:
        tag, plain = node.tag, self.plain
        if tag in DROP:
            return ""
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            text = self.inner(node).strip()
            return f"\n\n{text if plain else '#' * int(tag[1]) + ' ' + text}\n\n" if text else ""
        if tag == "br":
            return "\n"
        if tag == "hr":
            return "\n\n---\n\n"
        if tag == "pre":
            return self.code_block(node)
        if tag in ("ul", "ol"):
            return self.listing(node, ordered=tag == "ol")
        if tag == "table":
            return self.table(node)
        if tag == "blockquote":
            body = _tidy(self.inner(node))
            return "\n\n" + "\n".join(f"> {line}".rstrip() for line in body.splitlines()) + "\n\n"
        if tag in BLOCK:
            return f"\n\n{self.inner(node).strip()}\n\n"
        if tag == "a":
            return self.link(node)
        if tag == "img":
            alt, src = node.attrs.get("alt", "").strip(), node.attrs.get("src", "")
            if plain or not src or src.startswith("data:"):
                return alt
            return f"![{alt}]({urljoin(self.base_url, src)})"
        marks = {"strong": "**", "b": "**", "em": "*", "i": "*", "code": "`", "kbd": "`", "del": "~~", "s": "~~"}
        text = self.inner(node)
        if tag in marks and not plain and text.strip():
            mark = marks[tag]
            return text[:len(text) - len(text.lstrip())] + mark + text.strip() + mark + \
                text[len(text.rstrip()):]
        return text

    def link(self, node: Node) -> str:
        text = self.inner(node).strip()
        href = node.attrs.get("href", "").strip()
        if self.plain or not text or not href or href.startswith(("#", "javascript:")):
            return text
        return f"[{text}]({urljoin(self.base_url, href)})"

    def code_block(self, node: Node) -> str:
        code = node.raw_text().strip("\n")
        if self.plain:
            return f"\n\n{code}\n\n"
        classes = " ".join(n.attrs.get("class", "") for n in [node, *node.find_all("code")])
        lang = _LANG.search(classes)
        fence = "````" if "```" in code else "```"
        return f"\n\n{fence}{lang.group(1) if lang else ''}\n{code}\n{fence}\n\n"

    def listing(self, node: Node, ordered: bool) -> str:
        items = [c for c in node.children if isinstance(c, Node) and c.tag == "li"]
        start = int(node.attrs.get("start", "1")) if node.attrs.get("start", "1").isdigit() else 1
        lines = []
        for number, item in enumerate(items, start):
            marker = f"{number}. " if ordered else "- "
            body = re.sub(r"\n{2,}", "\n", _tidy(self.inner(item)))
            pad = " " * len(marker)
            lines.append(marker + body.replace("\n", "\n" + pad))
        return "\n\n" + "\n".join(lines) + "\n\n" if lines else ""

    def table(self, node: Node) -> str:
        rows = node.find_all("tr")
        grid = [[_SPACE.sub(" ", self.inner(c)).strip().replace("|", "\\|") for c in r.children
                 if isinstance(c, Node) and c.tag in ("td", "th")] for r in rows]
        grid = [row for row in grid if row]
        if not grid:
            return ""
        if self.plain:
            return "\n\n" + "\n".join("\t".join(row) for row in grid) + "\n\n"
        width = max(len(row) for row in grid)
        grid = [row + [""] * (width - len(row)) for row in grid]
        lines = ["| " + " | ".join(grid[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in grid[1:]]
        return "\n\n" + "\n".join(lines) + "\n\n"


def _tidy(text: str) -> str:
    """Trim trailing spaces and the stray single space a block boundary leaves; at most one blank line."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "````")):
            fenced = not fenced
        if not fenced:
            line = line.rstrip()
            if line.startswith(" ") and not line.startswith("  "):
                line = line[1:]
        out.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")


def html_to_markdown(html: str, base_url: str = "", plain: bool = False) -> str:
    """The page's main content as markdown (or plain text), titled with the page title if it has no heading."""
    content, title = main_content(parse(html))
    text = Renderer(base_url, plain).render(content)
    if title and not content.find_all("h1"):
        text = (title if plain else f"# {title}") + "\n\n" + text
    return text.strip()
