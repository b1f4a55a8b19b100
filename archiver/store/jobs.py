"""Scheduled crawl jobs kept in the archive (`archiver schedule`)."""

from __future__ import annotations

import json

import sqlite_utils

from .times import now_iso


class JobStore:
    """The `jobs` table's reads and writes; mixed into `Store`."""

    db: sqlite_utils.Database

    # jobs ---------------------------------------------------------------------
    # Scheduled crawls (archiver/schedule.py). Times are UTC ISO 8601 strings, so
    # they compare as text.

    def add_job(
        self, name: str, start_urls: list[str], *, every_seconds: int | None, cron: str | None,
        options: dict[str, object], next_run: str,
    ) -> int:  # fmt: skip
        with self.db.atomic():
            table = self.db.table("jobs").insert(
                {
                    "name": name,
                    "start_urls": json.dumps(start_urls),
                    "every_seconds": every_seconds,
                    "cron": cron,
                    "options": json.dumps(options, sort_keys=True),
                    "created": now_iso(),
                    "next_run": next_run,
                    "runs": 0,
                }
            )
        assert table.last_pk is not None
        return int(table.last_pk)

    def jobs(self) -> list[dict[str, object]]:
        return list(self.db.query("SELECT * FROM jobs ORDER BY id"))

    def job(self, key: int | str) -> dict[str, object] | None:
        """A job by id or by name."""
        rows = list(
            self.db.query(
                "SELECT * FROM jobs WHERE id = ? OR name = ? ORDER BY name = ? DESC",
                [key, str(key), str(key)],
            )
        )
        return rows[0] if rows else None

    def remove_job(self, job_id: int) -> None:
        with self.db.atomic():
            self.db.execute("DELETE FROM jobs WHERE id = ?", [job_id])

    def due_jobs(self, now: str) -> list[dict[str, object]]:
        return list(
            self.db.query("SELECT * FROM jobs WHERE next_run <= ? ORDER BY next_run, id", [now])
        )

    def job_started(self, job_id: int, pid: int, at: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET running_pid = ?, running_since = ? WHERE id = ?", [pid, at, job_id]
            )

    def job_finished(
        self, job_id: int, *, started: str, finished: str, next_run: str, crawl_id: int | None,
        outcome: str, exit_code: int | None, error: str | None,
    ) -> None:  # fmt: skip
        with self.db.atomic():
            self.db.execute(
                "UPDATE jobs SET last_run = ?, last_finished = ?, next_run = ?, last_crawl_id = ?, "
                "last_outcome = ?, last_exit_code = ?, last_error = ?, runs = coalesce(runs, 0) + 1, "
                "running_pid = NULL, running_since = NULL WHERE id = ?",
                [started, finished, next_run, crawl_id, outcome, exit_code, error, job_id],
            )

    def latest_crawl(self, start_urls: list[str]) -> dict[str, object] | None:
        """The newest crawls row for exactly these start URLs (as the crawl recorded them)."""
        rows = list(
            self.db.query(
                "SELECT * FROM crawls WHERE start_urls = ? ORDER BY id DESC LIMIT 1",
                [json.dumps(start_urls)],
            )
        )
        return rows[0] if rows else None
