"""Write `book/instructors.md`, the instructors' page, from the chapters themselves.

    python tools/instructor_page.py                       # regenerate the committed page
    python tools/instructor_page.py --times _build/reports/notebook_times.json
                                                          # add the measured execution times (CI)

For each chapter listed in `_toc.yml` it reads the notebook: the title, the learning
objectives (the list after a bold "Learning objectives" or
"You will learn" line), the exercises with their difficulty
(the "(easy)"/"(medium)"/"(hard)" at the start of each exercise title), the self-checking
exercises (calls of `genlib.exercises.check_*`), and an estimated reading time. Prerequisites
come from the course outline below. `tests/test_book.py` checks that the committed page is
current, so the page cannot drift from the chapters.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "book" / "instructors.md"

#: Prerequisites of each chapter (paths below book/ without suffix), by the course outline.
PREREQUISITES = {
    "01_overview/01_timeline": [],
    "01_overview/02_discriminative_vs_generative": ["probability: Bayes' rule, the Gaussian density"],
    "01_overview/03_taxonomy": ["01_overview/01_timeline", "01_overview/02_discriminative_vs_generative"],
    "02_ml/01_gmm": ["01_overview/02_discriminative_vs_generative", "maximum likelihood"],
    "02_ml/02_hmm": ["02_ml/01_gmm", "dynamic programming"],
    "02_ml/03_lda": ["02_ml/01_gmm", "the Dirichlet and categorical distributions"],
    "03_dl/01_boltzmann": ["01_overview/03_taxonomy", "Markov chain Monte Carlo (Gibbs sampling, see 02_ml/03_lda)"],
    "03_dl/02_rbm": ["03_dl/01_boltzmann"],
    "03_dl/03_dbn": ["03_dl/02_rbm"],
    "03_dl/04_dbm": ["03_dl/03_dbn"],
    "03_dl/05_autoencoder": ["neural networks and PyTorch basics"],
    "03_dl/06_vae": ["03_dl/05_autoencoder", "02_ml/01_gmm", "the KL divergence"],
    "03_dl/07_gan": ["neural networks and PyTorch basics", "01_overview/03_taxonomy"],
    "03_dl/08_dcgan": ["03_dl/07_gan", "convolutional networks"],
    "03_dl/09_cgan": ["03_dl/08_dcgan"],
    "04_analysis/01_explicit_implicit": ["01_overview/03_taxonomy", "02_ml/01_gmm", "03_dl/02_rbm", "03_dl/06_vae",
                                         "03_dl/07_gan"],
    "04_analysis/02_analysis_table": ["every chapter of Parts 2 and 3"],
    "04_analysis/03_samples_mislead": ["02_ml/01_gmm", "03_dl/07_gan"],
    "04_analysis/04_comparison": ["04_analysis/01_explicit_implicit", "04_analysis/03_samples_mislead"],
    "04_analysis/05_conclusion": ["03_dl/06_vae", "03_dl/07_gan"],
}
WORDS_PER_MINUTE = 150  # technical prose with equations reads slower than the usual 200-250
MINUTES_PER_EXERCISE = {"easy": 10, "medium": 20, "hard": 40}


def _toc_chapters() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = []
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
    return [f for f in files if (ROOT / f"{f}.ipynb").exists()]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def chapter_info(path: Path) -> dict:
    nb = json.loads(path.read_text())
    md = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join(_source(c) for c in nb["cells"] if c["cell_type"] == "code")
    title = re.search(r"^# (.+)$", md, flags=re.M).group(1).strip()
    objectives = []
    # the list after a bold "Learning objectives" (or "You will learn ...") line
    block = re.search(r"\*\*(?:Learning objectives|You will learn)[^*]*\*\*[^\n]*\n+((?:[ \t]*[-*] .*\n?(?:[ \t]+\S.*\n?)*)+)", md)
    if block:
        items = re.split(r"\n[ \t]*[-*] ", "\n" + block.group(1).strip())
        objectives = [" ".join(i.split()) for i in items if i.strip()]
    exercises = []
    for title_text in re.findall(r"```\{exercise\}[ \t]*(.*)", md):
        m = re.match(r"\((easy|medium|hard)\)\s*(.*)", title_text.strip())
        level, name = (m.group(1), m.group(2)) if m else ("unrated", title_text.strip())
        exercises.append({"level": level, "title": name})
    checks = sorted(set(re.findall(r"\b(check_[a-z_]+)\(", code)))
    words = len(re.sub(r"```.*?```|\$\$.*?\$\$", " ", md, flags=re.S).split())
    reading = math.ceil(words / WORDS_PER_MINUTE / 5) * 5
    exercise_minutes = sum(MINUTES_PER_EXERCISE.get(e["level"], 20) for e in exercises)
    return {"title": title, "objectives": objectives, "exercises": exercises, "checks": checks,
            "reading_minutes": reading, "exercise_minutes": exercise_minutes}


def _link(chapter: str, titles: dict) -> str:
    """A link to a chapter that exists (doc paths are relative to book/, where this page lives)."""
    return f"{{doc}}`{titles[chapter]} <{chapter}>`" if chapter in titles else chapter


def render(times: dict | None = None) -> str:
    chapters = [c for c in _toc_chapters() if c.startswith("book/")]
    infos = {c[len("book/"):]: chapter_info(ROOT / f"{c}.ipynb") for c in chapters}
    titles = {k: v["title"] for k, v in infos.items()}
    lines = [
        "# For instructors",
        "",
        "This page is generated from the chapters by `tools/instructor_page.py`; do not edit it by",
        "hand. Times are estimates: reading at about 150 words a minute, and 10, 20 or 40 minutes for",
        "an easy, medium or hard exercise.",
        "",
        "## Building the two editions",
        "",
        "Both editions are built from the same sources with warnings as errors:",
        "",
        "- instructor edition, with solutions: `jupyter-book build -W -n --keep-going .` (output in `_build/html`);",
        "- student edition, without solutions in pages, page sources, downloads or the search index:",
        "  `python tools/edition.py student` (output in `_build/student/_build/html`); the command fails if",
        "  any trace of a solution remains.",
        "",
        "Exercises marked *self-checking* ask students to write a function and call",
        "`genlib.exercises.check_...(their_function)`, which runs hidden tests against a reference and",
        "prints a hint for each failed case, never the answer.",
        "",
        "## Chapters at a glance",
        "",
        "| chapter | reading (min) | exercises (min) | exercises | self-checking |" + (" execution (s) |" if times else ""),
        "|---|---|---|---|---|" + ("---|" if times else ""),
    ]
    for key, info in infos.items():
        levels = ", ".join(f"{sum(e['level'] == lv for e in info['exercises'])} {lv}"
                           for lv in ("easy", "medium", "hard") if any(e["level"] == lv for e in info["exercises"]))
        row = (f"| {_link(key, titles)} | {info['reading_minutes']} | {info['exercise_minutes']} | {levels} | "
               f"{', '.join(f'`{c}`' for c in info['checks']) or '-'} |")
        if times:
            t = times.get(f"book/{key}.ipynb")
            row += f" {t:.0f} |" if t is not None else " - |"
        lines.append(row)
    if times:
        lines += ["", f"Execution times were measured by the nbval run of this build ({times.get('_machine', '')}, "
                      f"{times.get('_workers', 1)} chapters at a time). Each chapter's budget is 90 s on 2 CPU cores; "
                      f"the whole book took {times.get('_wall', 0):.0f} s of wall time (budget 600 s), and the "
                      f"chapters' times sum to {times.get('_total', 0):.0f} s."]
    else:
        lines += ["", "CI adds each chapter's execution time, measured by its nbval run, to this table in the",
                  "built book (`_build/reports/notebook_times.json`); each chapter's budget is 90 s on 2 CPU cores."]
    for key, info in infos.items():
        lines += ["", f"## {info['title']}", ""]
        prereq = [_link(p, titles) for p in PREREQUISITES.get(key, [])]
        lines.append(f"**Prerequisites:** {'; '.join(prereq) if prereq else 'none'}.")
        lines.append("")
        if info["objectives"]:
            lines.append("**Learning objectives:**")
            lines.append("")
            lines += [f"- {o}" for o in info["objectives"]]
            lines.append("")
        lines.append("**Exercises:**")
        lines.append("")
        lines += [f"{i}. ({e['level']}) {e['title']}" for i, e in enumerate(info["exercises"], 1)]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=Path, default=None, help="notebook_times.json written by the pytest run")
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed page is not current")
    args = parser.parse_args()
    times = None
    if args.times:
        report = json.loads(args.times.read_text())
        times = {**report["chapters"], "_machine": report.get("machine", ""), "_workers": report.get("workers", 1),
                 "_wall": report.get("book_wall_seconds", 0.0), "_total": report.get("total_seconds", 0.0)}
    text = render(times)
    if args.check:
        if PAGE.read_text() != text:
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python tools/instructor_page.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(text)
    print(f"wrote {PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
