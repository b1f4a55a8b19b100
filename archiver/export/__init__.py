"""Getting the archive out: WACZ packages of the WARCs, and threads as JSON Lines, CSV or HTML."""

from __future__ import annotations

from .html import render_index, render_thread, write_html
from .threads import (
    ThreadRows,
    comment_tree,
    csv_rows,
    jsonl_lines,
    open_readonly,
    read_threads,
    thread_record,
    write_csv,
    write_jsonl,
)
from .wacz import WaczResult, build_wacz, pages_jsonl

__all__ = [
    "ThreadRows",
    "WaczResult",
    "build_wacz",
    "comment_tree",
    "csv_rows",
    "jsonl_lines",
    "open_readonly",
    "pages_jsonl",
    "read_threads",
    "render_index",
    "render_thread",
    "thread_record",
    "write_csv",
    "write_html",
    "write_jsonl",
]
