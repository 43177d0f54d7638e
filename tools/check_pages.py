"""Check a built edition of the book as a reader's browser sees it (headless Chromium, no network).

    python tools/check_pages.py _build/html [--screenshots DIR] [--require-solutions | --forbid-solutions]

For every page of the book (``book/**.html`` plus the search and index pages) it checks:

1. every internal link and image resolves to a file of the build, and every ``#anchor``
   to an ``id`` on the target page (static check, no browser needed);
2. the page loads from ``file://`` in headless Chromium and raises no JavaScript error;
3. equations are typeset offline: a page with math ends with MathJax output
   (``mjx-container``) and no raw ``\\(`` or ``\\[`` left in its text;
4. optionally, that the offline full-text search finds a page for a query, and that
   solutions are present (instructor) or absent (student).

Screenshots of each page go to ``--screenshots`` for review. Exit status 1 lists every problem.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str]] = []  # (tag, url)
        self.has_math = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        if "math" in (attrs.get("class") or "").split():
            self.has_math = True
        for key in ("href", "src"):
            if key in attrs and attrs[key] and tag in ("a", "img", "script", "link", "iframe", "source"):
                self.refs.append((tag, attrs[key]))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(errors="ignore"))
    return parser


def pages_of(root: Path) -> list[Path]:
    pages = sorted((root / "book").rglob("*.html")) if (root / "book").is_dir() else []
    return pages + [p for p in (root / "search.html", root / "genindex.html") if p.exists()]


def check_links(root: Path, pages: list[Path]) -> list[str]:
    problems, cache = [], {}

    def ids_of(target: Path) -> set[str]:
        if target not in cache:
            cache[target] = _parse(target).ids
        return cache[target]

    for page in pages:
        for tag, url in _parse(page).refs:
            parsed = urlparse(url)
            if parsed.scheme in ("http", "https", "mailto", "data", "javascript") or url.startswith("//"):
                continue
            target = page if not parsed.path else (page.parent / unquote(parsed.path)).resolve()
            if parsed.path and not target.exists():
                problems.append(f"{page.relative_to(root)}: <{tag}> {url} -> missing file")
                continue
            if parsed.fragment and target.suffix == ".html":
                if unquote(parsed.fragment) not in ids_of(target):
                    problems.append(f"{page.relative_to(root)}: <{tag}> {url} -> no anchor #{parsed.fragment}")
    return problems


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def check_in_browser(root: Path, pages: list[Path], screenshots: Path | None, budget_ms: int) -> list[str]:
    exe = _chromium()
    if exe is None:
        return ["chromium is not installed (apt-get install -y chromium)"]
    problems = []
    for page in pages:
        rel = page.relative_to(root)
        has_math = _parse(page).has_math
        with tempfile.TemporaryDirectory() as profile:
            cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                   "--dump-dom", page.resolve().as_uri()]
            try:
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
            except subprocess.TimeoutExpired:
                problems.append(f"{rel}: the page did not finish loading in 90 s")
                continue
        dom = run.stdout
        if run.returncode != 0 or "</html>" not in dom:
            problems.append(f"{rel}: chromium exited {run.returncode} without a page")
            continue
        errors = [line for line in run.stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
        problems += [f"{rel}: JavaScript error: {line.strip()[:300]}" for line in errors]
        if has_math:
            if "mjx-container" not in dom:
                problems.append(f"{rel}: has equations but MathJax typeset none (offline MathJax missing?)")
            body = re.sub(r"<script.*?</script>|<style.*?</style>", "", dom, flags=re.S)
            text = html.unescape(re.sub(r"<[^>]+>", " ", body))
            if re.search(r"\\\(|\\\[", text):
                problems.append(f"{rel}: raw \\( or \\[ left in the rendered text")
        if screenshots is not None:
            shot = screenshots / (str(rel.with_suffix("")).replace(os.sep, "__") + ".png")
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                                "--window-size=1280,1600", f"--screenshot={shot}", page.resolve().as_uri()],
                               capture_output=True, timeout=90)
            if not shot.exists():
                problems.append(f"{rel}: no screenshot was written")
    return problems


def check_search(root: Path, queries: list[str], budget_ms: int) -> list[str]:
    """Run the book's own full-text search offline; each ``QUERY=PAGE`` must list PAGE."""
    exe = _chromium()
    if exe is None:
        return ["chromium is not installed (apt-get install -y chromium)"]
    problems = []
    for item in queries:
        query, _, expected = item.partition("=")
        url = (root / "search.html").resolve().as_uri() + "?q=" + query.replace(" ", "+")
        with tempfile.TemporaryDirectory() as profile:
            run = subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                                  f"--virtual-time-budget={budget_ms}", "--dump-dom", url],
                                 capture_output=True, text=True, timeout=90)
        results = re.search(r'<ul class="search">(.*?)</ul>', run.stdout, flags=re.S)
        if not results or expected not in results.group(1):
            problems.append(f"search for {query!r} does not list {expected}")
    return problems


def check_solutions(root: Path, pages: list[Path], expect: bool) -> list[str]:
    with_solutions = [p for p in pages if "solution-content" in p.read_text(errors="ignore")]
    if expect and not with_solutions:
        return ["no page shows a solution, but this edition must (instructor)"]
    if not expect and with_solutions:
        return [f"{p.relative_to(root)}: shows a solution in the student edition" for p in with_solutions]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html_dir", type=Path)
    parser.add_argument("--screenshots", type=Path, default=None)
    parser.add_argument("--budget-ms", type=int, default=15000, help="virtual time each page may run its scripts")
    parser.add_argument("--search", action="append", default=[], metavar="QUERY=PAGE",
                        help="the offline search for QUERY must list PAGE (repeatable)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--require-solutions", action="store_true")
    group.add_argument("--forbid-solutions", action="store_true")
    args = parser.parse_args()

    root = args.html_dir.resolve()
    pages = pages_of(root)
    if not pages:
        print(f"no pages under {root}/book", file=sys.stderr)
        return 1
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    problems = check_links(root, pages)
    problems += check_in_browser(root, pages, args.screenshots, args.budget_ms)
    problems += check_search(root, args.search, args.budget_ms)
    if args.require_solutions or args.forbid_solutions:
        problems += check_solutions(root, pages, expect=args.require_solutions)
    for p in problems:
        print("PROBLEM", p)
    print(f"checked {len(pages)} page(s) under {root}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
