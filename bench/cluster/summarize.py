#!/usr/bin/env python3
"""Summarize rounds of bench/cluster/run.sh: median and min..max over rounds, per variant and leg.

    bench/cluster/summarize.py OUT.md LABEL=RESULT.json[,RESULT.json...] [LABEL=...]

Each LABEL names a variant (a jar, a flag) and its rounds' result files (one per round). Ratios to
one node ("x 1all") are taken within a round (same file), then summarized, so a round's machine
load cancels out of the ratio. Prints the table and writes it to OUT.md.
"""
import json
import statistics
import sys


def spread(values, fmt="{:.0f}"):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}..{fmt.format(max(values))})"


def main():
    out = sys.argv[1]
    variants = []
    for arg in sys.argv[2:]:
        label, files = arg.split("=", 1)
        variants.append((label, [json.load(open(f)) for f in files.split(",")], files.split(",")))
    md = []
    first = variants[0][1][0]
    md.append(f"Rounds: {', '.join(f'{label}: ' + ', '.join(r['date'] for r in runs) for label, runs, _ in variants)}.")
    md.append(f"Command of the first: `{first['command']}`; node CPU budget {first.get('nodeCpus')} core(s) per node.")
    md.append("")
    md.append("Each cell: median over rounds (min..max). x 1 node: ratio to the 1-node leg of the same round.")
    md.append("")
    md.append("| variant | setup | durable sends/s | x 1 node | ack p50 / p99 ms | delivery p50 / p99 ms | @open-loop ack p50 / p99 ms | "
              "@open-loop delivery p50 / p99 ms | @open-loop delivery p99 from due ms | node CPU ms / send | node CPU cores | throttled % | avg batch | errors | load avg (1 min) |")
    md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, runs, _ in variants:
        keys = []
        for r in runs:
            for leg in r["legs"]:
                if leg["key"] not in keys:
                    keys.append(leg["key"])
        for key in keys:
            legs = []
            ratios = []
            for r in runs:
                base = next((l for l in r["legs"] if l["key"] == "1all"), None)
                leg = next((l for l in r["legs"] if l["key"] == key), None)
                if leg is None:
                    continue
                legs.append(leg)
                if base and base["send"]["sendsPerSecond"]:
                    ratios.append(leg["send"]["sendsPerSecond"] / base["send"]["sendsPerSecond"])
            s = [l["send"] for l in legs]
            o = [l["rate"] or {} for l in legs]
            errors = sum((x.get("errors") or 0) for x in s) + sum((x.get("errors") or 0) for x in o)
            loads = [float(l["loadBefore"].split()[0]) for l in legs] + [float(l["loadAfter"].split()[0]) for l in legs]
            md.append(
                f"| {label} | {legs[0]['label']} | {spread([x['sendsPerSecond'] for x in s])} | {spread(ratios, '{:.2f}')} | "
                f"{spread([x['p50Ms'] for x in s])} / {spread([x['p99Ms'] for x in s])} | "
                f"{spread([x['deliveryP50Ms'] for x in s])} / {spread([x['deliveryP99Ms'] for x in s])} | "
                f"{spread([x.get('ackP50Ms') for x in o], '{:.1f}')} / {spread([x.get('ackP99Ms') for x in o])} | "
                f"{spread([x.get('deliveryP50Ms') for x in o], '{:.1f}')} / {spread([x.get('deliveryP99Ms') for x in o])} | "
                f"{spread([x.get('deliveryP99FromDueMs') for x in o])} | "
                f"{spread([l.get('nodeCpuMsPerSend') for l in legs], '{:.3f}')} | {spread([l['nodeCpuCores'] for l in legs], '{:.2f}')} | "
                f"{spread([l.get('throttledPct') for l in legs], '{:.0f}')} | {spread([l.get('avgCommitBatch') for l in legs])} | {errors} | "
                f"{min(loads):.1f}-{max(loads):.1f} |")
    md.append("")
    md.append("Raw: " + "; ".join(f"{label}: {', '.join(files)}" for label, _, files in variants))
    text = "\n".join(md) + "\n"
    open(out, "w").write(text)
    print(text)


if __name__ == "__main__":
    main()
