"""Reading pages in a worker process, so the reactor thread only moves bytes.

Parsing and extraction cost more CPU than anything else a crawl does; a
process pool puts them on the second core (threads would share one, under
the GIL). `ARCHIVER_WORKERS=0` reads pages inline.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from .harvest import Reading, read
from .page import Page


def _quiet_worker() -> None:
    # What goes wrong in a worker comes back as an error item; its log would only
    # interleave with the progress line.
    logging.getLogger().setLevel(logging.CRITICAL)


class PageReader:
    def __init__(self, workers: int) -> None:
        self.pool = (
            ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),  # no fork of a running reactor
                initializer=_quiet_worker,
            )
            if workers > 0
            else None
        )
        if self.pool is not None:
            # Start the workers now: their imports (~0.5 s) overlap the crawl's start-up
            # instead of holding up the first pages.
            self.pool.submit(_quiet_worker)

    async def read(self, page: Page, **options: Any) -> Reading:
        if self.pool is None:
            return read(page, **options)
        return await asyncio.wrap_future(self.pool.submit(read, page, **options))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
