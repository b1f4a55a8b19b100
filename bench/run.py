"""Benchmark: archiver crawl vs wget and bare Scrapy on a generated blog, plus the parts.

    python bench/run.py [--posts 2000] [--comments 40] [--runs 3] [--out bench-out/] [--quick]

One command, one machine, one run:
1. generates a WordPress-like site with ../shared/bench/make_blog.py (its expected.json is
   the ground truth) and serves it with nginx on a free 127.0.0.1 port;
2. runs, interleaved and `--runs` times each, in fresh directories:
   `wget --recursive --level=inf --no-parent --warc-file` (one connection: wget is sequential),
   a bare Scrapy spider (bench/bare_spider.py: index, post and comment pages only, no WARC,
   no extraction) and `archiver crawl` end to end (WARC + extraction + SQLite), both Scrapy
   crawls with the same number of requests in flight (`--concurrency`);
3. checks every archiver crawl's archive against expected.json field by field: a run counts
   ("valid") only with 0 mismatches;
4. times `archiver reextract` over the last crawl's WARCs, extraction of a ~150-comment page
   against a bare lxml parse of it, and WARC writing per page (bench/warc_write.py);
5. records the peak RSS of the archiver crawl, and (unless --rss-posts 0) of one more crawl
   of a site big enough for ~10,000 pages;
6. prints a table of medians and ratios against the targets and writes it to OUT/results.json.

Pages/s is always HTML pages / wall seconds of the whole command (start-up included), where
HTML pages are the responses with Content-Type text/html: counted from the WARC for wget, from
the spider for bare Scrapy, from the `captures` table for archiver (reextract reads the same
captures back). Exit status 1 if any archive differs from expected.json.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))  # compare.py, warc_write.py, extract_speed.py, also when imported by the tests
import warc_write
from compare import Comparison, compare_archive

REPO = BENCH.parent
MAKE_BLOG = REPO.parent / "shared" / "bench" / "make_blog.py"
NGINX_CONF = MAKE_BLOG.parent / "nginx.conf.in"
BARE_SPIDER = BENCH / "bare_spider.py"
TIME = Path("/usr/bin/time")

TARGETS = {  # name: (comparison, value), as in issue 8
    "archiver/wget": (">=", 1.0),
    "archiver/bare Scrapy": (">=", 0.7),
    "extract/lxml parse": ("<=", 1.5),
    "WARC ms/page": ("<=", 1.2),
    "reextract/crawl": (">=", 3.0),
    "peak RSS MB @10k pages": ("<=", 300.0),
}


# --------------------------------------------------------------------------
# Tools, the site and its server
# --------------------------------------------------------------------------

def ensure_tool(command: str, package: str) -> None:
    """Install the Debian `package` if `command` is missing (apt-get; sudo when not root)."""
    if shutil.which(command) or Path(command).exists():
        return
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    print(f"{command} not found: apt-get install {package}", file=sys.stderr)
    install = [*prefix, "apt-get", "install", "-y", "--no-install-recommends", package]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, check=False).returncode != 0:
        subprocess.run([*prefix, "apt-get", "update"], env=env, check=True)
        subprocess.run(install, env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_site(make_blog: Path, out: Path, base_url: str, posts: int, comments: float,
              seed: int = 1, extra: tuple[str, ...] = ()) -> Path:
    """Run make_blog.py into `out` (replacing it); returns `out` (site/, expected.json)."""
    if out.exists():
        shutil.rmtree(out)
    subprocess.run([sys.executable, str(make_blog), str(out), "--posts", str(posts),
                    "--comments", str(comments), "--seed", str(seed), "--base-url", base_url,
                    *extra], check=True, stdout=subprocess.DEVNULL)
    return out


@contextlib.contextmanager
def nginx(site: Path, port: int, run_dir: Path) -> Iterator[str]:
    """Serve `site` at http://127.0.0.1:PORT with a filled-in copy of nginx.conf.in."""
    ensure_tool("nginx", "nginx")
    run_dir.mkdir(parents=True, exist_ok=True)
    conf = (NGINX_CONF.read_text().replace("@ROOT@", str(site.resolve()))
            .replace("@PORT@", str(port)).replace("@RUN@", str(run_dir.resolve())))
    if os.geteuid() == 0:  # workers would run as nobody, who may not read a private tmp dir
        conf = f"user {pwd.getpwuid(site.stat().st_uid).pw_name};\n" + conf
    conf_path = run_dir / "nginx.conf"
    conf_path.write_text(conf)
    subprocess.run(["nginx", "-c", str(conf_path.resolve()), "-p", str(run_dir.resolve()),
                    "-e", str((run_dir / "error.log").resolve())], check=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(base + "/", timeout=2) as r:
                if r.status == 200:
                    break
            time.sleep(0.05)
        else:
            errors = (run_dir / "error.log").read_text().splitlines()[-1:]
            raise RuntimeError(f"nginx does not answer on {base}: {errors}")
        yield base
    finally:
        pid_file = run_dir / "nginx.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if not pid_file.exists():
                    break
                time.sleep(0.05)


# --------------------------------------------------------------------------
# Running a command: wall time and peak memory
# --------------------------------------------------------------------------

@dataclass
class Measured:
    seconds: float
    returncode: int
    max_rss_mb: float | None  # largest single process (GNU time -v)
    tree_rss_mb: float  # peak sum over the process tree, sampled every 100 ms


PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children(pid: int) -> list[int]:
    """Child pids, from /proc/PID/task/*/children (cheap: no scan of all of /proc)."""
    found = []
    for task in os.scandir(f"/proc/{pid}/task"):
        found += [int(c) for c in Path(task.path, "children").read_text().split()]
    return found


def _tree_rss_kb(root: int) -> int:
    """Resident memory of `root` and all its descendants, in KiB."""
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        with contextlib.suppress(OSError, ValueError):
            todo += _children(pid)
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    return total


def measure(cmd: list[str], log: Path, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Measured:
    """Run `cmd` to completion (output to `log`), timing it and watching its memory."""
    timed = TIME.exists()
    rss_file = log.with_suffix(".time")
    full = [str(TIME), "-v", "-o", str(rss_file), *cmd] if timed else cmd
    peak = 0
    with log.open("wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=True)
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.1):
                peak = max(peak, _tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            returncode = proc.wait()
        except BaseException:  # interrupted: stop the command and what it started
            os.killpg(proc.pid, signal.SIGTERM)
            raise
        finally:
            seconds = time.perf_counter() - start
            done.set()
            sampler.join()
    max_rss = None
    if timed and rss_file.exists():
        for line in rss_file.read_text().splitlines():
            if "Maximum resident set size" in line:
                max_rss = int(line.split(":")[1]) / 1024
    return Measured(seconds, returncode, max_rss, peak / 1024)


# --------------------------------------------------------------------------
# The three crawls and reextract
# --------------------------------------------------------------------------

def warc_html_responses(paths: list[Path]) -> tuple[int, int]:
    """(HTML pages: status 200 text/html responses, all responses) in WARC files."""
    from warcio.archiveiterator import ArchiveIterator

    html = total = 0
    for path in paths:
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type == "response" and record.http_headers is not None:
                    total += 1
                    ctype = record.http_headers.get_header("Content-Type") or ""
                    ok = record.http_headers.get_statuscode() == "200"
                    html += ok and ctype.startswith("text/html")
    return html, total


def run_wget(base: str, work: Path) -> dict:
    ensure_tool("wget", "wget")
    work.mkdir(parents=True)
    m = measure(["wget", "--recursive", "--level=inf", "--no-parent", "-nv",
                 f"--warc-file={work / 'wget'}", "-P", str(work / "mirror"), base + "/"],
                work / "wget.log")
    html, total = warc_html_responses(sorted(work.glob("*.warc.gz")))
    shutil.rmtree(work / "mirror", ignore_errors=True)
    return {"seconds": m.seconds, "html": html, "responses": total, "rc": m.returncode,
            "rss_mb": m.max_rss_mb or m.tree_rss_mb}


def run_bare_scrapy(base: str, work: Path, concurrency: int) -> dict:
    work.mkdir(parents=True)
    stats = work / "stats.json"
    env = {**os.environ, "SCRAPY_SETTINGS_MODULE": ""}  # not the archiver project's settings
    m = measure([sys.executable, "-m", "scrapy", "runspider", str(BARE_SPIDER),
                 "-a", f"start={base}/", "-a", f"stats={stats}",
                 "-s", f"CONCURRENT_REQUESTS={concurrency}",
                 "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"],
                work / "scrapy.log", env=env, cwd=work)
    counts = json.loads(stats.read_text()) if stats.exists() else {"html": 0, "responses": 0}
    return {"seconds": m.seconds, "html": counts["html"], "responses": counts["responses"],
            "rc": m.returncode, "rss_mb": m.max_rss_mb or m.tree_rss_mb}


def archive_counts(db_path: Path) -> tuple[int, int]:
    """(HTML pages: status 200 text/html captures, all captures) in an archive."""
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        html, total = db.execute(
            "select sum(status = 200 and content_type like 'text/html%'), count(*) "
            "from captures").fetchone()
    finally:
        db.close()
    return html or 0, total


def run_archiver(base: str, data: Path, concurrency: int, expected: Path) -> dict:
    data.parent.mkdir(parents=True, exist_ok=True)
    m = measure([sys.executable, "-m", "archiver", "crawl", base + "/", "--data", str(data),
                 "--delay", "0", "--concurrency", str(concurrency), "--allow-private", "-q"],
                data.with_name(data.name + ".log"))
    html, total = archive_counts(data / "archive.db") if (data / "archive.db").exists() else (0, 0)
    check = compare_archive(data / "archive.db", expected) if html else None
    return {"seconds": m.seconds, "html": html, "responses": total, "rc": m.returncode,
            "rss_mb": max(m.max_rss_mb or 0, m.tree_rss_mb), "rss_time_v_mb": m.max_rss_mb,
            "rss_tree_mb": m.tree_rss_mb, **_check_summary(check)}


def run_reextract(warc_dir: Path, data: Path, html: int, expected: Path) -> dict:
    m = measure([sys.executable, "-m", "archiver", "reextract", str(warc_dir), "--data", str(data)],
                data.with_name(data.name + ".log"))
    check = compare_archive(data / "archive.db", expected) if (data / "archive.db").exists() else None
    return {"seconds": m.seconds, "html": html, "rc": m.returncode, **_check_summary(check)}


def _check_summary(check: Comparison | None) -> dict:
    if check is None:
        return {"mismatches": None, "mismatch_fields": {}, "mismatch_examples": ["no archive"]}
    return {"mismatches": check.mismatches, "mismatch_fields": dict(check.fields),
            "mismatch_examples": check.examples}


# --------------------------------------------------------------------------
# Micro-benchmarks: extraction of one comment-heavy page, WARC writing
# --------------------------------------------------------------------------

def site_file(site: Path, base: str, url: str) -> Path:
    rel = url[len(base) + 1:]
    return site / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def comment_heavy_page(expected: Path, want: int = 150) -> tuple[str, int]:
    """The comment page whose comment count is closest to `want` (its URL and count)."""
    counts: Counter[str] = Counter()
    for post in json.loads(expected.read_text(encoding="utf-8"))["posts"]:
        for c in post["comments"]:
            counts[c["url"].split("#", 1)[0]] += 1
    url, n = min(counts.items(), key=lambda item: (abs(item[1] - want), -item[1], item[0]))
    return url, n


def bench_extract(path: Path, url: str, repeat: int = 50) -> dict:
    """Median ms of archiver.extract.extract(Page) and of lxml.html.document_fromstring(text)
    (extract_speed.measure: a fresh Page each time, the two interleaved)."""
    from extract_speed import measure as measure_extract

    body = path.read_bytes()
    extract_ms, parse_ms, comments = measure_extract(body, url, repeat)
    return {"url": url, "kib": len(body) / 1024, "comments_extracted": comments,
            "extract_ms": extract_ms, "lxml_parse_ms": parse_ms}


def median_page(site: Path) -> Path:
    pages = sorted(site.rglob("index.html"), key=lambda p: (p.stat().st_size, str(p)))
    return pages[len(pages) // 2]


def bench_warc(body: bytes, count: int = 500, runs: int = 3) -> dict:
    """ms per page (response + request record) with archiver's WarcWriter at the crawl's
    default gzip level, via bench/warc_write.py."""
    from archiver.settings import ARCHIVER_WARC_GZIP_LEVEL as level

    items = warc_write.exchanges(count, body)
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs + 1):  # the first is a warm-up
            for old in Path(tmp).iterdir():
                old.unlink()
            elapsed, size = warc_write.run_ours(items, level, Path(tmp))
            if i:
                seconds.append(elapsed)
    return {"gzip_level": level, "kib": len(body) / 1024, "pages": count,
            "ms_per_page": statistics.median(seconds) * 1000 / count,
            "bytes_per_page": size / count}


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------

def _capture(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip()


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    versions = {}
    for name in ("scrapy", "warcio", "lxml", "sqlite-utils"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "?"
    commit = _capture(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    dirty = _capture(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"])
    return {
        "date": _capture(["date"]), "nproc": _capture(["nproc"]), "cpu": cpu,
        "free -h": _capture(["free", "-h"]), "kernel": platform.release(),
        "python": platform.python_version(), **versions,
        "nginx": _capture(["nginx", "-v"]).replace("nginx version: nginx/", ""),
        "wget": _capture(["wget", "--version"]).split()[2],
        "commit": commit + (" + uncommitted changes" if dirty not in ("", "?") else ""),
        "load_start": loadavg(),
    }


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def tool_summary(runs: list[dict]) -> dict:
    rates = [r["html"] / r["seconds"] for r in runs]
    return {"runs": len(runs), "html_pages": _median(runs, "html"), "seconds": _median(runs, "seconds"),
            "pages_per_s": statistics.median(rates), "pages_per_s_each": rates,
            "peak_rss_mb": max((r.get("rss_mb") or 0) for r in runs)}


def verdict(name: str, value: float | None) -> str:
    if value is None:
        return "–"
    op, target = TARGETS[name]
    return "✓" if (value >= target if op == ">=" else value <= target) else "✗"


def summarise(site: dict, tools: dict[str, list[dict]], extract: dict, warc: dict,
              rss_run: dict | None, concurrency: int) -> dict:
    s = {name: tool_summary(runs) for name, runs in tools.items()}
    arch = s["archiver crawl"]["pages_per_s"]
    checked = tools["archiver crawl"] + tools["archiver reextract"] + ([rss_run] if rss_run else [])
    rss_source = rss_run or max(tools["archiver crawl"], key=lambda r: r["rss_mb"])
    ratios = {
        "archiver/wget": arch / s["wget"]["pages_per_s"],
        "archiver/bare Scrapy": arch / s["bare Scrapy"]["pages_per_s"],
        "extract/lxml parse": extract["extract_ms"] / extract["lxml_parse_ms"],
        "WARC ms/page": warc["ms_per_page"],
        "reextract/crawl": s["archiver reextract"]["pages_per_s"] / arch,
        "peak RSS MB @10k pages": rss_source["rss_mb"],
    }
    return {
        "site": site, "concurrency": concurrency, "tools": s, "extract": extract, "warc": warc,
        "rss": {"html_pages": rss_source["html"], "responses": rss_source.get("responses"),
                "mb": rss_source["rss_mb"], "time_v_mb": rss_source.get("rss_time_v_mb"),
                "tree_mb": rss_source.get("rss_tree_mb"), "dedicated_run": rss_run is not None},
        "ratios": ratios,
        "targets": {k: {"op": op, "target": t, "ok": verdict(k, v) if k != "peak RSS MB @10k pages"
                        or rss_source["html"] >= 10_000 else "–"}
                    for k, (op, t) in TARGETS.items() for v in [ratios[k]]},
        "mismatches": [r["mismatches"] for r in checked],
        "mismatch_fields": sum((Counter(r["mismatch_fields"]) for r in checked), Counter()),
        "mismatch_examples": [e for r in checked for e in r["mismatch_examples"]][:20],
        "valid": all(r["mismatches"] == 0 for r in checked),
        "exit_codes": {name: [r["rc"] for r in runs] for name, runs in tools.items()},
    }


def report(r: dict, info: dict) -> str:
    site, t, ratios, ok = r["site"], r["tools"], r["ratios"], r["targets"]
    c = r["concurrency"]
    lines = [
        f"archiver benchmark — {info['date']}",
        f"machine: {info['nproc']} CPUs ({info['cpu']}), Linux {info['kernel']}, Python {info['python']}, "
        f"Scrapy {info['scrapy']}, warcio {info['warcio']}, lxml {info['lxml']}, "
        f"nginx {info['nginx']}, wget {info['wget']}",
        *("  " + line for line in info["free -h"].splitlines()),
        f"code: {info['commit']}",
        f"load average (1/5/15 min): {info['load_start']} at start, {info.get('load_end', '?')} at end "
        "(anything else running on the machine slows the crawls)",
        f"site: {site['posts']:,} posts, {site['comments']:,} comments, {site['html_pages']:,} HTML pages "
        f"({site['html_bytes'] / 1e6:.0f} MB) from make_blog.py --comments {site['mean_comments']:g} "
        f"--seed {site['seed']}, served by nginx at {site['base_url']}",
        f"{t['wget']['runs']} runs of each crawl, interleaved, fresh directories; medians. "
        "pages/s = text/html responses / wall seconds of the command.",
        "",
        f"{'tool':<44}{'in flight':>10}{'HTML pages':>12}{'all resp.':>11}{'seconds':>9}"
        f"{'pages/s':>9}{'peak RSS':>10}",
    ]
    names = {
        "wget": "wget --recursive --warc-file (sequential)",
        "bare Scrapy": "bare Scrapy (index/post/comment links only)",
        "archiver crawl": "archiver crawl (WARC + extract + SQLite)",
        "archiver reextract": "archiver reextract (crawl's WARCs, no net)",
    }
    flight = {"wget": "1", "bare Scrapy": str(c), "archiver crawl": str(c), "archiver reextract": "-"}
    for key, label in names.items():
        s = t[key]
        resp = [x["responses"] for x in r["runs"][key] if "responses" in x]
        responses = f"{statistics.median(resp):,.0f}" if resp else "-"
        rss = f"{s['peak_rss_mb']:.0f} MB" if s["peak_rss_mb"] else "-"
        lines.append(f"{label:<44}{flight[key]:>10}{s['html_pages']:>12,.0f}{responses:>11}"
                     f"{s['seconds']:>9.1f}{s['pages_per_s']:>9.1f}{rss:>10}")
    e, w, m = r["extract"], r["warc"], r["rss"]
    rows = [
        ("archiver crawl / wget, pages/s", f"{ratios['archiver/wget']:.2f}×", "archiver/wget"),
        (f"archiver crawl / bare Scrapy, pages/s ({c} in flight each)",
         f"{ratios['archiver/bare Scrapy']:.2f}×", "archiver/bare Scrapy"),
        (f"extract {e['comments_extracted']}-comment page ({e['kib']:.0f} KiB) / lxml parse",
         f"{e['extract_ms']:.1f} / {e['lxml_parse_ms']:.1f} ms = {ratios['extract/lxml parse']:.2f}×",
         "extract/lxml parse"),
        (f"WARC writing, WarcWriter gzip {w['gzip_level']}, {w['kib']:.0f} KiB page",
         f"{w['ms_per_page']:.2f} ms/page", "WARC ms/page"),
        ("archiver reextract / archiver crawl, pages/s", f"{ratios['reextract/crawl']:.2f}×",
         "reextract/crawl"),
        (f"peak RSS of archiver crawl, {m['html_pages']:,} HTML pages"
         + ("" if m["html_pages"] >= 10_000 else " (not 10,000)"),
         f"{m['mb']:.0f} MB", "peak RSS MB @10k pages"),
    ]
    lines += ["", f"{'measure':<62}{'figure':>26}{'target':>10}{'':>3}"]
    for label, figure, key in rows:
        op, target = TARGETS[key]
        shown = {"WARC ms/page": f"{target:.1f} ms",
                 "peak RSS MB @10k pages": f"{target:.0f} MB"}.get(key, f"{target:.1f}×")
        lines.append(f"{label:<62}{figure:>26}{('≥ ' if op == '>=' else '≤ ') + shown:>10}"
                     f"{ok[key]['ok']:>3}")
    n = len(r["mismatches"])
    lines.append(f"{'correctness: archives vs expected.json (' + str(n) + ' archives)':<62}"
                 f"{sum(m or 0 for m in r['mismatches']):>17} mismatches"
                 f"{'':>10}{'✓' if r['valid'] else '✗':>3}")
    lines.append("VALID: every archive equals expected.json." if r["valid"] else
                 "INVALID: archives differ from expected.json; the speed figures do not count.")
    if r["mismatch_fields"]:
        lines.append("  mismatches by field: " + ", ".join(f"{k} {v}" for k, v in
                                                           sorted(r["mismatch_fields"].items())))
        lines += ["  " + example for example in r["mismatch_examples"][:10]]
    if m["time_v_mb"] is not None:
        lines.append(f"peak RSS: largest process {m['time_v_mb']:.0f} MB (/usr/bin/time -v), "
                     f"process tree {m['tree_mb']:.0f} MB (sampled every 100 ms); the larger counts.")
    bad_rc = {k: v for k, v in r["exit_codes"].items() if any(v)}
    if bad_rc:
        lines.append(f"non-zero exit codes: {bad_rc}")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, help="posts in the site (default 2000; --quick 200)")
    ap.add_argument("--comments", type=float, default=40, help="mean comments per post (40)")
    ap.add_argument("--runs", type=int, help="runs of each crawl (default 3; --quick 1)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out", help="work and result directory")
    ap.add_argument("--concurrency", type=int, default=16, help="requests in flight for both Scrapy crawls")
    ap.add_argument("--rss-posts", type=int,
                    help="posts of the extra site for the peak-RSS crawl, ~1.22 pages each "
                         "(default 8300, ~10,100 pages; --quick 0; 0 skips it)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--make-blog", type=Path, default=MAKE_BLOG, help=f"default {MAKE_BLOG}")
    ap.add_argument("--keep", action="store_true", help="keep crawl outputs and the RSS site")
    ap.add_argument("--quick", action="store_true", help="small smoke run: 200 posts, 1 run, no RSS run")
    args = ap.parse_args(argv)
    args.posts = args.posts or (200 if args.quick else 2000)
    args.runs = args.runs or (1 if args.quick else 3)
    args.rss_posts = args.rss_posts if args.rss_posts is not None else (0 if args.quick else 8300)
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop nginx and the crawls too
    if not args.make_blog.exists():
        sys.exit(f"make_blog.py not found at {args.make_blog} (use --make-blog PATH)")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if out.is_relative_to(REPO):  # keep hundreds of MB of generated site out of git
        (out / ".gitignore").write_text("*\n")
    ensure_tool(str(TIME), "time")
    ensure_tool("wget", "wget")
    ensure_tool("nginx", "nginx")
    info = machine()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log(f"generating {args.posts} posts with {args.make_blog}")
    site_dir = make_site(args.make_blog, out / "site", base, args.posts, args.comments, args.seed)
    expected = site_dir / "expected.json"
    stats = json.loads(expected.read_text(encoding="utf-8"))["stats"]
    site = {**stats, "mean_comments": args.comments, "seed": args.seed, "base_url": base}
    runs_dir = out / "runs"
    shutil.rmtree(runs_dir, ignore_errors=True)
    runs_dir.mkdir()
    tools: dict[str, list[dict]] = {"wget": [], "bare Scrapy": [], "archiver crawl": [],
                                    "archiver reextract": []}
    with nginx(site_dir / "site", port, out / "nginx"):
        for i in range(args.runs):
            log(f"run {i + 1}/{args.runs}: wget")
            tools["wget"].append(run_wget(base, runs_dir / f"wget-{i}"))
            log(f"run {i + 1}/{args.runs}: bare Scrapy")
            tools["bare Scrapy"].append(run_bare_scrapy(base, runs_dir / f"scrapy-{i}", args.concurrency))
            log(f"run {i + 1}/{args.runs}: archiver crawl")
            tools["archiver crawl"].append(
                run_archiver(base, runs_dir / f"archiver-{i}", args.concurrency, expected))
            log(f"  archiver: {tools['archiver crawl'][-1]['html']} HTML pages in "
                f"{tools['archiver crawl'][-1]['seconds']:.1f} s, "
                f"{tools['archiver crawl'][-1]['mismatches']} mismatches")
    last = runs_dir / f"archiver-{args.runs - 1}"
    for i in range(args.runs):
        log(f"run {i + 1}/{args.runs}: archiver reextract")
        tools["archiver reextract"].append(run_reextract(
            last / "warc", runs_dir / f"reextract-{i}", tools["archiver crawl"][-1]["html"], expected))
    log("extraction and WARC micro-benchmarks")
    url, _ = comment_heavy_page(expected)
    extract = bench_extract(site_file(site_dir / "site", base, url), url)
    warc = bench_warc(median_page(site_dir / "site").read_bytes())
    rss_run = None
    if args.rss_posts:
        rss_port = free_port()
        rss_base = f"http://127.0.0.1:{rss_port}"
        log(f"peak-RSS run: generating {args.rss_posts} posts")
        rss_site = make_site(args.make_blog, out / "site-rss", rss_base, args.rss_posts,
                             args.comments, args.seed)
        with nginx(rss_site / "site", rss_port, out / "nginx-rss"):
            log("peak-RSS run: archiver crawl")
            rss_run = run_archiver(rss_base, runs_dir / "archiver-rss", args.concurrency,
                                   rss_site / "expected.json")
        if not args.keep:
            shutil.rmtree(rss_site, ignore_errors=True)
    info["load_end"] = loadavg()
    result = summarise(site, tools, extract, warc, rss_run, args.concurrency)
    result["runs"] = tools
    result["machine"] = info
    if not args.keep:
        for path in runs_dir.iterdir():
            if path.is_dir() and path != last:
                shutil.rmtree(path, ignore_errors=True)
    text = report(result, info)
    print(text)
    (out / "results.json").write_text(json.dumps(result, indent=2, default=str, ensure_ascii=False))
    (out / "results.txt").write_text(text + "\n", encoding="utf-8")
    log(f"written {out / 'results.json'} and {out / 'results.txt'}")
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
