#!/usr/bin/env python3
"""Turn relations-bench output (stdin) into the tables of BENCHMARKS.md.

    target/release/relations-bench --reps 21 [--postgres URL] | python3 scripts/bench_to_markdown.py

With `--scaling`, the input is several runs of one backend at different sizes
(`--authors 1000`, `10000`, `100000`, concatenated): one table per scenario,
a row per size, with time and peak heap.
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


# The best implementation that is not the library or the floor: what a user
# could write instead (hand-written Diesel, or a peer's strategy by hand).
LIBRARY = (
    "relations",
    "relations_shape",
    "relations_shared",
    "relations_keyed",
    "relations_async",
    "relations_join",
    "relations_by_key",
    "relations_adaptive",
    "relations_separate",
)
NOT_PEERS = LIBRARY + ("floor", "floor_owned", "floor_shared", "nplus1", "children", "children_len", "children_max")


def best_other(rows, scenario):
    peers = [(float(f["median_s"]), imp) for s, imp, f in rows if s == scenario and imp not in NOT_PEERS]
    mine = [float(f["median_s"]) for s, imp, f in rows if s == scenario and imp == "relations"]
    if not peers or not mine:
        return "—"
    t, imp = min(peers)
    return f"{mine[0] / t:.3f} ({imp})"


if "--scaling" in sys.argv:
    scenarios = []
    for b in backends:
        for scenario, _, _ in b["rows"]:
            if scenario not in scenarios:
                scenarios.append(scenario)
    print(f"{backends[0]['name']} — {backends[0]['version']}\n")
    for scenario in scenarios:
        print(f"**{scenario}**\n")
        owned = any(imp == "floor_owned" for b in backends for s, imp, _ in b["rows"] if s == scenario)
        shared = any(imp == "relations_shared" for b in backends for s, imp, _ in b["rows"] if s == scenario)
        fshared = any(imp == "floor_shared" for b in backends for s, imp, _ in b["rows"] if s == scenario)
        keyed = any(imp == "relations_keyed" for b in backends for s, imp, _ in b["rows"] if s == scenario)
        extra = " relations/floor_owned (paired) |" if owned else ""
        extra += " shared/floor (paired) | peak MB shared |" if shared else ""
        extra += " shared/floor_shared (paired) |" if shared and fshared else ""
        extra += " keyed/floor (paired) | peak MB keyed |" if keyed else ""
        print("| authors | relations s | diesel s | floor s | relations/floor (paired) |" + extra + " relations/diesel (paired) | peak MB relations | peak MB diesel | peak MB floor |" + (" peak MB floor_owned |" if owned else ""))
        print("|---:|---:|---:|---:|---:|" + ("---:|" if owned else "") + ("---:|---:|" if shared else "") + ("---:|" if shared and fshared else "") + ("---:|---:|" if keyed else "") + "---:|---:|---:|---:|" + ("---:|" if owned else ""))
        for b in backends:
            authors = re.search(r"authors=(\d+)", b["data"]).group(1)
            by = {imp: f for s, imp, f in b["rows"] if s == scenario}
            ratios = dict(next((f for s, f in b["ratios"] if s == scenario), {}))
            if "relations" not in by:
                continue
            def sec(imp):
                return f"{float(by[imp]['median_s']):.4f}" if imp in by else "—"
            def mb(imp):
                return f"{int(by[imp]['peak_bytes']) / 1e6:.1f}" if imp in by else "—"
            def pair(key):
                if key not in ratios:
                    return "—"
                p = ratios.get("paired_" + key)
                return f"{float(ratios[key]):.3f}" + (f" ({float(p):.3f})" if p else "")
            extra = f" {pair('relations/floor_owned')} |" if owned else ""
            extra += f" {pair('shared/floor')} | {mb('relations_shared')} |" if shared else ""
            extra += f" {pair('shared/floor_shared')} |" if shared and fshared else ""
            extra += f" {pair('keyed/floor')} | {mb('relations_keyed')} |" if keyed else ""
            print(f"| {int(authors):,} | {sec('relations')} | {sec('diesel')} | {sec('floor')} | {pair('relations/floor')} |{extra} {pair('relations/diesel')} | {mb('relations')} | {mb('diesel')} | {mb('floor')} |" + (f" {mb('floor_owned')} |" if owned else ""))
        print()
    sys.exit(0)


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
    has_shared = any("shared/floor" in f for _, f in b["ratios"])
    has_fshared = any("shared/floor_shared" in f for _, f in b["ratios"])
    has_owned = any("relations/floor_owned" in f for _, f in b["ratios"])
    has_keyed = any("keyed/floor" in f for _, f in b["ratios"])
    print()
    head = "| scenario | relations/diesel (paired) | relations/floor (paired) | relations/best other (which) | peak bytes relations/diesel |"
    rule = "|---|---:|---:|---|---:|"
    if has_owned:
        head += " relations/floor_owned (paired) |"
        rule += "---:|"
    if has_async:
        head += " async/sync (paired) |"
        rule += "---:|"
    if has_shared:
        head += " shared/floor (paired) | shared/diesel (paired) |"
        rule += "---:|---:|"
    if has_fshared:
        head += " shared/floor_shared (paired) |"
        rule += "---:|"
    if has_keyed:
        head += " keyed/floor (paired) |"
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
            row = f"| {scenario} | {first} | | | |"
        else:
            pb = f.get("peak_bytes_relations/diesel")
            best = best_other(b["rows"], scenario)
            peak = f"{float(pb):.3f}" if pb else "—"
            row = f"| {scenario} | {pair('relations/diesel')} | {pair('relations/floor')} | {best} | {peak} |"
        if has_owned:
            row += f" {pair('relations/floor_owned')} |"
        if has_async:
            row += f" {pair('async/sync')} |"
        if has_shared:
            row += f" {pair('shared/floor')} | {pair('shared/diesel')} |"
        if has_fshared:
            row += f" {pair('shared/floor_shared')} |"
        if has_keyed:
            row += f" {pair('keyed/floor')} |"
        print(row)
    print()
