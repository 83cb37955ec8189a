#!/usr/bin/env python3
"""Per-pair ratios of a scripts/bench-minio-ab.sh run: for every cell, the
ratio Kura/MinIO of ops/s in each repetition and their median (the figure
docs/benchmarks.md reports), then the DeleteObjects cell and any re-keys."""
import csv, glob, re, statistics, sys, os
D = sys.argv[1]
reps = sorted({int(re.search(r'-(\d+)\.csv', f).group(1)) for f in glob.glob(D+'/matrix-*-*.csv')})
def load(srv, rep):
    out = {}
    p = f'{D}/matrix-{srv}-{rep}.csv'
    if not os.path.exists(p): return out
    for r in csv.DictReader(open(p)):
        out[(r['sse'], int(r['size_bytes']), int(r['concurrency']), r['op'])] = (float(r['ops_per_s']), float(r['mb_per_s']), int(r['errors']))
    return out
cells = {}
for rep in reps:
    k, m = load('kura', rep), load('minio', rep)
    for c in k:
        if c in m:
            cells.setdefault(c, []).append((k[c][0], m[c][0], k[c][2] + m[c][2]))
def fsz(n):
    return f'{n>>20} MiB' if n >= 1<<20 else f'{n>>10} KiB'
print('| cell | Kura ops/s (median) | MinIO ops/s (median) | per-pair ratios Kura/MinIO | median ratio |')
print('| --- | ---: | ---: | --- | ---: |')
for c in sorted(cells, key=lambda c: (c[3], c[0], c[1], c[2])):
    v = [x for x in cells[c] if x[1] > 0]  # a phase that failed outright (e.g. disk full) has no pair
    if not v:
        print(f'| {c[3]} {fsz(c[1])} {c[0].upper()} c={c[2]} | – | – | no pair (MinIO 0 ops/s) | – |')
        continue
    ratios = [a/b for a, b, _ in v]
    errs = sum(e for _, _, e in cells[c])
    print(f'| {c[3]} {fsz(c[1])} {c[0].upper()} c={c[2]} | {statistics.median([a for a,_,_ in v]):,.1f} | {statistics.median([b for _,b,_ in v]):,.1f} | {", ".join(f"{r:.2f}" for r in ratios)} | **{statistics.median(ratios):.2f}**{" errs=%d"%errs if errs else ""} |')
dr = []
for rep in reps:
    vals = {}
    for srv in ('kura', 'minio'):
        p = f'{D}/delete-{srv}-{rep}.txt'
        if os.path.exists(p):
            m = re.search(r'DELETE objects=\d+ time=[\d.]+s (\d+) obj/s remaining=(\d+)', open(p).read())
            if m: vals[srv] = (int(m.group(1)), int(m.group(2)))
    if len(vals) == 2: dr.append((vals['kura'], vals['minio']))
if dr:
    rs = [k[0]/m[0] for k, m in dr]
    print(f'| DeleteObjects 3,000 keys | {statistics.median([k[0] for k,_ in dr]):,} obj/s | {statistics.median([m[0] for _,m in dr]):,} obj/s | {", ".join(f"{r:.2f}" for r in rs)} | **{statistics.median(rs):.2f}** (remaining {[k[1] for k,_ in dr]}/{[m[1] for _,m in dr]}) |')
for p in sorted(glob.glob(D + '/rekey-*.txt')):
    m = re.search(r'BULK .* (\d+) obj/s p50=([\d.]+)ms', open(p).read())
    if m:
        print(f'Kura UpdateObjectEncryption over HTTP, 16 callers ({os.path.basename(p)}): {m.group(1)} objects/s, p50 {m.group(2)} ms')
