"""Build the student or the instructor edition of the book from the one `_config.yml`.

    python tools/edition.py student      # -> _build/student/html, no solutions, no sources
    python tools/edition.py instructor   # -> _build/html, the same as `jupyter-book build .`

The student edition is `_config.yml` with these overrides, so a setting is edited once:
solutions are dropped at parse time (sphinx-exercise's ``hide_solutions``: they reach no
page, no search index), page sources are not copied (`_sources` would hold the notebooks
with their solutions), the download button is removed (it would serve the full notebooks),
and the title says which edition it is. The launch buttons keep Colab only, pointed at the
solution-free copies in `student/` (written by `tools/student_notebooks.py`, which must be
current: the build refuses to start otherwise); Binder, which would clone the repository
with its solutions next to the copy, is dropped. After building, the student build is
scanned and the command fails if any trace of a solution is left.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import student_notebooks  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# Markers that only a rendered solution leaves in HTML, JS or text files.
SOLUTION_MARKERS = ("solution-content", "Solution to", 'class="solution')


def student_config(config: dict) -> dict:
    """Return the student edition's configuration derived from the instructor's."""
    cfg = copy.deepcopy(config)
    cfg["title"] = f"{config['title']} (student edition)"
    # Colab opens `<repository>/blob/<branch>/<path_to_book>/<page>.ipynb` (sphinx-book-theme's
    # launch.py); the copy of <page> without solutions is `student/<page>.ipynb` next to this
    # book's `_config.yml`, so path_to_book gains a last folder, student.
    colab = (config.get("launch_buttons") or {}).get("colab_url")
    cfg.pop("launch_buttons", None)
    if colab:
        cfg["launch_buttons"] = {"colab_url": colab}
        repository = cfg.setdefault("repository", {})
        book_path = str(repository.get("path_to_book", "")).strip("/")
        student = student_notebooks.STUDENT_DIR.relative_to(ROOT).as_posix()
        repository["path_to_book"] = f"{book_path}/{student}" if book_path else student
    sphinx = cfg.setdefault("sphinx", {})
    # This config is written under _build/, and Jupyter Book resolves local extension folders
    # relative to the config file: point them back at the repository.
    for name, folder in list(sphinx.get("local_extensions", {}).items()):
        sphinx["local_extensions"][name] = str((ROOT / folder).resolve())
    sphinx["recursive_update"] = True
    conf = sphinx.setdefault("config", {})
    conf["hide_solutions"] = True
    conf["html_copy_source"] = False
    conf["html_show_sourcelink"] = False
    conf.setdefault("html_theme_options", {})["use_download_button"] = False
    return cfg


def find_solution_traces(html_dir: Path) -> list[str]:
    """Files under ``html_dir`` that still carry a solution marker (or notebook sources)."""
    hits = []
    for path in sorted(html_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(html_dir)
        if path.suffix == ".ipynb" or rel.parts[0] == "_sources":
            hits.append(f"{rel}: page source present")
            continue
        if path.suffix not in {".html", ".js", ".txt", ".json"} or rel.parts[0] == "_static":
            continue
        text = path.read_text(errors="ignore")
        for marker in SOLUTION_MARKERS:
            if marker in text:
                hits.append(f"{rel}: contains {marker!r}")
                break
    return hits


def build(edition: str, extra_args: list[str]) -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    # The jupyter-book next to this Python (a venv's), else the one on PATH.
    exe = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", "-W", "-n", "--keep-going", str(ROOT)]
    if edition == "student":
        stale = student_notebooks.check()
        if stale:
            print("the Colab copies in student/ are not current:\n  " + "\n  ".join(stale), file=sys.stderr)
            return 1
        out = ROOT / "_build" / "student"
        out.mkdir(parents=True, exist_ok=True)
        cfg_path = ROOT / "_build" / "_config_student.yml"
        cfg_path.write_text(yaml.safe_dump(student_config(config), sort_keys=False))
        cmd += ["--config", str(cfg_path), "--path-output", str(out)]
    rc = subprocess.call(cmd + extra_args)
    if rc != 0 or edition != "student":
        return rc
    hits = find_solution_traces(ROOT / "_build" / "student" / "_build" / "html")
    if hits:
        print("student edition leaks solutions:\n  " + "\n  ".join(hits), file=sys.stderr)
        return 1
    print("student edition: no solution or page source found in the build.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("edition", choices=["student", "instructor"])
    args, extra = parser.parse_known_args()
    return build(args.edition, extra)


if __name__ == "__main__":
    sys.exit(main())
