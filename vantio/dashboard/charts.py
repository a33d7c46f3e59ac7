"""Charts drawn on the server as SVG: no script, no asset from elsewhere, readable offline."""

from collections.abc import Callable
from html import escape

from markupsafe import Markup

_COLORS = ("#2563eb", "#7c3aed", "#0891b2", "#059669", "#d97706")


def funnel_svg(stages: list[tuple[str, int, str]]) -> Markup:
    """Horizontal bars, one a stage: (label, value that sets the length, text shown)."""
    width, bar_height, gap, label_width = 640, 34, 12, 150
    height = len(stages) * (bar_height + gap)
    top = max((value for _, value, _ in stages), default=0) or 1
    summary = ", ".join(f"{label}: {text}" for label, _, text in stages)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Funnel. {escape(summary)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, value, text) in enumerate(stages):
        y = index * (bar_height + gap)
        length = max(2, round((width - label_width - 90) * value / top)) if value else 2
        parts.append(
            f'<text x="0" y="{y + 22}" class="chart-label">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" rx="4" '
            f'fill="{_COLORS[index % len(_COLORS)]}"/>'
            f'<text x="{label_width + length + 8}" y="{y + 22}" class="chart-value">'
            f"{escape(text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()


def series_svg(
    days: dict[str, dict[str, int]],
    names: tuple[str, ...],
    fmt: Callable[[int], str] = str,
    empty: str = "No scans or signups in this period.",
) -> Markup:
    """One line a series over the days, with the first and last day and the peak labelled
    (`fmt` writes the peak, e.g. an amount in minor units as money)."""
    width, height, bottom, top_pad = 640, 220, 30, 14
    keys = list(days)
    if not keys:
        return Markup(f'<p class="muted">{escape(empty)}</p>')  # noqa: S704 -- escaped
    peak = max((days[d][n] for d in keys for n in names), default=0) or 1
    left = max(40, 8 * len(fmt(peak)) + 10)  # room for the peak's label
    plot_w, plot_h = width - left - 10, height - bottom - top_pad

    def x(i: int) -> float:
        return left + (plot_w * i / (len(keys) - 1) if len(keys) > 1 else plot_w / 2)

    def y(v: int) -> float:
        return top_pad + plot_h - plot_h * v / peak

    totals = ", ".join(f"{n}: {fmt(sum(days[d][n] for d in keys))}" for n in names)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Per day from {keys[0]} to {keys[-1]}. Totals {escape(totals)}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" '
        'class="chart-axis"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" class="chart-tick" text-anchor="end">'
        f"{escape(fmt(peak))}</text>",
        f'<text x="{left - 6}" y="{top_pad + plot_h}" class="chart-tick" text-anchor="end">0</text>',
        f'<text x="{left}" y="{height - 8}" class="chart-tick">{keys[0]}</text>',
        f'<text x="{width - 10}" y="{height - 8}" class="chart-tick" text-anchor="end">'
        f"{keys[-1]}</text>",
    ]
    for index, name in enumerate(names):
        points = " ".join(f"{x(i):.1f},{y(days[d][name]):.1f}" for i, d in enumerate(keys))
        color = _COLORS[index % len(_COLORS)]
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5"/>'
        )
        if len(keys) == 1:
            parts.append(
                f'<circle cx="{x(0):.1f}" cy="{y(days[keys[0]][name]):.1f}" r="4" fill="{color}"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it went through escape()
