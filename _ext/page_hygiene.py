"""Sphinx extension: pages without console errors.

- jupyter-book adds sphinx-thebe's inline configuration script twice, and the second declaration of
  ``const THEBE_JS_URL`` is a JavaScript error on every page: identical scripts are kept once.
- With no ``default_mode`` the pydata theme writes an empty mode and its script reports "invalid
  theme mode" on every page: it is set to "auto" (follow the reader's system setting), which is
  what the theme then falls back to anyway."""

from __future__ import annotations


def _key(script: object) -> tuple:
    if not hasattr(script, "filename"):  # a plain string (older Sphinx): itself
        return ("path", str(script))
    attributes = getattr(script, "attributes", {}) or {}
    # an inline script's filename is None or "" depending on who added it; the priority is not compared
    return (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))


def tidy_page(app, pagename, templatename, context, doctree):  # noqa: ANN001, ANN201, ARG001
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if scripts:
        seen, kept = set(), []
        for script in scripts:
            key = _key(script)
            if key not in seen:
                seen.add(key)
                kept.append(script)
        context["script_files"] = kept


def setup(app):  # noqa: ANN001, ANN201
    app.connect("html-page-context", tidy_page, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
