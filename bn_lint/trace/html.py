"""``bn-lint trace --report run.html``: one self-contained page (inline CSS and SVG, no script,
no network): the findings, a per-layer table, and plots of the sampled running statistics and
batch sizes. One colour, one meaning: red marks a finding on every plot (a call that is a finding:
a red dot at its step; the BN401/BN402 moments: red dashed lines); layers get the other colours.
No torch here."""
from __future__ import annotations

import math
from html import escape

FINDING = "#d62728"  # red: a finding, on every plot and nowhere else
_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_MARK = {"BN401": FINDING, "BN402": FINDING}
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 760, 250, 70, 20, 28, 36

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:26px 0 8px}
.summary{color:#555;margin-bottom:12px}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#b00020;font-weight:600}.warning{color:#a15c00;font-weight:600}
.bad{background:#fde8e8}
figure{margin:10px 0 18px}figcaption{font-size:13px;color:#444;margin-bottom:4px}
.legend{font-size:12px;margin:2px 0 0}.legend span{display:inline-block;margin-right:12px}
.legend i{display:inline-block;width:12px;height:3px;margin-right:4px;vertical-align:middle}
svg text{font-family:inherit}
"""


def render_page(report, title: str = "bn-lint trace") -> str:
    """The whole HTML page for a ``TraceReport``."""
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{escape(title)}</h1>",
             f"<div class=\"summary\">{escape(report.summary())} {_sampling(report.stats_every)}</div>",
             report_tables(report), plots(report), "</body></html>\n"]
    return "\n".join(parts)


def _sampling(every: int) -> str:
    if not every:
        return "Running statistics were not sampled."
    return "Running statistics sampled at " + ("every training call" if every == 1 else
                                               f"the first and every {every}th training call") + \
        " of each layer, and at every call that is a finding and every new smallest or largest batch."


def report_tables(report) -> str:
    """The findings and the per-layer table (also a notebook's ``_repr_html_``)."""
    rows = []
    for f in report.findings:
        sev = f.severity.value
        rows.append(f"<tr><td class=\"{sev}\">{escape(f.code)}</td><td class=\"{sev}\">{sev}</td>"
                    f"<td>{escape(f.path)}:{f.line}:{f.column}</td><td>{escape(f.message)}</td></tr>")
    findings = ("<table class=\"findings\"><tr><th>code</th><th>severity</th><th>where</th><th>message</th></tr>"
                + "".join(rows) + "</table>") if rows else "<p>No findings.</p>"
    layers = []
    for row in report.table:
        bad = row.get("first_non_finite") is not None
        layers.append("<tr{}>".format(" class=\"bad\"" if bad else "") + "".join([
            f"<td>{escape(row['layer'])}</td>", f"<td>{escape(row['kind'])}</td>",
            f"<td title=\"{escape(row['built'])}\">{escape(_short(row['built']))}</td>",
            f"<td>{escape(', '.join(row['modes']))}</td>",
            f"<td class=\"num\">{row['train_calls']} / {row['eval_calls']}</td>",
            f"<td class=\"num\">{_fmt(row['batch_min'])}–{_fmt(row['batch_max'])}</td>",
            f"<td class=\"num\">{_fmt(row['momentum'])}</td>",
            f"<td class=\"num\">{_fmt(row['var_min'])}</td>", f"<td class=\"num\">{_fmt(row['var_max'])}</td>",
            f"<td class=\"num\">{_fmt(row['first_non_finite'])}</td>",
            f"<td>{escape(', '.join(row['codes']))}</td></tr>"]))
    table = ("<table class=\"layers\"><tr><th>layer</th><th>class</th><th>built at</th><th>modes seen</th>"
             "<th>train / eval calls</th><th>batch min–max</th><th>momentum</th><th>final running_var min</th>"
             "<th>final running_var max</th><th>first non-finite step</th><th>findings</th></tr>"
             + "".join(layers) + "</table>") if layers else "<p>No BatchNorm layer was called.</p>"
    return f"<h2>Findings</h2>{findings}<h2>BatchNorm layers</h2>{table}"


def plots(report) -> str:
    """Running-stat drift and batch size over the run, as inline SVG figures."""
    series = report.series
    if not series:
        return "<h2>Running statistics</h2><p>No running statistics were sampled.</p>"
    names = list(series)
    colors = {name: _COLORS[i % len(_COLORS)] for i, name in enumerate(names)}
    marks = []
    for row in report.table:
        for code, key in (("BN401", "first_non_finite"), ("BN402", "first_degenerate")):
            step = row.get(key)
            if isinstance(step, int) and row["layer"] in series:
                marks.append((step, f"{code} {row['layer']}", _MARK[code]))
    mean = {n: [(r[0], r[2]) for r in series[n]] for n in names}
    var = {n: [(r[0], r[5]) for r in series[n]] for n in names}
    longest = max(names, key=lambda n: len(series[n]))
    batch = {longest: [(r[0], r[1]) for r in series[longest]]}
    found = {n: [r for r in series[n] if len(r) > 9 and r[9]] for n in names}
    codes = sorted({c for rows in found.values() for r in rows for c in r[9].split()} |
                   {m[1].split()[0] for m in marks})
    mean_points = [(r[0], r[2], f"{r[9]} {n}") for n in names for r in found[n]]
    var_points = [(r[0], r[5], f"{r[9]} {n}") for n in names for r in found[n]]
    batch_points = [(r[0], r[1], f"{r[9]} {longest}") for r in found[longest]]
    red = (f"<span><i style=\"background:{FINDING}\"></i>red: a finding ({escape(', '.join(codes))})</span>"
           if codes else "")
    legend = "<div class=\"legend\">" + "".join(
        f"<span><i style=\"background:{colors[n]}\"></i>{escape(n)}</span>" for n in names) + red + "</div>"
    return "".join([
        "<h2>Running statistics</h2>",
        _figure("plot-mean", "running_mean: mean over channels, per layer", mean, colors, marks, False, legend,
                mean_points),
        _figure("plot-var", "running_var: mean over channels, per layer (log scale)", var, colors, marks, True,
                legend, var_points),
        _figure("plot-batch", f"batch size at the recorded training steps ({escape(longest)})", batch,
                {longest: "#333"}, marks, False,
                f"<div class=\"legend\"><span><i style=\"background:#333\"></i>batch size</span>{red}</div>",
                batch_points),
    ])


def _figure(ident: str, caption: str, series: dict, colors: dict, marks: list, log: bool, legend: str,
            points: list = ()) -> str:
    return (f"<figure class=\"plot\" id=\"{ident}\"><figcaption>{caption}</figcaption>"
            f"{line_plot(series, colors, marks, log, points)}{legend}</figure>")


def line_plot(series: dict, colors: dict, marks: list, log: bool = False, points: list = ()) -> str:
    """An SVG line chart of ``{name: [(x, y), ...]}``; non-finite (or, on a log scale, non-positive)
    values break the line; ``marks`` are vertical lines ``(x, label, colour)``; ``points`` are the
    calls that are findings ``(x, y, label)``, red dots over the lines."""
    def usable(y) -> bool:
        return isinstance(y, (int, float)) and math.isfinite(y) and (y > 0 or not log)

    xs = [x for pts in series.values() for x, _ in pts] + [m[0] for m in marks]
    ys = [math.log10(y) if log else y for pts in series.values() for _, y in pts if usable(y)]
    if not xs:
        return "<svg width=\"0\" height=\"0\"></svg>"
    x0, x1 = min(xs), max(xs)
    y0, y1 = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad
    width, height = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM

    def px(x) -> float:
        return _LEFT + (x - x0) / (x1 - x0) * width

    def py(y) -> float:
        return _TOP + (1 - (y - y0) / (y1 - y0)) * height

    out = [f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{_W}\" height=\"{_H}\" viewBox=\"0 0 {_W} {_H}\" "
           "role=\"img\">", f"<rect x=\"{_LEFT}\" y=\"{_TOP}\" width=\"{width}\" height=\"{height}\" fill=\"#fff\" "
           "stroke=\"#999\"/>"]
    for value in _ticks(y0, y1):
        y = py(value)
        label = f"{10 ** value:.3g}" if log else f"{value:.4g}"
        out.append(f"<line x1=\"{_LEFT}\" x2=\"{_LEFT + width}\" y1=\"{y:.1f}\" y2=\"{y:.1f}\" stroke=\"#eee\"/>"
                   f"<text x=\"{_LEFT - 6}\" y=\"{y + 4:.1f}\" font-size=\"11\" text-anchor=\"end\">{label}</text>")
    for value in _ticks(x0, x1, integer=True):
        x = px(value)
        out.append(f"<text x=\"{x:.1f}\" y=\"{_TOP + height + 16}\" font-size=\"11\" text-anchor=\"middle\">"
                   f"{value:g}</text>")
    out.append(f"<text x=\"{_LEFT + width / 2}\" y=\"{_H - 4}\" font-size=\"12\" text-anchor=\"middle\">"
               "training step (per layer)</text>")
    for name, pts in series.items():
        runs, run = [], []
        for x, y in pts:
            if usable(y):
                run.append(f"{px(x):.1f},{py(math.log10(y) if log else y):.1f}")
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for run in runs:
            if len(run) == 1:
                cx, cy = run[0].split(",")
                out.append(f"<circle class=\"series\" cx=\"{cx}\" cy=\"{cy}\" r=\"2.5\" fill=\"{colors[name]}\">"
                           f"<title>{escape(name)}</title></circle>")
            else:
                out.append(f"<polyline class=\"series\" fill=\"none\" stroke=\"{colors[name]}\" stroke-width=\"1.6\" "
                           f"points=\"{' '.join(run)}\"><title>{escape(name)}</title></polyline>")
    for x, y, label in points:
        if usable(y):
            out.append(f"<circle class=\"finding\" cx=\"{px(x):.1f}\" cy=\"{py(math.log10(y) if log else y):.1f}\" "
                       f"r=\"3.5\" fill=\"{FINDING}\"><title>{escape(label)} (step {x})</title></circle>")
    for i, (x, label, color) in enumerate(marks[:8]):
        X = px(x)
        out.append(f"<line class=\"marker\" x1=\"{X:.1f}\" x2=\"{X:.1f}\" y1=\"{_TOP}\" y2=\"{_TOP + height}\" "
                   f"stroke=\"{color}\" stroke-width=\"2\" stroke-dasharray=\"5,3\"/>"
                   f"<text x=\"{X + 4:.1f}\" y=\"{_TOP + 12 + 12 * i}\" font-size=\"11\" fill=\"{color}\">"
                   f"{escape(label)} (step {x})</text>")
    out.append("</svg>")
    return "".join(out)


def _ticks(low: float, high: float, integer: bool = False) -> list[float]:
    span = high - low
    step = 10 ** math.floor(math.log10(span / 5)) if span > 0 else 1
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    if integer:
        step = max(1, round(step))
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step) + 1)]


def _short(where: str) -> str:
    """``dir/file.py:12`` -> ``file.py:12`` (the full path is the cell's tooltip)."""
    return where.replace("\\", "/").rsplit("/", 1)[-1]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4g}"
    return escape(str(value))
