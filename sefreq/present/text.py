"""User text made safe to show: in Streamlit markdown, in HTML (plotly labels, tooltips).

Names, ids and SMILES come from people and files. Streamlit renders markdown in titles,
messages and button labels, and plotly renders a subset of HTML in axis labels and
tooltips, so a label such as ``![x](http://host/t.png)`` or ``<a href=...>`` would be
rendered, not shown. These helpers return the text as it was typed, on one line, and
shortened to what a page can show.
"""

from __future__ import annotations

import html
import re

#: Longest label a page shows (an uploaded id may be a 10,000-character string).
LABEL_LIMIT = 80

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# Characters that open inline markdown (emphasis, code, links, images, HTML, entities,
# tables, strikethrough) or Streamlit's own syntax (:red[...], :material/icon:, $LaTeX$).
# CommonMark lets any of them be escaped with a backslash. Plain punctuation (- . , ; ' ( ))
# is left alone, so messages stay readable where a page shows their source.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#!|~$:&])")
# What opens a block only at the start of a line: a list item or an ordered list.
_BLOCK_START = re.compile(r"^([-+]|\d+[.)])")


def one_line(text: object, limit: int | None = LABEL_LIMIT) -> str:
    """``text`` as one line: control characters and line breaks become spaces, runs of
    spaces one, and anything past ``limit`` characters is cut with an ellipsis."""
    value = _CONTROL.sub(" ", str(text if text is not None else ""))
    value = re.sub(r"\s{2,}", " ", value).strip()
    if limit is not None and len(value) > limit:
        value = value[: limit - 1].rstrip() + "…"
    return value


def markdown_safe(text: object, limit: int | None = LABEL_LIMIT) -> str:
    """``text`` to put inside Streamlit markdown: it renders as the characters typed."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text, limit))
    return _BLOCK_START.sub(lambda m: m.group(1)[:-1] + "\\" + m.group(1)[-1], escaped)


def html_safe(text: object, limit: int | None = LABEL_LIMIT) -> str:
    """``text`` to put inside HTML (plotly labels and tooltips): tags show as text."""
    return html.escape(one_line(text, limit), quote=True)
