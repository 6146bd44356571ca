"""The report as one self-contained HTML page: inline CSS, inline SVG, no script, no link out.

It opens from ``file://`` with no server and no network. Sections, in order: what changed
(with ``--previous``), the distributions (totals, each exercise's points), the named
mistakes ranked, the pass rate of every check, time limits and crashes, who scored
nothing, grader failures.
"""

from __future__ import annotations

from html import escape

from autograder.report.svg import histogram_svg
from autograder.report.table import KIND_WORDS

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2430;margin:0;background:#f6f7f9}
main{max-width:1240px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:20px;margin:34px 0 10px;border-bottom:2px solid #dde2ea;padding-bottom:4px}
h3{font-size:16px;margin:18px 0 6px}
.muted{color:#5b6576}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:10px 16px;min-width:120px}
.card b{display:block;font-size:22px}
.plots{display:flex;flex-wrap:wrap;gap:16px}
.plot{background:#fff;border:1px solid #dde2ea;border-radius:8px;padding:8px 12px;width:566px;max-width:100%;box-sizing:border-box}
.plot h3{font-size:14px;font-weight:600;margin:4px 0 6px;min-height:2.9em}
svg.histogram .bar{fill:#3d6fd8}
svg.histogram .grid{stroke:#e6e9ef}
svg.histogram .axis{stroke:#5b6576}
svg.histogram text{font-size:11px;fill:#5b6576}
svg.histogram .axis-label{font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2ea;font-size:14px}
th,td{padding:6px 9px;border-bottom:1px solid #e6e9ef;text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.rate-cell{white-space:nowrap}
.rate{display:inline-block;width:110px;height:10px;background:#f1d4d4;border-radius:5px;overflow:hidden;vertical-align:middle;margin-right:6px}
.rate i{display:block;height:100%;background:#3aa56b}
.tag{display:inline-block;font-size:11px;padding:1px 6px;border-radius:9px;background:#5b3fb5;color:#fff;margin-left:4px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre.example{white-space:pre-wrap;margin:0;font-size:12.5px;background:#f6f7f9;padding:6px 8px;border-radius:6px;max-height:11em;overflow:auto}
#mistakes-table td:nth-child(2) code,#consequences-table td:nth-child(2) code{overflow-wrap:anywhere}
#mistakes-table td:nth-child(4),#consequences-table td:nth-child(4){min-width:190px}
#mistakes-table td:nth-child(5),#consequences-table td:nth-child(5){width:42%}
table.narrow{width:auto;min-width:50%}
.better{color:#207a48}
.worse{color:#b3261e}
"""



def page(report: dict) -> str:
    """The whole HTML document of a report (``figures.compute`` plus ``changes``)."""
    sections = [_header(report), _changes(report.get("changes")), _distributions(report), _mistakes(report),
                _checks(report), _limits(report), _nothing(report), _failures(report)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Class report — {escape(report.get('assignment', ''))}</title><style>{CSS}</style></head>"
            f"<body><main>{''.join(sections)}</main></body></html>\n")


def _hidden(flag: bool) -> str:
    return '<span class="tag">hidden</span>' if flag else ""


def _num(value) -> str:
    return "—" if value is None else f"{round(value, 2):g}"


def _rate(rate: float | None) -> str:
    if rate is None:
        return '<span class="muted">nobody handed it in</span>'
    return f'<span class="rate"><i style="width:{100 * rate:.1f}%"></i></span>{100 * rate:.0f}%'


def _table(headers: list[str], rows: list[str], table_id: str = "", css: str = "") -> str:
    head = "".join(f"<th>{h}</th>" for h in headers)
    ident = (f' id="{table_id}"' if table_id else "") + (f' class="{css}"' if css else "")
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _header(report: dict) -> str:
    totals = report["totals"]
    cards = [("students graded", totals["students"]), ("grader failures", len(report["grader_failures"])),
             ("mean total", f"{_num(totals['mean'])} / {_num(totals['max_points'])}"),
             ("median total", _num(totals["median"])), ("named mistakes", sum(not m.get("consequence") for m in report["mistakes"]))]
    card_html = "".join(f'<div class="card"><b>{escape(str(v))}</b><span class="muted">{k}</span></div>'
                        for k, v in cards)
    return (f"<h1>Class report: {escape(report.get('assignment', ''))}</h1>"
            f"<p class=\"muted\">{escape(report['source'])} results in <code>{escape(report.get('graded', ''))}"
            f"</code>, report written {escape(report.get('generated_at', ''))}. Grader failures are listed apart "
            f"and counted in no figure.</p><div class=\"cards\">{card_html}</div>")


def _distributions(report: dict) -> str:
    """The histogram of totals, then one per exercise somebody handed in (over those who did)."""
    totals = report["totals"]
    caption = (f"Totals: {totals['students']} students, mean {_num(totals['mean'])}, median "
               f"{_num(totals['median'])}, lowest {_num(totals['lowest'])}, highest {_num(totals['highest'])} "
               f"of {_num(totals['max_points'])}")
    plots = [f'<div class="plot" id="totals"><h3>{caption}</h3>'
             f'{histogram_svg(totals["histogram"], "Distribution of totals", "total points")}</div>']
    nobody = []
    for name, ex in report["exercises"].items():
        if not ex["students"]:
            nobody.append(escape(ex["title"]))
            continue
        caption = (f"{escape(ex['title'])}: {ex['students']} handed in, mean {_num(ex['mean'])} of "
                   f"{_num(ex['max_points'])}" + (f"; {ex['not_submitted']} did not"
                                                 if ex["not_submitted"] else ""))
        plots.append(f'<div class="plot" id="exercise-{escape(name)}"><h3>{caption}</h3>'
                     f'{histogram_svg(ex["histogram"], "Points on " + ex["title"], "points")}</div>')
    note = f'<p class="muted">Nobody handed in: {", ".join(nobody)}.</p>' if nobody else ""
    return f'<h2 id="distributions">Distributions</h2><div class="plots">{"".join(plots)}</div>{note}'


def _checks(report: dict) -> str:
    rows = []
    nobody = [e for e, ex in report["exercises"].items() if not ex["students"]]
    for c in report["checks"]:
        if c["exercise"] in nobody:
            continue
        kinds = ", ".join(f"{KIND_WORDS.get(k, k)} {n}" for k, n in c["failures"].items())
        rows.append(f'<tr data-check="{escape(c["exercise"])}.{escape(c["check"])}"><td>{escape(c["exercise"])}</td>'
                    f'<td><code>{escape(c["check"])}</code>{_hidden(c["hidden"])}</td>'
                    f'<td class="num">{_num(c["max_points"])}</td><td class="num">{c["passed"]} / {c["students"]}</td>'
                    f'<td class="rate-cell">{_rate(c["pass_rate"])}</td><td>{escape(kinds)}</td></tr>')
    skipped = (f" Not shown, as nobody handed them in: {escape(', '.join(nobody))} (their checks are in "
               "checks.csv)." if nobody else "")
    return ('<h2 id="checks">Pass rate of every check</h2><p class="muted">Over the students who handed the '
            f'exercise in. Hidden checks are marked.{skipped}</p>'
            + _table(["exercise", "check", "points", "passed", "pass rate", "failures"], rows, "checks-table"))


def _mistakes(report: dict) -> str:
    own = [m for m in report["mistakes"] if not m.get("consequence")]
    consequences = [m for m in report["mistakes"] if m.get("consequence")]
    if not own:
        html = '<h2 id="mistakes">Named mistakes</h2><p class="muted">No named mistake: nobody made one.</p>'
    else:
        html = ('<h2 id="mistakes">Named mistakes, most students first</h2><p class="muted">Each with one example '
                'message, the one most students got, without names or paths.</p>'
                + _table(["#", "mistake", "students", "what it means", "example message"], _mistake_rows(own),
                         "mistakes-table"))
    if consequences:
        html += ('<h3 id="consequences">Checks failed as a consequence</h3><p class="muted">These checks build on '
                 'a function that is wrong (its own mistake is counted above): they clear up when it is fixed.</p>'
                 + _table(["#", "consequence", "students", "what it means", "example message"],
                          _mistake_rows(consequences), "consequences-table"))
    return html


def _mistake_rows(mistakes: list[dict]) -> list[str]:
    return [f'<tr data-students="{m["students"]}"><td class="num">{rank}</td>'
            f'<td><code>{escape(m["id"]).replace(".", ".<wbr>")}</code>{_hidden(m["hidden"])}</td>'
            f'<td class="num">{m["students"]}</td><td>{escape(m["description"])}</td>'
            f'<td><pre class="example">{escape(m["example"])}</pre></td></tr>'
            for rank, m in enumerate(mistakes, start=1)]


def _limits(report: dict) -> str:
    if not report["limits_and_crashes"]:
        return '<h2 id="limits">Time limits and crashes</h2><p class="muted">No check timed out or crashed.</p>'
    rows = [f'<tr><td>{escape(c["exercise"])}</td><td><code>{escape(c["check"])}</code>{_hidden(c["hidden"])}</td>'
            f'<td class="num">{c["time_limit"]}</td><td class="num">{c["crash"]}</td>'
            f'<td class="num">{c["students"]}</td></tr>' for c in report["limits_and_crashes"]]
    return ('<h2 id="limits">Time limits and crashes</h2>'
            + _table(["exercise", "check", "time limit", "crash", "handed in"], rows, "limits-table"))


def _nothing(report: dict) -> str:
    rows = []
    for exercise, zero in report["scored_nothing"].items():
        title = report["exercises"][exercise]["title"]
        who = "everybody" if not report["exercises"][exercise]["students"] else ", ".join(zero["not_submitted"])
        rows.append(f'<tr><td>{escape(title)}</td><td class="num">{len(zero["not_submitted"])}</td>'
                    f'<td>{escape(who)}</td>'
                    f'<td class="num">{len(zero["submitted_zero"])}</td>'
                    f'<td>{escape(", ".join(zero["submitted_zero"]))}</td></tr>')
    return ('<h2 id="nothing">Students who scored nothing on an exercise</h2>'
            + _table(["exercise", "not handed in", "who", "handed in, 0 points", "who"], rows, "nothing-table"))


def _failures(report: dict) -> str:
    if not report["grader_failures"]:
        return '<h2 id="failures">Grader failures</h2><p class="muted">None: every grading completed.</p>'
    rows = [f'<tr><td>{escape(f["student"])}</td><td>{escape(f["exercise"] or "all")}</td>'
            f'<td>{escape(f["status"])}</td><td>{escape(f["detail"])}</td></tr>' for f in report["grader_failures"]]
    return ('<h2 id="failures">Grader failures (not scores: left out of every figure)</h2>'
            + _table(["student", "part", "status", "detail"], rows, "failures-table"))


def _changes(changes: dict | None) -> str:
    if changes is None:
        return ""
    parts = [f'<h2 id="changes">Since the previous report</h2><p class="muted">Previous report written '
             f'{escape(str(changes.get("previous_generated_at") or "?"))}.</p><ul>']
    for key, words in (("regraded", "regraded"), ("new_students", "new"), ("removed_students", "no longer here")):
        names = changes[key]
        parts.append(f"<li>{len(names)} {words}{': ' + escape(', '.join(names)) if names else ''}</li>")
    parts.append("</ul>")
    parts.append(_moved("Totals that moved", changes["totals_moved"], "student"))
    parts.append(_moved("Mistakes whose number of students moved", changes["mistakes_moved"], "id",
                        lower_is_better=True))
    parts.append(_moved("Pass rates that moved", changes["pass_rates_moved"], "id", percent=True))
    return "".join(parts)


def _moved(title: str, moved: list[dict], key: str, percent: bool = False, lower_is_better: bool = False) -> str:
    """A before → after table; the after value green when it moved the good way, red otherwise."""
    if not moved:
        return f'<h3>{title}</h3><p class="muted">None.</p>'

    def show(value):
        return "—" if value is None else (f"{100 * value:.0f}%" if percent else f"{value:g}")

    rows = []
    for m in moved:
        rose = (m["after"] or 0) > (m["before"] or 0)
        better = "better" if rose != lower_is_better else "worse"
        rows.append(f'<tr><td><code>{escape(str(m[key]))}</code></td><td class="num">{show(m["before"])}</td>'
                    f'<td class="num {better}">{show(m["after"])}</td></tr>')
    return f"<h3>{title}</h3>" + _table([key, "before", "after"], rows, css="narrow")
