"""Report speed at the paper's scale: `report(out, judge=False)` on 22k, 220k and 1M stored generations, the first
report of a folder and the second (the parsed-columns cache), the split by stage, and the growth per 10x rows.

The folders are written through the store's own writer (`Store.file(...).append`: the same JSONL lines, checksums and
files per model x benchmark) from a pool of real records: a simulated VLM (`validation.SimulatedVLM`, five answer styles)
run by `run` on the synthetic benchmark under all eleven default conditions, its reasoning padded to about 300 tokens
(about 1,300 characters of the model's own words per response; `stop_think` answers after its closed prefill and then
explains). Each stored row takes one pool record as its template and gets its own model, benchmark, item, image (two
questions share an image on half the benchmarks), keys and a freshly drawn reasoning text: 6 models x 8 benchmarks x
11 conditions x items, as in the paper. Folders are cached under --cache (default /tmp/vlmfaith-bench-report) and
reused by later runs; the report folder inside is removed before each first report.

Run: python bench/report.py [--sizes 22000,220000,1000000] [--cache DIR] [--workers N] [--added K] [--reuse] [--legacy]
(--legacy: the report as it was before the cache, for the before/after table; it times stages by wrapping functions.
 --added K: also a report after K new records were appended, which parses only them but computes tables and figures.)
"""
import argparse, hashlib, json, os, random, shutil, sys, time, warnings
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("MPLBACKEND", "Agg")
from pathlib import Path

MODELS = ["qwen2.5-vl-3b", "qwen2.5-vl-7b", "internvl3-8b", "llava-ov-7b", "gemma3-12b", "vlm-r1-3b"]
BENCHMARKS = ["cv-bench", "blink", "mmstar", "vsr", "whatsup", "spatial-mm", "3dsrbench", "synthetic"]
SHARED_IMAGE = {"cv-bench", "blink", "whatsup", "3dsrbench"}   # two questions per image: the cluster bootstrap path

_COLORS = ["red", "blue", "green", "yellow", "black", "white", "orange", "purple", "grey", "brown"]
_THINGS = ["chair", "table", "lamp", "car", "person", "dog", "cup", "bottle", "window", "door", "book", "plant", "bicycle"]
_SENT = [
    "The {c} {t} is in the {where} part of the image, about {n} pixels from the {edge} edge.",
    "Next to it there is a {c2} {t2}, which looks {size} than the {t} at first glance.",
    "I need to be careful with perspective here, because objects further back appear smaller than they are.",
    "Counting again from left to right, I see {n2} objects that could matter for this question.",
    "The shadow of the {t} falls towards the {edge}, so the light comes from the other side.",
    "Looking at the {c} {t} more closely, its base touches the floor {where2} the {t2}.",
    "The {t2} partly hides the {t}, which means the {t2} is closer to the camera.",
    "If I estimate the depth from the floor tiles, the {t} is roughly {n3} meters away.",
    "There is also some clutter near the {edge} border, but none of it looks like a {t}.",
    "The question asks about the spatial arrangement, so I should compare positions rather than colours.",
    "Measuring the gap between the {t} and the {t2}, it is about {n} pixels wide.",
    "Hmm, the {c} region could be a reflection, but the outline matches a {t}.",
]

def _reasoning(rng:random.Random, chars:int=1300)->str:
    "About `chars` characters of step-by-step description, drawn with `rng` (no option letters in it)."
    out, n = [], 0
    while n < chars:
        s = rng.choice(_SENT).format(c=rng.choice(_COLORS), c2=rng.choice(_COLORS), t=rng.choice(_THINGS), t2=rng.choice(_THINGS),
                                     where=rng.choice(["upper", "lower", "left", "right", "central"]), n=rng.randint(5, 400),
                                     n2=rng.randint(2, 9), n3=rng.randint(1, 12), edge=rng.choice(["left", "right", "top", "bottom"]),
                                     size=rng.choice(["larger", "smaller"]), where2=rng.choice(["in front of", "behind", "beside"]))
        out.append(s); n += len(s) + 1
    return " ".join(out)

_HOOK = "check each option."

def _pad(rec:dict, rng:random.Random)->dict:
    "The record with its reasoning padded to about 300 tokens (text and continuation alike)."
    cont = rec["continuation"]; more = _reasoning(rng)
    if _HOOK in cont: new = cont.replace(_HOOK, _HOOK + " " + more, 1)
    else: new = cont + "\n\nExplanation: " + more          # a closed prefill: the model answers, then explains
    return {**rec, "continuation": new, "text": (rec.get("prefill") or "") + new,
            "completion_tokens": int(len(new.split()) * 1.3)}

def pool(cache:Path)->list:
    "Real records of a simulated VLM on the synthetic benchmark under every default condition (cached as JSON)."
    p = cache/"pool.json"
    if p.exists(): return json.loads(p.read_text())
    from vlmfaith.validation import SimulatedVLM, Behaviour
    from vlmfaith.run import run, ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig, DEFAULT_CONDITIONS
    from vlmfaith.store import Store
    styles = {"tagged": 4, "natural": 2, "untagged": 1, "unclosed": 1, "truncated": 0.3}
    recs, tmp = [], cache/"pool-run"
    for i, acc in enumerate((0.55, 0.7, 0.85)):
        sim = SimulatedVLM({c: Behaviour(accuracy=acc*0.6, adopt=0.3, consistency=0.7, style=styles)
                            for c in ("wrong_think", "wrong_think_but", "wrong_caption", "wrong_think+abstain")},
                           default=Behaviour(accuracy=acc, style=styles), seed=i, name=f"pool{i}")
        spec = ExperimentSpec(models=[ModelConfig(sim.name, quant=None)], benchmarks=[BenchmarkConfig("synthetic", limit=60)],
                              conditions=list(DEFAULT_CONDITIONS), out=str(tmp), decoding=DecodingConfig(max_new_tokens=512))
        run(spec, backends={sim.name: sim}, progress=False)
    recs = list(Store(tmp).records()); shutil.rmtree(tmp)
    cache.mkdir(parents=True, exist_ok=True); p.write_text(json.dumps(recs))
    return recs

def write_folder(n:int, out:Path, templates:list, chunk:int=20000)->Path:
    "A results folder of `n` stored generations: 6 models x 8 benchmarks x 11 conditions x items (store writer, cached)."
    from vlmfaith.store import Store, record_key
    if (out/"DONE").exists(): return out
    if out.exists(): shutil.rmtree(out)
    by_cond = {}
    for r in templates: by_cond.setdefault(r["condition"], []).append(r)
    conds = sorted(by_cond)
    per_file = -(-n // (len(MODELS) * len(BENCHMARKS)))        # rows per model x benchmark file
    items = -(-per_file // len(conds))
    store, written, rng = Store(out), 0, random.Random(n)
    for m in MODELS:
        mk = f"bench/{m}@4bit"
        for b in BENCHMARKS:
            rows, k = [], min(per_file, n - written)
            for j in range(k):
                item, c = divmod(j, len(conds)); cond = conds[c]
                tpl = by_cond[cond][(item * 7 + MODELS.index(m)) % len(by_cond[cond])]
                iid = f"{b}/{item:06d}"
                pk = hashlib.sha256(f"{b}|{iid}|{cond}".encode()).hexdigest()
                rec = {kk: v for kk, v in _pad(tpl, rng).items() if kk != "key"}
                rec.update(model=m, model_key=mk, benchmark=b, item_id=iid, prompt_key=pk,
                           image_id=f"{b}/img{item // 2:06d}" if b in SHARED_IMAGE else iid)
                rows.append((record_key(mk, pk, rec["decoding"], 0, iid), rec))
            with store.file(mk, b) as f:
                for i in range(0, len(rows), chunk): f.append(rows[i:i + chunk])
            written += k
    (out/"DONE").write_text(str(written))
    return out

def folder(n:int, cache:Path)->Path:
    "The cached folder of `n` rows (written on first use)."
    return write_folder(n, cache/f"rows-{n}", pool(cache))

# --- timing ---------------------------------------------------------------------------------------------------------

STAGES = ["read store", "parse", "outcome table", "stats", "figures", "write"]

class _Wrapped:
    "Time the legacy report's stages by wrapping the functions it calls (the old report has no `timings=`)."
    def __init__(self): self.t, self.undo = dict.fromkeys(STAGES, 0.0), []
    def wrap(self, mod, name, stage, listify=False):
        f = getattr(mod, name)
        def g(*a, **k):
            t = time.perf_counter()
            try:
                r = f(*a, **k)
                return list(r) if listify else r
            finally: self.t[stage] += time.perf_counter() - t
        setattr(mod, name, g); self.undo.append((mod, name, f))
    def __enter__(self):
        import pandas as pd
        import vlmfaith.report as R, vlmfaith.metrics as M, vlmfaith.plots as P, vlmfaith.store as S
        self.wrap(S.Store, "records", "read store", listify=True)
        self.wrap(M, "parse_generation", "parse")
        self.wrap(R, "outcome_table", "outcome table")
        for n in ("compare", "summary", "survival_auroc"): self.wrap(R, n, "stats")
        self.wrap(P, "report_figures", "figures")
        for n in ("to_parquet", "to_csv"): self.wrap(pd.DataFrame, n, "write")
        return self
    def __exit__(self, *a):
        for mod, name, f in reversed(self.undo): setattr(mod, name, f)
        self.t["outcome table"] -= self.t["parse"]     # outcome_table's own time, without the parser inside it

def timed_report(out:Path, legacy:bool, workers=None)->tuple:
    "(seconds, {stage: seconds}) of one `report(out, judge=False)`."
    from vlmfaith.report import report
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if legacy:
            with _Wrapped() as w:
                t = time.perf_counter(); report(out, judge=False, progress=False); total = time.perf_counter() - t
            st = dict(w.t, parsed=None, reused=None)
        else:
            st = {}; t = time.perf_counter()
            report(out, judge=False, progress=False, timings=st, **({} if workers is None else dict(workers=workers)))
            total = time.perf_counter() - t
    counts = {k: st.get(k) for k in ("parsed", "reused")}
    st = {k: st.get(k, 0.0) for k in STAGES}; st["other"] = total - sum(st.values())
    return total, st, counts

def add_records(out:Path, k:int)->tuple:
    "Append `k` new items' records (copies of one file's first lines under new keys, items and images); (file, size before)."
    from vlmfaith.store import Store, StoreFile
    f = Store(out).files()[0]; size = f.stat().st_size
    rows = []
    for i, (key, rec) in zip(range(k), StoreFile(f).records()):
        rows.append((__import__("hashlib").sha256(f"added{i}{key}".encode()).hexdigest(), {**rec, "item_id": rec["item_id"] + f"+{i}", "image_id": rec["item_id"] + f"+{i}"}))   # new items, own images
    with StoreFile(f) as sf: sf.append(rows)
    return f, size

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="22000,220000,1000000")
    ap.add_argument("--cache", default="/tmp/vlmfaith-bench-report")
    ap.add_argument("--workers", type=int, default=None, help="processes for parsing new records (default: the report's)")
    ap.add_argument("--legacy", action="store_true", help="time the report as it was before the cache (first report only)")
    ap.add_argument("--reuse", action="store_true", help="keep OUT/report: the first timed report starts from its cache")
    ap.add_argument("--added", type=int, default=0, help="also time a report after appending this many new records")
    ap.add_argument("--json", default=None, help="also write the results here")
    a = ap.parse_args()
    cache = Path(a.cache); sizes = [int(s) for s in a.sizes.split(",")]
    import vlmfaith
    print(f"vlmfaith {getattr(vlmfaith, '__version__', '?')} from {Path(vlmfaith.__file__).parent}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f} (the machine is shared)", flush=True)
    res = []
    for n in sizes:
        t = time.perf_counter(); out = folder(n, cache); tw = time.perf_counter() - t
        size = sum(f.stat().st_size for f in (out/"records").rglob("*.jsonl"))
        print(f"{n:,} rows: folder {out} ({size/1e9:.2f} GB{'' if tw < 1 else f', written in {tw:.0f} s'})", flush=True)
        if not a.reuse: shutil.rmtree(out/"report", ignore_errors=True)
        runs = [("first", *timed_report(out, a.legacy, a.workers))]
        if not a.legacy:
            runs.append(("second", *timed_report(out, False, a.workers)))
            if a.added:                  # a report after new records: parses only them, computes tables and figures again
                f, size = add_records(out, a.added)
                try: runs.append((f"+{a.added}", *timed_report(out, False, a.workers)))
                finally: os.truncate(f, size)    # the cached folder stays as written (its cache is refreshed next time)
        for which, total, st, counts in runs:
            res.append(dict(rows=n, report=which, total=total, **st, **counts))
            print(f"  {which:<6} {total:7.1f} s  " + "  ".join(f"{k} {v:.1f}" for k, v in st.items())
                  + ("" if counts["parsed"] is None else f"  (parsed {counts['parsed']:,}, reused {counts['reused']:,})"), flush=True)
    print_tables(res)
    if a.json: Path(a.json).write_text(json.dumps(res, indent=1))

def print_tables(res:list):
    "The stage split per size and report, then growth per 10x rows."
    cols = STAGES + ["other"]
    print("\n| rows | report | total s | s per 100k | " + " | ".join(cols) + " |")
    print("|---:|---|---:|---:|" + "---:|" * len(cols))
    for r in res:
        print(f"| {r['rows']:,} | {r['report']} | {r['total']:.1f} | {r['total'] / r['rows'] * 1e5:.1f} | "
              + " | ".join(f"{r[c]:.1f}" for c in cols) + " |")
    print("\n| report | rows | total s | x per 10x rows |\n|---|---:|---:|---:|")
    for which in dict.fromkeys(r["report"] for r in res):
        rs = sorted((r for r in res if r["report"] == which), key=lambda r: r["rows"])
        for p, r in zip([None] + rs, rs):
            g = "" if p is None else f"{(r['total'] / p['total']) ** (1 / __import__('math').log10(r['rows'] / p['rows'])):.1f}"
            print(f"| {which} | {r['rows']:,} | {r['total']:.1f} | {g} |")

if __name__ == "__main__": main()
