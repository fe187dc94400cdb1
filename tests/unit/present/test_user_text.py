"""User text shown safely: markdown (Streamlit), HTML (plotly, the 3D viewer), the PDF.

Each helper gets input crafted to break it, and the test checks what a renderer makes of
it: markdown-it (CommonMark, what Streamlit's renderer follows) for markdown, the HTML
parser for the viewer, pdftotext for the PDF.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from sefreq.chem.drawing import molblock_3d, viewer_html
from sefreq.present.compare import comparison_labels
from sefreq.present.molecules import Molecule
from sefreq.present.text import LABEL_LIMIT, html_safe, markdown_safe, one_line

CRAFTED = [
    "![pixel](http://tracker.example/p.png)",
    "[click me](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "**bold** _it_ `code` ~~gone~~",
    "# heading",
    "- item",
    "+ item",
    "1. item",
    "2) item",
    "---",
    "***",
    "<!-- comment -->",
    "> quote",
    "| a | b |",
    ":red[coloured] :material/home: :smile:",
    "$x^2$ and $$y$$",
    "back\\slash\\",
    "line\nbreak\r\nand\ttab\x00nul\x1b[31m",
    "&amp; &lt;tag&gt;",
    "aspirin",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)

    def handle_data(self, data) -> None:
        self.text.append(data)


def _render(markdown: str) -> _Tags:
    parser = _Tags()
    parser.feed(MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown))
    return parser


@pytest.mark.parametrize("text", CRAFTED)
def test_markdown_safe_renders_as_the_text_typed(text):
    rendered = _render(markdown_safe(text))
    assert rendered.tags in ([], ["p"])  # one paragraph, no link, image, emphasis or code
    assert "".join(rendered.text).strip() == one_line(text)
    # Streamlit's own syntax (directives, LaTeX) starts with ':' or '$': always escaped.
    assert not re.search(r"(?<!\\)[:$\[\]]", markdown_safe(text))


@pytest.mark.parametrize("text", CRAFTED)
def test_html_safe_leaves_no_tag(text):
    parser = _Tags()
    parser.feed(html_safe(text))
    assert parser.tags == []
    assert "".join(parser.text) == one_line(text)


def test_labels_are_one_line_and_short():
    assert one_line("a\n\nb\t c") == "a b c"
    long = one_line("x" * 10_000)
    assert len(long) == LABEL_LIMIT and long.endswith("…")
    assert one_line(None) == ""


def test_molecule_labels_for_markdown():
    molecule = Molecule(id="![x](http://h/p.png)", source="upload", entered="", smiles="")
    assert _render(molecule.markdown_label).tags == ["p"]
    failed = Molecule(
        id="m", source="pasted", entered="", smiles="", error="cannot read '**C1CC(**'"
    )
    assert "<strong>" not in MarkdownIt().render(failed.markdown_error)


def test_comparison_labels_are_distinct_and_one_line():
    assert comparison_labels(["aspirin", "aspirin\n", "x" * 200, ""]) == [
        "aspirin (1)",
        "aspirin (2)",
        "x" * (LABEL_LIMIT - 1) + "…",
        "molecule 4",
    ]


def test_3d_viewer_cannot_be_closed_by_the_molblock():
    block = molblock_3d("CCO")
    assert block
    crafted = "</script><script>alert(1)</script>\n" + block.split("\n", 1)[1]
    crafted = crafted.replace("  0  0  0  0  0  0", "</script><img src=x onerror=alert(1)>", 1)
    html = viewer_html(crafted, js_url="/vendor/3Dmol.js")
    parser = _Tags()
    parser.feed(html)
    assert "img" not in parser.tags
    assert html.count("<script") == parser.tags.count("script") == html.count("</script")
    assert "addModel" in html  # the molecule is still drawn


def test_3d_conformer_respects_its_limits():
    assert molblock_3d("C" * 151) == ""  # over the heavy-atom limit: no conformer
    assert molblock_3d("not a smiles") == ""
    cyclosporin = (
        "CC[C@H]1C(=O)N(CC(=O)N([C@H](C(=O)N[C@H](C(=O)N([C@H](C(=O)N[C@H](C(=O)N[C@@H]"
        "(C(=O)N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N([C@H](C(=O)N1)[C@@H]([C@H](C)C/C="
        "C/C)O)C)C(C)C)C)CC(C)C)C)CC(C)C)C)C)C)CC(C)C)C)C(C)C)CC(C)C)C)C"
    )
    # Embedding cyclosporin takes about 4 s here; with no time left it gives up.
    assert molblock_3d(cyclosporin, time_limit=0.0) == ""
    first_line = molblock_3d("CCO").split("\n", 1)[0]
    assert first_line == ""  # the title line carries nothing into the viewer
