"""Link each glossary term to `book/glossary.md` at its first use in every chapter.

    python tools/glossary_links.py           # add the missing links to the chapters' prose
    python tools/glossary_links.py --check   # exit 1 and list first uses that are not links

A glossary entry is a group of term lines (English, Korean, an abbreviation) followed by an
indented definition. In every chapter of `_toc.yml`, the first use of an entry in the prose
(its English term, singular or plural, any case; or its abbreviation, exact case) becomes
``{term}`first use <English term>` ``. A chapter that already links the entry is left alone, so
an author may choose a later occurrence by linking it by hand. Only prose is touched: titles,
headings, maths, code, links, roles and directive lines are skipped, and outputs are not
affected (nbval compares outputs only). `tests/test_book.py` runs `--check`.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "book" / "glossary.md"

# Regions of a markdown line that are not plain prose: maths, code/roles, links, HTML tags.
_MASK = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|\{[a-z:-]+\}`[^`]*`|`[^`]*`|!?\[[^\]]*\]\([^)]*\)|<[^>]+>")
_ROLE = re.compile(r"\{term\}`(?:[^`<]*<)?([^`>]+)>?`")


def glossary_entries(path: Path = GLOSSARY) -> list[tuple[str, list[str]]]:
    """``(English term, [abbreviations])`` of every entry of the ``{glossary}`` block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("```{glossary}"))
    entries, group = [], []
    for line in lines[start + 1:]:
        if line.startswith("```"):
            break
        if line and not line.startswith(" "):
            group.append(line.strip())
        elif group:
            english, rest = group[0], group[1:]
            entries.append((english, [t for t in rest if t.isascii() and t.upper() == t and len(t) <= 6]))
            group = []
    return entries


def _pattern(english: str, abbreviations: list[str]) -> re.Pattern:
    # a hyphen and an en dash are the same in prose ("forward-backward", "Forward–backward")
    words = re.escape(english).replace("–", "[-–]").replace(r"\-", "[-–]")
    alternatives = [f"(?i:{words}(?:s|es)?)"] + [re.escape(a) for a in abbreviations]
    return re.compile(r"(?<![\w\-–{<`])(?:" + "|".join(alternatives) + r")(?![\w\-–])")


def _prose_lines(source: str):
    """Indices of the lines of a markdown cell that hold prose.

    Skipped: headings, directive options (``:label:``), target labels (``(x)=``), tables'
    rule lines, display maths (``$$ ... $$``) and code fences. The bodies of directives
    (exercises, solutions, notes) are prose.
    """
    stack: list[str] = []  # open fences: "code" or "directive"
    in_math = False
    for i, line in enumerate(source.split("\n")):
        stripped = line.strip()
        fence = re.match(r"(`{3,}|~{3,})(.*)", stripped)
        if fence:
            rest = fence.group(2).strip()
            if rest.startswith("{"):
                stack.append("directive")
            elif rest:
                stack.append("code")
            elif stack:
                stack.pop()
            continue
        if stripped.startswith("$$"):
            if not (len(stripped) > 4 and stripped.endswith("$$")):
                in_math = not in_math
            continue
        if in_math:
            if stripped.endswith("$$"):
                in_math = False
            continue
        if "code" in stack or not stripped or stripped.startswith(("#", ":", "|-", "| -", "(")):
            continue
        yield i


def _link_first_uses(cells: list[str], entries, apply: bool) -> tuple[list[str], list[str]]:
    """Return the cells with first uses linked, and a description of each missing link."""
    linked = {m.lower() for src in cells for m in _ROLE.findall(src)}
    missing = []
    for english, abbreviations in entries:
        if english.lower() in linked:
            continue
        pattern = _pattern(english, abbreviations)
        done = False
        for c, src in enumerate(cells):
            lines = src.split("\n")
            for i in _prose_lines(src):
                line = lines[i]
                masked = _MASK.sub(lambda m: "\0" * len(m.group()), line)
                match = pattern.search(masked)
                if match is None:
                    continue
                text = line[match.start():match.end()]
                missing.append(f"{english!r} first used as {text!r}: {line.strip()[:80]}")
                if apply:
                    lines[i] = f"{line[:match.start()]}{{term}}`{text} <{english}>`{line[match.end():]}"
                    cells[c] = "\n".join(lines)
                done = True
                break
            if done:
                break
    return cells, missing


def chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    paths = [ROOT / f"{ch['file']}.ipynb" for part in toc["parts"] for ch in part.get("chapters", [])]
    return [p for p in paths if p.exists()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="report missing links and exit 1, change nothing")
    args = parser.parse_args(argv)
    entries = glossary_entries()
    problems = 0
    for path in chapters():
        nb = nbformat.read(path, as_version=4)
        md = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"]
        # the title cell's first line is the chapter title: keep it plain
        sources = [nb.cells[i].source for i in md]
        new, missing = _link_first_uses(list(sources), entries, apply=not args.check)
        rel = path.relative_to(ROOT)
        for item in missing:
            print(f"{rel}: {item}")
        problems += len(missing)
        if not args.check and new != sources:
            for i, src in zip(md, new):
                nb.cells[i].source = src
            nbformat.write(nb, path)
    if args.check and problems:
        print(f"{problems} first use(s) not linked to the glossary; run python tools/glossary_links.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
