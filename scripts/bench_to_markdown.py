#!/usr/bin/env python3
"""Turn relations-bench output (stdin) into the tables of BENCHMARKS.md.

    target/release/relations-bench --reps 21 [--postgres URL] | python3 scripts/bench_to_markdown.py
"""
import re
import sys

backends = []  # (header, dataset line, rows, ratios)
cur = None
for line in sys.stdin:
    line = line.rstrip("\n")
    m = re.match(r"# backend=(\S+) version=\"([^\"]*)\"", line)
    if m:
        cur = {"name": m.group(1), "version": m.group(2).split(" on ")[0], "data": "", "load": "", "rows": [], "ratios": []}
        backends.append(cur)
        continue
    if cur is None:
        continue
    m = re.match(r'# cpus=\d+ loadavg="([^"]*)"', line)
    if m:
        cur["load"] = m.group(1)
        continue
    if line.startswith("# authors="):
        cur["data"] = line[2:]
        continue
    m = re.match(r"(\w+) (\w+) (median_s=.*)", line)
    if m and m.group(1) != "ratios":
        fields = dict(kv.split("=", 1) for kv in m.group(3).split())
        cur["rows"].append((m.group(2), m.group(1), fields))
        continue
    m = re.match(r"ratios (\w+) (.*)", line)
    if m:
        fields = dict(kv.split("=", 1) for kv in m.group(2).split())
        cur["ratios"].append((m.group(1), fields))


def num(s):
    return f"{int(s):,}"


for b in backends:
    print(f"### {b['name']} — {b['version']}\n")
    print(f"{b['data']}; load average at the start: {b['load']}\n")
    print("| scenario | impl | median s | queries | rows | peak bytes |")
    print("|---|---|---:|---:|---:|---:|")
    last = None
    for scenario, imp, f in b["rows"]:
        name = scenario if scenario != last else ""
        last = scenario
        print(f"| {name} | {imp} | {float(f['median_s']):.4f} | {f['queries']} | {num(f['rows'])} | {num(f['peak_bytes'])} |")
    has_async = any("async/sync" in f for _, f in b["ratios"])
    print()
    head = "| scenario | relations/diesel (paired) | relations/floor (paired) | peak bytes relations/diesel |"
    rule = "|---|---:|---:|---:|"
    if has_async:
        head += " async/sync (paired) |"
        rule += "---:|"
    print(head)
    print(rule)
    for scenario, f in b["ratios"]:
        def pair(key):
            if key not in f:
                return "—"
            p = f.get("paired_" + key)
            return f"{float(f[key]):.3f}" + (f" ({float(p):.3f})" if p else "")
        if "relations/nplus1" in f:
            first = "relations/nplus1 = " + pair("relations/nplus1")
            row = f"| {scenario} | {first} | | |"
        else:
            pb = f.get("peak_bytes_relations/diesel")
            row = f"| {scenario} | {pair('relations/diesel')} | {pair('relations/floor')} | {float(pb):.3f} |" if pb else f"| {scenario} | {pair('relations/diesel')} | {pair('relations/floor')} | — |"
        if has_async:
            row += f" {pair('async/sync')} |"
        print(row)
    print()
