"""Sphinx extension: serve MathJax from the book's own files, so math renders offline.

MathJax 2.7 comes from the PyPI package ``jupyter-server-mathjax`` (pinned in requirements.txt); it
is copied into ``_build/html/_static/mathjax`` and Sphinx is pointed at it instead of a CDN.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

MATHJAX_CONFIG = {
    # MyST marks each page tex2jax_ignore and its math spans with the class "math": process those
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True,
                "processClass": "tex2jax_process|mathjax_process|math|output_area",
                "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
    "HTML-CSS": {
        "linebreaks": {"automatic": True}, "availableFonts": [], "webFont": "STIX-Web",
        # MathJax times its web fonts against a blank font at url('about:blank'), which Chromium refuses
        # over file:// (a CORS error on every page with maths); a local() font that is never there
        # serves the same purpose without a request
        "styles": {"@font-face": {"font-family": "MathJax_Blank", "src": 'local("MathJax_Blank_None")'}},
    },
}


def _configure(app, config):  # noqa: ANN001 - Sphinx's event signature
    import jupyter_server_mathjax

    static = Path(jupyter_server_mathjax.__file__).parent / "static"
    if not (static / "MathJax.js").is_file():
        raise RuntimeError(f"MathJax is missing from {static}; reinstall jupyter-server-mathjax")
    holder = Path(tempfile.mkdtemp(prefix="deadpixels-mathjax-"))
    (holder / "mathjax").symlink_to(static, target_is_directory=True)
    config.html_static_path = [*config.html_static_path, str(holder)]
    config.mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"  # the config the package ships
    config.mathjax3_config = None
    config.mathjax2_config = MATHJAX_CONFIG


def setup(app):  # noqa: ANN001, ANN201
    app.connect("config-inited", _configure, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
