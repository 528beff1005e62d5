"""The verdicts as one self-contained HTML page: a scoreboard, a sortable and filterable
table, and a detail row per verdict with its seeds, evidence and divergence.

The page needs nothing but itself: inline CSS and vanilla JavaScript, no network, so it
works opened from ``file://`` and archived beside a run. Python renders the header, the
scoreboard and the table (so the numbers read the same without JavaScript); the script
only sorts, filters and expands, reading the verdicts from an embedded JSON element.

Filters can be set from the URL fragment, ``index.html#status=fails&stack=keras3.15.1%20jax``
(keys: ``profile``, ``stack``, ``device``, ``data_kind``, ``status``); rows a filter hides
carry the ``hidden`` attribute, and ``#shown-count`` holds how many rows are visible.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

from dlwp_suite.report.scoreboard import ScoreRow, scoreboard
from dlwp_suite.results.verdicts import Status, Verdict, json_ready
from dlwp_suite.words import describe_bar

# The filters, by Verdict field: the fragment's keys and each <select>'s data-filter.
_FILTERS = (
    ("profile", "profile"),
    ("stack", "stack"),
    ("device", "device"),
    ("data_kind", "data kind"),
    ("status", "status"),
)

# The table's columns: (heading, numeric). Numeric columns sort on each cell's data-value.
_COLUMNS = (
    ("chapter", False),
    ("subject", False),
    ("metric", False),
    ("stack", False),
    ("device", False),
    ("profile", False),
    ("data kind", False),
    ("median", True),
    ("bar", False),
    ("status", False),
    ("reason", False),
)


def render_html(
    verdicts: Sequence[Verdict],
    provenance: Mapping[str, Any],
    divergences: Mapping[str, Mapping[str, Any]],
) -> str:
    """One self-contained HTML document of ``verdicts``.

    ``provenance`` is shown in the header (``generated_at``, ``revision``, ``runs``: run
    ids, ``records``: a count; any other key is shown after those). ``divergences`` maps a
    divergence id to its ``reason``, ``evidence``, ``keras`` and ``backends``; a verdict's
    detail row shows the one its ``divergence`` names.
    """
    board = scoreboard(verdicts)  # the Markdown report's rows, in its order
    options = {key: _filter_values(verdicts, key) for key, _ in _FILTERS}
    body = "\n".join(
        (
            _header_html(provenance),
            _scoreboard_html(board),
            "<section>\n<h2>Verdicts</h2>",
            _filters_html(options, len(verdicts)),
            _table_html(verdicts),
            "</section>",
            _data_html("verdicts", [v.as_data() for v in verdicts]),
            _data_html("divergences", divergences),
            f"<script>{_SCRIPT}</script>",
        )
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        # Enforce what the page promises: nothing is loaded from anywhere, only the
        # inline style and script run.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>dlwp-suite verdicts</title>\n"
        f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# Data: what the page shows, before any formatting.


def _filter_values(verdicts: Sequence[Verdict], key: str) -> list[str]:
    """The values a filter offers: those the verdicts have; statuses in their own order."""
    present = {str(getattr(v, key)) for v in verdicts}
    if key == "status":
        return [str(s) for s in Status if str(s) in present]
    return sorted(present)


# Formatting: data to text, then text to (escaped) HTML.


def _number(value: float | None) -> str:
    """4 significant digits; whole numbers in full (parameter counts, epochs)."""
    if value is None:
        return "—"
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _fragment(**filters: str) -> str:
    """A link that sets the page's filters: ``#stack=keras3.15.1%20jax&status=fails``."""
    return "#" + urlencode(filters, quote_via=quote)


def _slug(status: str) -> str:
    """A CSS class for a status (statuses have spaces)."""
    return "st-" + status.replace(" ", "-")


def _header_html(provenance: Mapping[str, Any]) -> str:
    first = ("generated_at", "revision", "runs", "records")
    keys = [k for k in first if k in provenance]
    keys += [k for k in provenance if k not in keys]
    items = []
    for key in keys:
        value = provenance[key]
        if value in ("", None):
            continue  # an unknown revision (no git checkout) says nothing
        if isinstance(value, list | tuple):
            # Run ids can be many: fold them away behind their count.
            ids = ", ".join(str(v) for v in value)
            text = f"<details><summary>{len(value)}</summary>{_e(ids)}</details>"
        else:
            text = _e(value)
        label = "generated" if key == "generated_at" else key.replace("_", " ")
        items.append(f"<dt>{_e(label)}</dt><dd>{text}</dd>")
    return (
        "<header>\n<h1>dlwp-suite verdicts</h1>\n"
        f'<dl class="provenance">{"".join(items)}</dl>\n</header>'
    )


def _scoreboard_html(board: Sequence[ScoreRow]) -> str:
    statuses = [s for s in Status if any(row.statuses[s] for row in board)]
    head = "".join(f'<th class="{_slug(s)}">{_e(s)}</th>' for s in statuses)
    rows = []
    for row in board:
        group = {"profile": row.profile, "stack": row.stack, "device": row.device}
        cells = []
        for status in statuses:
            count = row.statuses[status]
            link = _e(_fragment(**group, status=str(status)))
            cells.append(
                f'<td class="num"><a class="{_slug(status)}" href="{link}">{count}</a></td>'
                if count
                else '<td class="num zero">0</td>'
            )
        rows.append(
            f'<tr><td><a href="{_e(_fragment(**group))}">{_e(row.profile)}</a></td>'
            f"<td>{_e(row.stack)}</td><td>{_e(row.device)}</td>{''.join(cells)}"
            f'<td class="num">{row.statuses.total()}</td></tr>'
        )
    return (
        '<section>\n<h2>Scoreboard</h2>\n<table id="scoreboard">\n'
        f"<thead><tr><th>profile</th><th>stack</th><th>device</th>{head}<th>total</th></tr>"
        f"</thead>\n<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</section>"
    )


def _filters_html(options: Mapping[str, list[str]], total: int) -> str:
    selects = []
    for key, label in _FILTERS:
        choices = "".join(f'<option value="{_e(v)}">{_e(v)}</option>' for v in options[key])
        selects.append(
            f'<label>{_e(label)} <select id="filter-{key}" data-filter="{key}">'
            f'<option value="">all</option>{choices}</select></label>'
        )
    return (
        f'<div class="filters">{"".join(selects)}</div>\n'
        f'<p><span id="shown-count">{total}</span> of <span id="total-count">{total}</span>'
        " verdicts shown; click a heading to sort, a row for its seeds and evidence.</p>"
    )


def _table_html(verdicts: Sequence[Verdict]) -> str:
    head = "".join(
        f'<th{" data-type=number" if numeric else ""}><button type="button">{_e(name)}'
        "</button></th>"
        for name, numeric in _COLUMNS
    )
    rows = []
    for index, v in enumerate(verdicts):
        median = "" if v.median is None or not math.isfinite(v.median) else repr(v.median)
        cells = (
            f"<td>{_e(v.chapter)}</td>",
            f'<td title="{_e(v.kind)}">{_e(v.subject)}</td>',
            f"<td>{_e(v.metric)}</td>",
            f"<td>{_e(v.stack)}</td>",
            f"<td>{_e(v.device)}</td>",
            f"<td>{_e(v.profile)}</td>",
            f"<td>{_e(v.data_kind)}</td>",
            f'<td class="num" data-value="{median}">{_e(_number(v.median))}</td>',
            f"<td>{_e(describe_bar(v.bar) if v.bar else '—')}</td>",
            f'<td class="status {_slug(v.status)}">{_e(v.status)}</td>',
            f'<td class="reason">{_e(v.reason)}</td>',
        )
        rows.append(
            f'<tr class="verdict" data-index="{index}" data-status="{_e(v.status)}" '
            f'tabindex="0" aria-expanded="false">{"".join(cells)}</tr>'
        )
    return (
        f'<table id="verdict-table">\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>"
    )


def _data_html(element_id: str, data: Any) -> str:
    """Data for the script, as JSON in a non-executed script element.

    Every ``<`` is written ``\\u003c`` (JSON.parse reads it back), so no ``</script>`` or
    ``<!--`` inside the data can end the element early or confuse the HTML parser.
    """
    text = json.dumps(json_ready(data), ensure_ascii=False, allow_nan=False)
    text = text.replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


_CSS = """
:root { color-scheme: light dark; --ok: #2e7d32; --fail: #c62828; --warn: #b26a00; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1rem 2rem; }
[hidden] { display: none !important; }
h1 { font-size: 1.4rem; margin-bottom: .3rem; }
h2 { font-size: 1.15rem; margin-top: 1.5rem; }
dl.provenance { display: flex; flex-wrap: wrap; gap: .2rem 1.5rem; margin: 0; }
dl.provenance dt { font-weight: bold; }
dl.provenance dt::after { content: ":"; }
dl.provenance dd { margin: 0 0 0 -1.2rem; }
dl.provenance details { display: inline; }
table { border-collapse: collapse; }
th, td { padding: .2rem .5rem; text-align: left; vertical-align: top;
         border-bottom: 1px solid #8884; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.zero { opacity: .4; }
th { white-space: nowrap; }
th button { font: inherit; font-weight: bold; color: inherit; background: none; border: 0;
            padding: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " ▲"; }
th[aria-sort=descending] button::after { content: " ▼"; }
.filters label { margin-right: 1rem; white-space: nowrap; }
tr.verdict { cursor: pointer; }
tr.verdict:hover, tr.verdict[aria-expanded=true] { background: #8882; }
td.reason { max-width: 30rem; }
tr.detail > td { background: #8881; padding: .5rem 1.5rem 1rem; }
tr.detail h3 { font-size: 1rem; margin: .6rem 0 .2rem; }
tr.detail dl { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; }
tr.detail dt { font-weight: bold; }
tr.detail dd { margin: 0; white-space: pre-wrap; }
.st-reproduces, .st-holds, .st-bar-met { color: var(--ok); }
.st-fails, .st-bar-missed, .st-does-not-hold { color: var(--fail); font-weight: bold; }
.st-known-divergence, .st-inconclusive, .st-incomplete,
.st-inside-a-provisional-band { color: var(--warn); }
.st-not-run { opacity: .6; }
"""

# The script reads the data with JSON.parse and writes it with textContent only: no
# verdict text ever goes through innerHTML.
_SCRIPT = r"""
(() => {
  "use strict";
  const verdicts = JSON.parse(document.getElementById("verdicts").textContent);
  const divergences = JSON.parse(document.getElementById("divergences").textContent);
  const table = document.getElementById("verdict-table");
  const body = table.tBodies[0];
  const headings = Array.from(table.tHead.rows[0].cells);
  const rows = Array.from(body.querySelectorAll("tr.verdict"));
  const selects = Array.from(document.querySelectorAll("select[data-filter]"));
  const shown = document.getElementById("shown-count");
  const details = new Map();  // verdict row -> its detail row, made on first expand

  // Like Python's "{:.4g}", whole numbers in full: the same text as the table's.
  function fmt(x) {
    if (x === null || x === undefined) return "—";
    if (typeof x !== "number") return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    const [mantissa, exp] = x.toExponential(3).split("e");
    const e = Number(exp);
    const strip = (s) => s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
    if (e < -4 || e >= 4) {
      return strip(mantissa) + "e" + (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
    }
    return strip(x.toFixed(3 - e));
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function list(entries) {
    const dl = el("dl");
    for (const [name, value] of entries) {
      if (value === null || value === undefined || value === "") continue;
      dl.append(el("dt", name), el("dd", typeof value === "number" ? fmt(value) : value));
    }
    return dl;
  }

  function grid(head, lines) {
    const t = el("table");
    const tr = t.createTHead().insertRow();
    for (const h of head) tr.append(el("th", h));
    const tb = t.createTBody();
    for (const line of lines) {
      const r = tb.insertRow();
      for (const cell of line) r.append(el("td", cell));
    }
    return t;
  }

  function detailOf(v) {
    const box = el("div");
    box.append(el("h3", v.kind + ": " + v.subject));
    if (v.seeds.length) {
      // A value of null is a seed that measured nothing finite (NaN).
      const value = (x) => x === null ? "not finite" : fmt(x);
      const lines = v.seeds.map((seed, i) => [String(seed), value(v.values[i])]);
      const column = v.kind === "claim" ? "side A: " + v.metric : v.metric;
      box.append(el("h3", "Seeds"), grid(["seed", column], lines));
    } else {
      box.append(el("p", "No seed recorded."));
    }
    box.append(list([
      ["seeds planned", v.seeds_planned ? String(v.seeds_planned) : ""],
      ["range", v.low === null ? "" : fmt(v.low) + " to " + fmt(v.high)],
      ["reference", v.reference],
      ["margin", v.margin],
      ["side B median", v.b],
      ["source", v.source],
      ["reason", v.reason],
      ["runs", v.runs.join(", ")],
      ["bar changed", v.bar_changed ? "the records were judged at another bar when they ran" : ""],
    ]));
    const evidence = v.evidence || {};
    if (Object.keys(evidence).length) {
      box.append(el("h3", "Evidence"));
      if (Array.isArray(evidence.pairs) && evidence.pairs.length) {
        const lines = evidence.pairs.map(([seed, a, b, held]) =>
          [String(seed), fmt(a), fmt(b), held ? "yes" : "no"]);
        box.append(grid(["seed", "A", "B", "holds"], lines));
      }
      const names = {held: "pairs that hold", ties: "pairs tied at the bar",
                     p_holds: "p (holds)", p_fails: "p (does not hold)"};
      box.append(list(Object.entries(evidence).filter(([k]) => k !== "pairs").map(([k, x]) =>
        [names[k] || k, typeof x === "object" && x !== null ? JSON.stringify(x) : x])));
    }
    if (v.divergence) {
      const d = divergences[v.divergence];
      box.append(el("h3", "Known divergence " + v.divergence));
      box.append(d ? list([
        ["reason", d.reason],
        ["evidence", d.evidence],
        ["Keras", d.keras || "any"],  // an empty specifier or list: any version, any backend
        ["backends", (Array.isArray(d.backends) ? d.backends.join(", ") : d.backends) || "any"],
      ]) : el("p", "Not described in this report."));
    }
    return box;
  }

  const expanded = (row) => row.getAttribute("aria-expanded") === "true";

  function toggle(row) {
    const open = !expanded(row);
    row.setAttribute("aria-expanded", String(open));
    if (open && !details.has(row)) {
      const tr = el("tr", undefined, "detail");
      const td = el("td");
      td.colSpan = headings.length;
      td.append(detailOf(verdicts[Number(row.dataset.index)]));
      tr.append(td);
      row.after(tr);
      details.set(row, tr);
    }
    if (details.has(row)) details.get(row).hidden = !open || row.hidden;
  }

  body.addEventListener("click", (event) => {
    const row = event.target.closest("tr.verdict");
    if (row) toggle(row);
  });
  body.addEventListener("keydown", (event) => {
    const row = event.target.closest("tr.verdict");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      toggle(row);
    }
  });

  // Filtering: a row shows when every set filter equals its verdict's field.
  function chosen() {
    const filters = {};
    for (const s of selects) if (s.value) filters[s.dataset.filter] = s.value;
    return filters;
  }

  function apply() {
    const filters = Object.entries(chosen());
    let count = 0;
    for (const row of rows) {
      const v = verdicts[Number(row.dataset.index)];
      const match = filters.every(([key, want]) => String(v[key]) === want);
      row.hidden = !match;
      if (details.has(row)) details.get(row).hidden = !match || !expanded(row);
      if (match) count += 1;
    }
    shown.textContent = String(count);
  }

  function fromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (const s of selects) {
      const want = params.get(s.dataset.filter) || "";
      // A value no verdict has still filters (to nothing) rather than showing everything.
      if (want && !Array.from(s.options).some((o) => o.value === want)) {
        s.add(new Option(want, want));
      }
      s.value = want;
    }
    apply();
  }

  function toFragment() {
    const hash = new URLSearchParams(chosen()).toString().replace(/\+/g, "%20");
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (error) {
      // Some browsers refuse history changes on file:// pages; the filters still apply.
    }
  }

  for (const s of selects) s.addEventListener("change", () => { apply(); toFragment(); });
  window.addEventListener("hashchange", fromFragment);

  // Sorting: click a heading; again to reverse. Ties keep the report's order.
  const collator = new Intl.Collator(undefined, {numeric: true, sensitivity: "base"});
  let sortedBy = -1;
  let direction = 1;
  table.tHead.addEventListener("click", (event) => {
    const th = event.target.closest("th");
    if (!th) return;
    const column = th.cellIndex;
    direction = column === sortedBy ? -direction : 1;
    sortedBy = column;
    const numeric = th.dataset.type === "number";
    const key = (row) => {
      const cell = row.cells[column];
      return numeric ? parseFloat(cell.dataset.value) : cell.textContent;
    };
    const order = (a, b) => {
      const tie = Number(a.dataset.index) - Number(b.dataset.index);
      const x = key(a);
      const y = key(b);
      if (numeric && (Number.isNaN(x) || Number.isNaN(y))) {
        return Number.isNaN(x) - Number.isNaN(y) || tie;  // no median: last either way
      }
      return (numeric ? x - y : collator.compare(x, y)) * direction || tie;
    };
    for (const row of rows.slice().sort(order)) {
      body.append(row);
      if (details.has(row)) body.append(details.get(row));
    }
    for (const h of headings) h.removeAttribute("aria-sort");
    th.setAttribute("aria-sort", direction > 0 ? "ascending" : "descending");
  });

  fromFragment();
})();
"""
