"""A local Sphinx extension: drop repeated <script> entries from each page.

sphinx-thebe 0.3.1 registers its inline configuration script (``const THEBE_JS_URL = ...``)
once per ``env-before-read-docs`` event, and Jupyter Book fires that event more than once,
so pages declared the constant twice and the browser raised
``SyntaxError: Identifier 'THEBE_JS_URL' has already been declared``. Keeping the first
of identical scripts fixes it without touching the installed package.
"""

from __future__ import annotations


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        attributes = getattr(js, "attributes", {}) or {}
        # the same script registered at two priorities is still the same script
        key = (getattr(js, "filename", None) or "",  # None and "" both mean an inline script
               tuple(sorted((k, str(v)) for k, v in attributes.items() if k != "priority")))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
