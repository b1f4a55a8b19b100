"""Page chrome: navigation, sidebars, widgets, headers and footers, never content.

An element is chrome by its tag (``nav``, ``aside``, forms), by a page-level ``header``
or ``footer``, by a class or id token (whole or as a prefix: ``sidebar-left``,
``widget_recent_comments``), or by a heading such as "Recent comments". Comment-like
names and elements that hold the post (Blogger's ``div.widget.Blog``) are not chrome.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.etree import XPath
from lxml.html import HtmlElement

__all__ = ["CHROME_TAGS", "COMMENTISH", "chrome"]

CHROME_TAGS = frozenset({"nav", "aside", "form", "script", "style", "noscript", "template",
                         "svg", "iframe", "button", "select", "textarea"})  # fmt: skip
CHROME_TOKENS = re.compile(
    r"^(?:(?:sidebar|widget|menu|navbar|breadcrumbs?|related|recent|popular|share|sharing|social"
    r"|cookie|advert|newsletter)(?:[-_].*)?"
    r"|site-footer|footer|colophon|masthead|site-header|secondary|ads?|banner|subscribe|toc"
    r"|skip-link|screen-reader-text)$",
    re.IGNORECASE,
)
CHROME_HINT = re.compile(r"sidebar|widget|menu|nav|breadcrumb|related|recent|popular|shar|social"
                         r"|footer|colophon|masthead|header|secondary|cookie|advert|ads?\b|banner"
                         r"|newsletter|subscribe|toc|skip|reader", re.IGNORECASE)  # fmt: skip
CHROME_HEADINGS = XPath("//h2 | //h3 | //h4")
CONTENT_INSIDE = XPath("count(descendant::h1 | descendant::main | descendant::article | descendant::*["
                       "contains(@class, 'hentry') or contains(@class, 'post-body')"
                       " or contains(@class, 'entry-content') or contains(@itemtype, 'Posting')])")  # fmt: skip
PAGE_LEVEL = frozenset({"article", "section", "li", "main", "td", "dd"})  # header/footer inside
CHROME_HEADING = re.compile(r"^\s*(?:recent|latest|popular|top)\s+(?:comments?|posts?|replies|"
                            r"discussions?|mentions?)\b", re.IGNORECASE)  # fmt: skip
# Names of comments and comment lists (shared with the structural finder): never chrome.
COMMENTISH = re.compile(r"comment|reply|replies|response|message|\bmsg\b|\bnote\b|mention|"
                        r"discussion|\bpost-\d|\bc\d", re.IGNORECASE)  # fmt: skip


def chrome(root: HtmlElement) -> list[HtmlElement]:
    """The page's outermost non-content elements: navigation, sidebars, widgets, footers."""
    body = root.find("body")
    if body is None:
        return []
    hinted = [el for el in body.iter(etree.Element)
              if CHROME_HINT.search(f"{el.get('class', '')} {el.get('id', '')}")]  # fmt: skip
    tagged = body.iter(*CHROME_TAGS, "header", "footer")
    found = list({el: None for el in (*tagged, *hinted) if _is_chrome(el, el.tag)})
    for heading in CHROME_HEADINGS(root):  # a "Recent comments" box, whatever its class
        box = heading.getparent()
        if CHROME_HEADING.match(heading.text_content()) and box is not None and box.tag != "body":
            found.append(box)
    marked = set(found)
    return [el for el in found if not any(a in marked for a in el.iterancestors())]


def _is_chrome(el: HtmlElement, tag: str) -> bool:
    if tag in CHROME_TAGS:
        return True
    if tag in ("header", "footer") and not any(a.tag in PAGE_LEVEL for a in el.iterancestors()):
        return True
    names = (el.get("class") or "").split()
    ident = el.get("id")
    if ident:
        names.append(ident)
    if not any(CHROME_TOKENS.match(name) for name in names):
        return False
    if any(COMMENTISH.search(n) and not n.lower().startswith(("recent", "widget", "sidebar"))
           for n in names):  # fmt: skip
        return False
    # Some themes wrap the whole post in a "widget" (Blogger's div.widget.Blog)
    return CONTENT_INSIDE(el) == 0
