"""Plots drawn as inline SVG: the page needs no JavaScript, no library and no network."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 540, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 14, 44


def _label(value: float) -> str:
    return f"{value:g}"


def histogram_svg(bins: list[dict], title: str, x_label: str = "points", y_label: str = "students") -> str:
    """A histogram of ``figures.histogram`` bins: one ``rect.bar`` per bin, its count in a tooltip."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = max([b["count"] for b in bins] + [1])
    slot = plot_w / max(len(bins), 1)
    parts = [f'<svg class="histogram" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for tick in _ticks(top):
        y = TOP + plot_h - plot_h * tick / top
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    step = max(1, round(len(bins) / 15))
    for index, b in enumerate(bins):
        x = LEFT + index * slot
        height = plot_h * b["count"] / top
        span = _label(b["from"]) if b["to"] - b["from"] == 1 else f"{_label(b['from'])}–{_label(b['to'])}"
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{TOP + plot_h - height:.1f}" width="{slot - 2:.1f}" '
                     f'height="{height:.1f}" data-count="{b["count"]}"><title>{escape(span)} {x_label}: '
                     f'{b["count"]} {y_label}</title></rect>')
        if index % step == 0 or index == len(bins) - 1:
            parts.append(f'<text class="tick" x="{x + slot / 2:.1f}" y="{TOP + plot_h + 16}" '
                         f'text-anchor="middle">{_label(b["from"])}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    parts.append(f'<text class="axis-label" x="{LEFT + plot_w / 2}" y="{HEIGHT - 6}" '
                 f'text-anchor="middle">{escape(x_label)}</text>')
    parts.append(f'<text class="axis-label" x="12" y="{TOP + plot_h / 2}" text-anchor="middle" '
                 f'transform="rotate(-90 12 {TOP + plot_h / 2})">{escape(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _ticks(top: int) -> list[int]:
    """A few whole-number gridlines from 0 to ``top``."""
    step = max(1, -(-top // 5))
    return list(range(0, top + 1, step))
