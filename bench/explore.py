"""Explorer responsiveness on a 50,000-row outcome table (the committed demo's 2,200 rows replicated under new item ids).

Times, side by side in one run:
- a filter change through the widget (setting a dropdown's value: select the rows and render the first one with its
  baseline row and its image, as a user sees it), cycling through conditions and outcome types;
- the selection alone (`Explorer.rows_where`: integer codes and precomputed flags);
- the straightforward pandas way for the same selection: join with the baseline rows and filter the table on every change;
- building the explorer (once per session).

Run: python bench/explore.py [n_rows]   (prints timings and ratios; no thresholds, nothing asserted)"""
import statistics, sys, time
from pathlib import Path
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

def big_table(n_rows:int=50_000):
    "The demo's outcome table replicated under new item ids (`<id>#<k>`) to at least `n_rows` rows, plus its records."
    from vlmfaith.store import Store
    from vlmfaith.explore import load_outcomes
    from vlmfaith.judge import stored_verdicts
    recs = list(Store(ROOT/"data"/"smoke").records())
    df = load_outcomes(ROOT/"data"/"smoke", recs, stored_verdicts(ROOT/"data"/"smoke"/"judge"))
    k = -(-n_rows // len(df))
    parts = [df.assign(item_id=df.item_id + f"#{i}", image_id=df.image_id + f"#{i}") for i in range(k)]
    return pd.concat(parts, ignore_index=True).iloc[:n_rows].reset_index(drop=True), recs

def pandas_select(df, condition=None, outcome=None, baseline="base"):
    "The naive way: join with the baseline rows and filter the whole table on each change."
    pair = ["model", "benchmark", "item_id", "sample"]
    base = df.loc[df.condition == baseline, pair + ["correct"]].rename(columns={"correct": "correct_base"})
    m = df.merge(base, on=pair, how="left")
    keep = pd.Series(True, index=m.index)
    if condition is not None: keep &= m.condition == condition
    if outcome == "c2w": keep &= (m.condition != baseline) & m.correct_base.eq(True) & ~m.correct
    elif outcome == "adopted": keep &= m.misleading.notna() & (m.letter == m.misleading)
    elif outcome == "inconsistent": keep &= m.consistent_rule.eq(False).fillna(False) | m.consistent_judge.eq(False).fillna(False)
    elif outcome == "parse_failure": keep &= m.status != "ok"
    return np.flatnonzero(keep.to_numpy(bool))

def timed(f, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return statistics.median(ts), max(ts)

def main(n_rows:int=50_000):
    from vlmfaith.explore import Explorer, ItemImages
    from vlmfaith.synthetic import synthetic_item
    from vlmfaith.run import ExperimentSpec
    df, recs = big_table(n_rows)
    spec_images = ItemImages(ExperimentSpec.load(ROOT/"data"/"smoke"/"spec.yaml"))
    items = lambda b, iid: spec_images.item(b, iid.split("#")[0])     # replicated ids show the original item's image
    t0 = time.perf_counter()
    ex = Explorer(outcomes=df, records=recs, items=items)
    t_build = time.perf_counter() - t0
    ui = ex.widget(); c = ui.controls
    changes = [("condition", "wrong_think"), ("outcome", "c2w"), ("condition", "wrong_think_but"), ("outcome", "adopted"),
               ("condition", "wrong_caption"), ("outcome", "inconsistent"), ("condition", None), ("outcome", "parse_failure"),
               ("task", "count"), ("task", None), ("outcome", None)]
    ts = []
    for rep in range(4):
        for name, v in changes:
            t0 = time.perf_counter(); c[name].value = v; ts.append(time.perf_counter() - t0)
            assert "vfx" in c["view"].value
    combos = [(cond, out) for cond in ("wrong_think", "wrong_caption", None) for out in ("c2w", "adopted", "inconsistent", "parse_failure")]
    ident = lambda d, rows: sorted(zip(d.item_id.to_numpy()[rows], d.condition.to_numpy()[rows]))
    for cond, out in combos:        # the same rows both ways
        assert ident(ex.outcomes, ex.rows_where(condition=cond, outcome=out)) == ident(df, pandas_select(df, cond, out)), (cond, out)
    ours = timed(lambda: [ex.rows_where(condition=cd, outcome=o) for cd, o in combos], 10)
    naive = timed(lambda: [pandas_select(df, cd, o) for cd, o in combos], 3)
    nav = timed(lambda: (ex.next(), ex.view_html()), 30)
    rng = np.random.default_rng(0); cold = []
    for i in rng.choice(len(df), 20, replace=False):     # an item never shown: its image is regenerated and encoded
        ex.images._png.clear(); t0 = time.perf_counter(); ex.item_html(int(i)); cold.append(time.perf_counter() - t0)
    print(f"outcome table: {len(df):,} rows ({df.item_id.nunique():,} items x {df.condition.nunique()} conditions)")
    print(f"build Explorer (once): {t_build*1e3:.0f} ms")
    print(f"filter change through the widget (select + render the first row with its image): median {statistics.median(ts)*1e3:.1f} ms, "
          f"max {max(ts)*1e3:.1f} ms over {len(ts)} changes")
    print(f"next row (render with its image): median {nav[0]*1e3:.1f} ms, max {nav[1]*1e3:.1f} ms")
    print(f"render a row whose image was never shown (cold: item regenerated, PNG encoded): median "
          f"{statistics.median(cold)*1e3:.1f} ms, max {max(cold)*1e3:.1f} ms")
    per = lambda t: t / len(combos) * 1e3
    print(f"selection alone: {per(ours[0]):.2f} ms per change (codes + precomputed flags) vs {per(naive[0]):.1f} ms "
          f"(pandas join + filter each time): {naive[0]/ours[0]:.0f}x faster")

if __name__ == "__main__": main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
