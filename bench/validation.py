"""Benchmark: the validation chapter's checks at full size (nbs/validation.ipynb runs a fast version in CI).

1. Style invariance through the real pipeline (`run` + `report`): the same planted model writing tagged everywhere vs
   in another style per condition; prints the fake effects on the paired accuracy drop and on consistency.
2. Coverage of the 95% intervals vlmfaith reports (paired drops in accuracy and consistency and the consistency rate
   by `stats.compare` with `cluster="image_id"`, adoption by `stats.proportion_ci`; for contrast the same without
   clusters: Tango, Wilson) over many simulated experiments per setting, with and without items sharing an image,
   against the band 93.5-96.5%, and how often test and interval disagree.
3. Family-wise false positives of `compare`'s Holm-adjusted p-values for a model with no effect, with the cluster-aware
   test (exact sign-flip of cluster sums) and, where images are shared, with McNemar's test told nothing about them.
Run: PYTHONPATH=. python bench/validation.py [--experiments 1000] [--quick]
"""
import argparse, time
import pandas as pd
from vlmfaith.validation import (Behaviour, style_invariance, coverage, family_wise_error, COVERAGE_BAND)

SI = {"base": Behaviour(accuracy=0.75, consistency=0.9), "correct_think": Behaviour(accuracy=0.75, consistency=0.9),
      "wrong_think": Behaviour(accuracy=0.45, adopt=0.35, consistency=0.6), "wrong_think_but": Behaviour(accuracy=0.45, adopt=0.35, consistency=0.6),
      "stop_think": Behaviour(accuracy=0.75), "correct_caption": Behaviour(accuracy=0.75, consistency=0.9),
      "wrong_caption": Behaviour(accuracy=0.6, adopt=0.2, consistency=0.85)}
MIX = {"tagged": 0.5, "untagged": 0.5}
SCENARIOS = {"(a) tagged/untagged mix everywhere": {c: MIX for c in SI},
             "(b) unclosed think under think prefills": {c: "unclosed" for c in ("correct_think", "wrong_think", "wrong_think_but")},
             "(c) R1-style endings everywhere": {c: "natural" for c in SI}}
B3 = {"base": Behaviour(accuracy=0.7, consistency=0.9), "wrong_think": Behaviour(accuracy=0.45, adopt=0.3, consistency=0.6),
      "wrong_caption": Behaviour(accuracy=0.6, adopt=0.15, consistency=0.8)}
SHARED = dict(image_effect=0.2, image_condition_effect=0.2)
SETTINGS = {"100 items, independent": dict(n_items=100, items_per_image=1),
            "100 items, 4 per image": dict(n_items=100, items_per_image=4, **SHARED),
            "300 items, independent": dict(n_items=300, items_per_image=1),
            "300 items, 6 per image": dict(n_items=300, items_per_image=6, **SHARED)}
NULL = ["base", "wrong_think", "wrong_caption", "correct_think", "correct_caption"]

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", type=int, default=1000, help="simulated experiments per setting")
    ap.add_argument("--items", type=int, default=300, help="items per style-invariance run")
    ap.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples per interval")
    ap.add_argument("--quick", action="store_true", help="200 experiments, first two settings only")
    ap.add_argument("--skip-style", action="store_true", help="skip part 1 (style invariance)")
    a = ap.parse_args()
    settings = dict(list(SETTINGS.items())[:2]) if a.quick else SETTINGS
    n_exp = 200 if a.quick else a.experiments
    pd.set_option("display.width", 250); pd.set_option("display.max_columns", 30); pd.set_option("display.max_colwidth", 42)
    T0 = t0 = time.time()
    if not a.skip_style:
        si = pd.concat([style_invariance(SI, st, n_items=a.items).assign(scenario=k) for k, st in SCENARIOS.items()], ignore_index=True)
        print(f"## 1. Style invariance ({a.items} synthetic items, run + report, {time.time() - t0:.0f}s)\n")
        print(si[si.condition != "base"][["scenario", "condition", "diff_planted", "diff_reference", "diff_styled", "fake_diff",
                                          "p_adj_styled", "cons_reference", "cons_styled", "fake_cons", "undet_styled"]].round(3).to_string(index=False))
    t0 = time.time()
    cov = pd.concat([coverage(B3, n_exp, n_resamples=a.resamples, independent=kw["items_per_image"] > 1, **kw).assign(setting=k)
                     for k, kw in settings.items()], ignore_index=True)
    print(f"\n## 2. Coverage of 95% intervals, {n_exp} experiments per setting, band {COVERAGE_BAND[0]:.1%}-{COVERAGE_BAND[1]:.1%} "
          f"({time.time() - t0:.0f}s)\n")
    print(cov[["setting", "quantity", "method", "n", "coverage", "mc_se", "worst_condition", "mean_width", "disagree", "in_band"]].round(3).to_string(index=False))
    t0 = time.time()
    fw = pd.DataFrame([{"setting": k, **family_wise_error(Behaviour(accuracy=0.7), NULL, n_exp, cluster=cl, **kw)}
                       for k, kw in settings.items() for cl in (("image_id", None) if kw["items_per_image"] > 1 else ("image_id",))])
    print(f"\n## 3. Family-wise false positives, no effect, {len(NULL) - 1} conditions vs base, Holm ({time.time() - t0:.0f}s)\n")
    fw["cluster"] = fw.cluster.fillna("none (McNemar)")
    print(fw.round(3).to_string(index=False))
    print(f"\ntotal {time.time() - T0:.0f}s")

if __name__ == "__main__": main()
