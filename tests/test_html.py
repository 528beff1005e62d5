"""The HTML verdict page: self-contained, its data round-trips, and in a real (headless)
Chromium its filters, sorting and detail rows work.

How the page marks what a filter hides: a verdict row is ``<tr class="verdict"
data-status=...>`` and a hidden one carries the ``hidden`` attribute;
``#shown-count`` holds how many verdict rows are visible. Filters come from the URL
fragment: ``index.html#status=fails&stack=keras3.15.1%20jax``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from dlwp_suite.report.html import render_html
from dlwp_suite.results.verdicts import Status, Verdict

JAX = "keras3.15.1 jax"
TF = "tf2.21.0 keras3.15.1 tensorflow"
HOSTILE = '</script><script>alert("x")</script><!-- & <b>'


def _verdict(stack: str, subject: str, status: Status, **fields) -> Verdict:
    base = {
        "profile": "quick",
        "stack": stack,
        "device": "cpu",
        "chapter": "ch03",
        "subject": subject,
        "kind": "book number",
        "metric": "test_accuracy",
        "status": status,
        "data_kind": "real",
        "source": "DLwP 2e §3.4",
        "bar": {
            "metric": "test_accuracy",
            "direction": 1,
            "value": 0.885,
            "tolerance": 0.011,
            "comparison": "approx",
            "baseline": None,
            "over": "median",
        },
    }
    return Verdict(**{**base, **fields})


VERDICTS = [
    _verdict(
        JAX,
        "ch03.imdb.dense[book]",
        Status.REPRODUCES,
        seeds=(0, 1, 2),
        values=(0.881, 0.8857, 0.889),
        median=0.8857,
        low=0.881,
        high=0.889,
        reference=0.885,
        margin=0.0103,
        seeds_planned=3,
        runs=("run-a",),
    ),
    _verdict(
        TF,
        "ch03.imdb.dense[book]",
        Status.FAILS,
        seeds=(0, 1, 2),
        values=(0.85, 0.86, 0.87),
        median=0.86,
        low=0.85,
        high=0.87,
        reference=0.885,
        margin=-0.014,
        seeds_planned=3,
        reason="the book's number missed, cause not established",
        runs=("run-b",),
    ),
    _verdict(
        JAX,
        "ch06.jena.gru:common_sense",
        Status.FAILS,
        chapter="ch06",
        metric="val_mae",
        data_kind="stand-in",
        seeds=(0,),
        values=(2.61,),
        median=2.61,
        low=2.61,
        high=2.61,
        reference=2.44,
        margin=-0.17,
        bar={
            "metric": "val_mae",
            "direction": -1,
            "value": None,
            "tolerance": 0.0,
            "comparison": "approx",
            "baseline": "common_sense",
            "over": "median",
        },
        reason=HOSTILE,
    ),
    _verdict(
        TF,
        "ch05.dropout_helps",
        Status.KNOWN_DIVERGENCE,
        chapter="ch05",
        kind="claim",
        metric="val_accuracy",
        seeds=(0, 1, 2),
        values=(0.7, 0.71, 0.69),
        median=0.7,
        low=0.69,
        high=0.71,
        b=0.72,
        margin=-0.02,
        bar={
            "relation": "beats",
            "margin": 0.0,
            "direction": 1,
            "as_checked": "dropout beats no dropout",
        },
        divergence="tf-dropout",
        reason="TF's dropout draws differ",
        evidence={
            "pairs": [[0, 0.7, 0.72, False], [1, 0.71, 0.73, False], [2, 0.69, 0.7, False]],
            "held": 0,
            "p_holds": 1.0,
            "p_fails": 0.125,
        },
    ),
    _verdict(
        TF,
        "ch05.params",
        Status.NOT_RUN,
        chapter="ch05",
        kind="bar",
        metric="parameters",
        bar={
            "metric": "parameters",
            "direction": 1,
            "value": 721857,
            "tolerance": 0,
            "comparison": "exact",
            "baseline": None,
            "over": "median",
        },
        reason="skipped: no data",
    ),
]
PROVENANCE = {
    "generated_at": "2025-01-02T03:04:05Z",
    "revision": "44d86b0",
    "runs": ["run-a", "run-b"],
    "records": 17,
}
DIVERGENCES = {
    "tf-dropout": {
        "reason": "TF's dropout draws differ",
        "evidence": "results/tolerance/dropout.md",
        "keras": ">=3.0",
        "backends": ["tensorflow"],
    }
}


class _Page(HTMLParser):
    """What the tests read from a page: verdict rows, detail rows, #shown-count, scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[dict[str, str | None]] = []  # verdict rows, in document order
        self.details: list[str] = []  # the text of each detail row
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.json: dict[str, str] = {}
        self.shown_count = ""
        self._into: str | None = None  # where character data goes now
        self._depth = 0  # of <tr> inside a detail row (its tables have rows)
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self._into == "detail":
            self._depth += tag == "tr"
        elif tag == "tr" and a.get("class") == "verdict":
            self.rows.append(a)
        elif tag == "tr" and a.get("class") == "detail":
            self.details.append("")
            self._into, self._depth = "detail", 1
        elif tag == "script":
            self.scripts.append(a)
            if a.get("type") == "application/json":
                self._into = "json:" + str(a.get("id"))
                self.json[str(a.get("id"))] = ""
        elif tag == "link":
            self.links.append(a)
        elif a.get("id") == "shown-count":
            self._into = "count"

    def handle_endtag(self, tag: str) -> None:
        if self._into == "detail" and tag == "tr":
            self._depth -= 1
            if self._depth == 0:
                self._into = None
        elif self._into != "detail":
            self._into = None

    def handle_data(self, data: str) -> None:
        if self._into == "detail":
            self.details[-1] += data + " "
        elif self._into == "count":
            self.shown_count += data
        elif self._into and self._into.startswith("json:"):
            self.json[self._into[5:]] += data

    def visible(self) -> list[str | None]:
        """The statuses of the verdict rows without the ``hidden`` attribute."""
        return [r["data-status"] for r in self.rows if "hidden" not in r]


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "index.html"
    path.write_text(render_html(VERDICTS, PROVENANCE, DIVERGENCES), encoding="utf-8")
    return path


def test_self_contained(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    parsed = _Page(text)
    assert "http://" not in text and "https://" not in text
    assert not parsed.links
    assert all("src" not in script for script in parsed.scripts)
    # Ours: the verdicts, the divergences and the code; the hostile reason made none.
    assert len(parsed.scripts) == 3
    assert HOSTILE not in text and "&lt;/script&gt;&lt;script&gt;" in text
    assert [r["data-status"] for r in parsed.rows] == [str(v.status) for v in VERDICTS]
    assert parsed.shown_count == str(len(VERDICTS))  # all shown before any script runs


def test_embedded_json_round_trips(page: Path) -> None:
    parsed = _Page(page.read_text(encoding="utf-8"))
    assert "</" not in parsed.json["verdicts"]
    data = json.loads(parsed.json["verdicts"])
    assert [Verdict.from_data(d) for d in data] == VERDICTS
    assert json.loads(parsed.json["divergences"]) == DIVERGENCES


def test_table_text(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for cell in (
        "≈ 0.885 ± 0.011",
        "beats common_sense",
        "= 721857",
        "dropout beats no dropout",
        "0.8857",
        "run-a, run-b",
    ):
        assert cell in text
    # The scoreboard's counts link to the filtered table.
    assert 'href="#profile=quick&amp;stack=keras3.15.1%20jax&amp;device=cpu&amp;status=fails"' in (
        text
    )


def test_non_finite_values_embed_as_null() -> None:
    nan = _verdict(JAX, "ch03.nan", Status.FAILS, seeds=(0, 1), values=(float("nan"), 0.5))
    parsed = _Page(render_html([nan], {}, {}))
    assert json.loads(parsed.json["verdicts"])[0]["values"] == [None, 0.5]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("Chromium is not installed: apt-get install chromium")


def _dump_dom(url: str, profile: Path) -> _Page:
    """The DOM after the page's scripts ran, from headless Chromium."""
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=5000",  # let the scripts run before the DOM is dumped
            "--enable-logging=stderr",  # console errors, to fail on an uncaught one
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Uncaught" not in done.stderr, done.stderr[-2000:]
    return _Page(done.stdout)


@pytest.mark.parametrize(
    ("fragment", "statuses"),
    [
        ("", [str(v.status) for v in VERDICTS]),
        ("#status=fails", ["fails", "fails"]),
        ("#status=fails&stack=keras3.15.1%20jax", ["fails"]),
        (
            "#data_kind=real&stack=tf2.21.0+keras3.15.1+tensorflow",
            ["fails", "known divergence", "not run"],
        ),
        ("#status=no%20such%20status", []),
    ],
)
def test_filters_from_fragment(page: Path, tmp_path: Path, fragment: str, statuses) -> None:
    dom = _dump_dom(page.as_uri() + fragment, tmp_path / "profile")
    assert len(dom.rows) == len(VERDICTS)
    assert dom.visible() == statuses
    assert dom.shown_count == str(len(statuses))


def test_sort_and_expand(page: Path, tmp_path: Path) -> None:
    # Click as a reader would: the median heading twice (descending), then the
    # divergent claim's row. The page itself is unchanged; only this click script is added.
    clicks = """<script>
      const heading = [...document.querySelectorAll("#verdict-table th")]
        .find((th) => th.textContent === "median");
      heading.querySelector("button").click();
      heading.querySelector("button").click();
      document.querySelector('tr.verdict[data-status="known divergence"] td').click();
    </script></body>"""
    clicked = tmp_path / "clicked.html"
    clicked.write_text(page.read_text(encoding="utf-8").replace("</body>", clicks))
    dom = _dump_dom(clicked.as_uri(), tmp_path / "profile")
    medians = [VERDICTS[int(str(r["data-index"]))].median for r in dom.rows]
    assert medians == [2.61, 0.8857, 0.86, 0.7, None]  # no median: last either way
    assert [r.get("aria-expanded") for r in dom.rows] == ["false"] * 3 + ["true", "false"]
    (detail,) = dom.details
    for text in (
        "0.71",
        "0.73",
        "p (does not hold)",
        "0.125",
        "Known divergence tf-dropout",
        "results/tolerance/dropout.md",
        "tensorflow",
        "DLwP 2e §3.4",
    ):
        assert text in detail
