"""Items with properties, as microdata (schema.org) and microformats2 mark them up.

An item is an element with types (``itemtype``; ``h-entry``) whose properties are the
elements (or nested items) marked inside it (``itemprop``; ``p-name``, ``u-url``). Each
format's module finds its items; both pick a property's first value and the page's one
post the same way.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from lxml.etree import XPath
from lxml.html import HtmlElement

from .markup import inside

__all__ = ["Item", "first_prop", "holding_title"]

H1 = XPath("//h1")


@dataclass(eq=False)
class Item:
    el: HtmlElement
    types: frozenset[str]
    order: int  # document order
    props: dict[str, list[Item | HtmlElement]] = field(default_factory=dict)
    owner: Item | None = None  # the item this one is a property (or a child) of
    as_props: frozenset[str] = frozenset()  # the owner's properties this item is the value of
    children: list[Item] = field(default_factory=list)  # nested items that are no property


def first_prop(item: Item | None, names: tuple[str, ...]) -> Item | HtmlElement | None:
    """The first value of the first of the properties `names` that `item` has."""
    for name in names:
        if item is not None and item.props.get(name):
            return item.props[name][0]
    return None


def holding_title(root: HtmlElement, skip: Collection[HtmlElement], items: list[Item]) -> list[Item]:
    """The `items` holding the page's first h1 outside `skip` (the post's title)."""
    h1 = next((h for h in H1(root) if not inside(h, skip)), None)
    return [p for p in items if h1 is not None and inside(h1, [p.el])]
