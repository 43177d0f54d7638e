"""Check a built edition of the book as a reader's browser sees it (headless Chromium, no network).

    python tools/check_pages.py _build/html [--screenshots DIR] [--require-solutions | --forbid-solutions]

For every page of the book (``book/**.html`` plus the search and index pages) it checks:

1. every internal link and image resolves to a file of the build, and every ``#anchor``
   to an ``id`` on the target page; every launch button (Colab, Binder) opens a notebook that
   exists in this repository, one without solutions in the student edition (static checks);
2. the page loads from ``file://`` in headless Chromium and raises no JavaScript error;
3. equations are typeset offline: a page with math ends with MathJax output
   (``mjx-container``) and no raw ``\\(`` or ``\\[`` left in its text, and no ``$...$`` or
   LaTeX command left in the prose outside equations, code and outputs (math that was not
   typeset: e.g. a line starting ``- \\frac`` read as a list item flips every later ``$`` pair);
   no table of the prose is wider than the content column in a 1400-px window;
4. every ``<img>`` has loaded in the browser (``naturalWidth > 0``), the animation frames too;
5. animations: each chapter notebook of this repository (`_toc.yml`) whose outputs hold
   a matplotlib JavaScript animation (``Animation.to_jshtml``, e.g. ``genlib.plotting.animate``)
   must show as many animations on its page, each with the notebook's number of frames, and
   its controls must work in the browser: "First frame", "Next frame", "Last frame" and the
   slider show the right frame, "Play" advances, "Pause" stops, and no JavaScript error;
6. optionally, that the offline full-text search finds a page for a query, and that
   solutions are present (instructor) or absent (student).

Checks 4 and 5 run a small script in the page: it is loaded from a temporary copy, next to
the page (so its relative links resolve), with the script added at the end of ``<body>``.

Screenshots of each page go to ``--screenshots`` for review. Exit status 1 lists every problem.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from instructor_page import _toc_chapters  # noqa: E402  (the one reader of _toc.yml's chapters)

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
]

# The reader's window: pages are loaded and screenshot at this size (a laptop's browser window).
WINDOW = "1400,1000"

# Run in each page once it has loaded: records unloaded images, and drives every matplotlib
# JS animation (the markup and `Animation` object of matplotlib's `to_jshtml`) through its
# controls. The result lands in an attribute of <html> that `--dump-dom` prints.
PROBE_ATTRIBUTE = "data-check-pages"
PROBE_JS = """
<script>
(function () {
  function finish(result) {
    document.documentElement.setAttribute("%(attr)s", JSON.stringify(result));
  }
  function checkAnimation(div, report, done) {
    var img = div.querySelector('img[id^="_anim_img"]');
    var anim = img ? window[img.id.replace("_anim_img", "anim")] : null;
    if (!anim) { report.problems.push("no Animation object: its script did not run"); return done(); }
    report.frames = anim.frames.length;
    // matplotlib preloads every frame into an Image: each must decode to a picture
    var empty = anim.frames.filter(function (f) { return !f || !f.src || !f.complete || f.naturalWidth === 0; }).length;
    if (empty) report.problems.push(empty + " of " + anim.frames.length + " frame(s) did not load");
    var slider = div.querySelector("input.anim-slider");
    function button(title) { return div.querySelector('button[title="' + title + '"]'); }
    var titles = ["First frame", "Previous frame", "Next frame", "Last frame", "Play", "Pause"];
    var absent = titles.filter(function (t) { return !button(t); });
    if (absent.length || !slider) {
      report.problems.push("controls missing: " + absent.concat(slider ? [] : ["slider"]).join(", "));
      return done();
    }
    var last = anim.frames.length - 1;
    function shows(frame, what) {
      if (anim.current_frame !== frame || img.src !== anim.frames[frame].src)
        report.problems.push(what + " shows frame " + anim.current_frame + ", not " + frame);
    }
    button("Pause").click();
    button("First frame").click(); shows(0, '"First frame"');
    if (last >= 1) { button("Next frame").click(); shows(1, '"Next frame"'); }
    button("Last frame").click(); shows(last, '"Last frame"');
    if (last >= 1) { button("Previous frame").click(); shows(last - 1, '"Previous frame"'); }
    slider.value = String(last);
    slider.dispatchEvent(new Event("input"));
    shows(last, "the slider");
    button("First frame").click();
    button("Play").click();
    setTimeout(function () {
      if (last >= 1 && anim.current_frame === 0) report.problems.push('"Play" did not advance the frames');
      if (img.src !== anim.frames[anim.current_frame].src) report.problems.push("the image does not follow the frames");
      button("Pause").click();
      var at = anim.current_frame;
      setTimeout(function () {
        if (anim.current_frame !== at) report.problems.push('"Pause" did not stop the animation');
        done();
      }, 3 * anim.interval);
    }, 3.5 * anim.interval);
  }
  // Math that MathJax did not typeset: "$...$" or a LaTeX command left in the text of the page,
  // outside code, equations and outputs (e.g. a line starting "- \\\\frac" parsed as a list item
  // flips every later pair of dollars).
  function rawMath() {
    var column = document.querySelector(".bd-article") || document.body;
    var walker = document.createTreeWalker(column, NodeFilter.SHOW_TEXT);
    var skip = "mjx-container, pre, code, script, style, .highlight, .cell_output, .output, .MathJax, math";
    var pattern = /\\$[^$\\s][^$]*\\$|\\\\(frac|mathbf|mathcal|sum|prod|log|mu|sigma|Sigma|theta|alpha|beta|lambda|left|right|int|partial|hat|tilde|bar|cdot|le|ge|approx|mid|top|boldsymbol|operatorname|text)\\b/;
    var found = [];
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement && node.parentElement.closest(skip)) continue;
      var m = pattern.exec(node.textContent);
      if (m) found.push(node.textContent.slice(Math.max(0, m.index - 40), m.index + 60).replace(/\\s+/g, " "));
    }
    return found.slice(0, 5);
  }
  // Tables wider than the content column are cut off (or scroll) in a reader's window.
  function wideTables() {
    var column = document.querySelector(".bd-article") || document.body;
    var width = column.clientWidth, found = [];
    Array.prototype.forEach.call(column.querySelectorAll("table"), function (table) {
      if (table.closest(".cell_output, .output") && !table.closest(".dataframe, .output_html")) return;
      if (table.scrollWidth > width + 1) {
        var head = (table.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 60);
        found.push(table.scrollWidth + " px in a " + width + " px column: " + head);
      }
    });
    // a table printed as text (aligned columns in an output) that does not fit scrolls sideways
    Array.prototype.forEach.call(column.querySelectorAll(".cell_output pre, .output pre"), function (pre) {
      var lines = (pre.textContent || "").split("\\n");
      var rows = lines.filter(function (l) { return /\\S {2,}\\S.* {2,}\\S/.test(l) && !/^claim holds:/.test(l); });
      if (rows.length < 3 || pre.scrollWidth <= pre.clientWidth + 1) return;
      // monospace: the widest table row's width, from the widest line's (other long lines, such
      // as claims, may be what scrolls)
      var longest = Math.max.apply(null, lines.map(function (l) { return l.length; }));
      var widest = Math.max.apply(null, rows.map(function (l) { return l.length; }));
      var width = Math.round(pre.scrollWidth * widest / longest);
      if (width > pre.clientWidth + 1) {
        found.push("a text table " + width + " px wide in a " + pre.clientWidth + " px output: " + rows[0].trim().slice(0, 60));
      }
    });
    return found;
  }
  function run() {
    var result = {images: [], animations: [], rawMath: rawMath(), wideTables: wideTables()};
    Array.prototype.forEach.call(document.querySelectorAll("img"), function (img) {
      if (!img.complete || img.naturalWidth === 0) {
        var src = img.getAttribute("src");
        result.images.push(src ? src.slice(0, 120) : "(no src) " + (img.id || img.alt || ""));
      }
    });
    var divs = document.querySelectorAll("div.animation");
    var pending = divs.length;
    if (!pending) return finish(result);
    Array.prototype.forEach.call(divs, function (div) {
      var report = {frames: 0, problems: []};
      result.animations.push(report);
      try {
        checkAnimation(div, report, function () { if (--pending === 0) finish(result); });
      } catch (err) {
        report.problems.push("its controls raised " + err);
        if (--pending === 0) finish(result);
      }
    });
  }
  window.addEventListener("load", function () {
    Array.prototype.forEach.call(document.querySelectorAll('img[loading="lazy"]'), function (img) { img.loading = "eager"; });
    setTimeout(run, 1000);
  });
})();
</script>
""" % {"attr": PROBE_ATTRIBUTE}


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


# A launch button's link names a notebook of the repository: Colab's .../blob/<branch>/<path>,
# Binder's and JupyterHub's urlpath=tree/<path> (sphinx-book-theme's launch.py).
LAUNCH_PATH = re.compile(r"^https://colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(?P<colab>[^?#]+\.ipynb)"
                         r"|[?&]urlpath=(?:lab/)?tree/(?P<binder>[^&#]+\.ipynb)")


def check_launch_links(root: Path, pages: list[Path], forbid_solutions: bool) -> list[str]:
    """Each launch link opens a notebook that exists in this repository; without solutions if asked."""
    problems = []
    for page in pages:
        for tag, url in _parse(page).refs:
            match = LAUNCH_PATH.search(html.unescape(url)) if tag == "a" else None
            if not match:
                continue
            target = ROOT / unquote(match.group("colab") or match.group("binder"))
            rel = page.relative_to(root)
            if not target.is_file():
                problems.append(f"{rel}: launch link {url} -> {target.relative_to(ROOT)} is not in the repository")
            elif forbid_solutions and "{solution" in target.read_text(errors="ignore"):
                problems.append(f"{rel}: launch link {url} opens a notebook with solutions")
    return problems


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def expected_animations() -> dict[str, list[int]]:
    """Page (``book/.../chapter.html``) -> frame counts of the JS animations in its notebook's outputs.

    Read from the committed outputs of this repository's notebook chapters (`_toc.yml`): an
    output of matplotlib's ``to_jshtml`` creates ``new Animation(frames, ...)`` after filling
    ``var frames = new Array(N)``.
    """
    expected = {}
    for chapter in _toc_chapters():
        frames = []
        for cell in json.loads((ROOT / f"{chapter}.ipynb").read_text()).get("cells", []):
            for output in cell.get("outputs", []):
                markup = output.get("data", {}).get("text/html", "")
                markup = "".join(markup) if isinstance(markup, list) else markup
                if "new Animation(" in markup:
                    frames += [int(n) for n in re.findall(r"var frames = new Array\((\d+)\)", markup)]
        if frames:
            expected[f"{chapter}.html"] = frames
    return expected


def _probe_copy(page: Path) -> Path:
    """A copy of ``page`` next to it with PROBE_JS at the end of its body."""
    text = page.read_text(errors="ignore")
    index = text.rfind("</body>")
    text = text[:index] + PROBE_JS + text[index:] if index >= 0 else text + PROBE_JS
    fd, name = tempfile.mkstemp(prefix=".check-pages-", suffix=".html", dir=page.parent)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    return Path(name)


def check_probe(rel: Path, dom: str, animations: list[int] | None) -> list[str]:
    """Problems with the images and animations that PROBE_JS found in a page's DOM."""
    match = re.search(PROBE_ATTRIBUTE + r'="([^"]*)"', dom)
    if not match:
        return [f"{rel}: the page's check script did not finish (did the load event fire?)"]
    result = json.loads(html.unescape(match.group(1)))
    problems = [f"{rel}: image did not load: {src}" for src in result["images"]]
    problems += [f"{rel}: math outside an equation (not typeset): ...{text}..." for text in result.get("rawMath", [])]
    problems += [f"{rel}: table wider than the content column: {text}" for text in result.get("wideTables", [])]
    found = result["animations"]
    expected = animations or []
    if len(found) != len(expected):
        problems.append(f"{rel}: {len(found)} animation(s) on the page, but its notebook's outputs hold {len(expected)}")
    for k, report in enumerate(found):
        problems += [f"{rel}: animation {k + 1}: {p}" for p in report["problems"]]
        if k < len(expected) and report["frames"] and report["frames"] != expected[k]:
            problems.append(f"{rel}: animation {k + 1} has {report['frames']} frames, its notebook output {expected[k]}")
    return problems


def check_in_browser(root: Path, pages: list[Path], screenshots: Path | None, budget_ms: int,
                     animations: dict[str, list[int]] | None = None) -> list[str]:
    exe = _chromium()
    if exe is None:
        return ["chromium is not installed (apt-get install -y chromium)"]
    animations = animations or {}
    problems = []
    for page in pages:
        rel = page.relative_to(root)
        has_math = _parse(page).has_math
        probe = _probe_copy(page)
        try:
            with tempfile.TemporaryDirectory() as profile:
                cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                       f"--window-size={WINDOW}", "--dump-dom", probe.resolve().as_uri()]
                try:
                    run = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
                except subprocess.TimeoutExpired:
                    problems.append(f"{rel}: the page did not finish loading in 90 s")
                    continue
        finally:
            probe.unlink()
        dom = run.stdout
        if run.returncode != 0 or "</html>" not in dom:
            problems.append(f"{rel}: chromium exited {run.returncode} without a page")
            continue
        errors = [line for line in run.stderr.splitlines() if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)]
        problems += [f"{rel}: JavaScript error: {line.strip()[:300]}" for line in errors]
        problems += check_probe(rel, dom, animations.get(rel.as_posix()))
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
    problems += check_launch_links(root, pages, forbid_solutions=args.forbid_solutions)
    animations = expected_animations()
    missing = [page for page in animations if not (root / page).exists()]
    problems += [f"{page}: missing, but its notebook has an animation" for page in missing]
    problems += check_in_browser(root, pages, args.screenshots, args.budget_ms, animations)
    problems += check_search(root, args.search, args.budget_ms)
    if args.require_solutions or args.forbid_solutions:
        problems += check_solutions(root, pages, expect=args.require_solutions)
    for p in problems:
        print("PROBLEM", p)
    n_anim = sum(len(v) for k, v in animations.items() if k not in missing)
    print(f"checked {len(pages)} page(s) under {root} ({n_anim} animation(s) driven): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
