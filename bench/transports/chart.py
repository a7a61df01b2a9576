#!/usr/bin/env python3
"""Draws bench/transports results as an SVG: receive latency (log axis) and TCP handshakes per
message by transport, for the LB path at each rate. No plotting library: plain SVG, rendered to PNG
by headless Chromium in run.sh."""
import json, math, sys

rows = json.load(open(sys.argv[1]))
out = sys.argv[2]
lb = [r for r in rows if r["path"] == "lb"] or rows
rates = sorted({r["rate"] for r in lb})

def label(r):
    if r["transport"] == "ws":
        return "WebSocket"
    s = "long poll" if r["transport"] == "longpoll" else "poll " + r["poll_interval"]
    return s + (" +ka" if r["keepalive"] else " new conn")

W, H = 1180, 580
pad_l, pad_t, panel_w, panel_h = 70, 60, 460, 360
colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759"]
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       '<text x="20" y="28" font-size="17" font-weight="bold">The design\'s argument, measured: one chat node behind the LB</text>']

def fmt(v):
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"

def panel(x0, title, key, log, unit):
    cells = [r for r in lb if r["rate"] == rates[0]]
    labels = [label(r) for r in cells]
    vals = {rate: [next((r[key] for r in lb if r["rate"] == rate and label(r) == l), None) for l in labels] for rate in rates}
    allv = [v for vs in vals.values() for v in vs if v is not None and v > 0]
    vmax = max(allv) if allv else 1
    vmin = min(allv) if allv else 0.1
    if log:
        lo = 10 ** math.floor(math.log10(max(vmin, 1e-3)))
        hi = 10 ** math.ceil(math.log10(vmax))
        y = lambda v: pad_t + panel_h - (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * panel_h
        ticks = [lo * 10 ** i for i in range(int(round(math.log10(hi / lo))) + 1)]
    else:
        raw = vmax / 4
        mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
        hi = step * math.ceil(vmax * 1.05 / step)
        y = lambda v: pad_t + panel_h - v / hi * panel_h
        ticks = [step * i for i in range(int(round(hi / step)) + 1)]
    svg.append(f'<text x="{x0}" y="{pad_t - 12}" font-size="14">{title}</text>')
    for t in ticks:
        ty = y(t)
        svg.append(f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="#ddd"/>')
        svg.append(f'<text x="{x0 - 6}" y="{ty + 4:.1f}" text-anchor="end">{t:g}</text>')
    svg.append(f'<text x="{x0 - 50}" y="{pad_t + panel_h / 2}" transform="rotate(-90 {x0 - 50} {pad_t + panel_h / 2})" text-anchor="middle">{unit}</text>')
    n = len(labels)
    gw = panel_w / max(n, 1)
    bw = gw * 0.8 / max(len(rates), 1)
    for i, l in enumerate(labels):
        for j, rate in enumerate(rates):
            v = vals[rate][i]
            if v is None:
                continue
            bx = x0 + i * gw + gw * 0.1 + j * bw
            by = y(v) if v > 0 else pad_t + panel_h
            svg.append(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bw - 1:.1f}" height="{pad_t + panel_h - by:.1f}" fill="{colors[j % 4]}"/>')
            svg.append(f'<text x="{bx + bw / 2:.1f}" y="{by - 4:.1f}" text-anchor="middle" font-size="10">{fmt(v)}</text>')
        lx = x0 + i * gw + gw / 2
        svg.append(f'<text x="{lx:.1f}" y="{pad_t + panel_h + 14}" transform="rotate(35 {lx:.1f} {pad_t + panel_h + 14})">{l}</text>')
    svg.append(f'<line x1="{x0}" x2="{x0 + panel_w}" y1="{pad_t + panel_h}" y2="{pad_t + panel_h}" stroke="#333"/>')

panel(pad_l, "Receive latency p50 (send to recipient), log scale", "recv_p50_ms", True, "ms")
panel(pad_l + panel_w + 90, "TCP handshakes per message sent", "handshakes_per_msg", False, "handshakes / message")
for j, rate in enumerate(rates):
    svg.append(f'<rect x="{W - 200}" y="{20 + j * 18}" width="12" height="12" fill="{colors[j % 4]}"/>')
    svg.append(f'<text x="{W - 182}" y="{30 + j * 18}">{rate:g} messages/s</text>')
svg.append("</svg>")
open(out, "w").write("\n".join(svg))
