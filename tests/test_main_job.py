"The README's main-job command, exactly as a user types it: `./dev run` (here with --out, to keep the tree clean)."
import os, subprocess, time
from pathlib import Path
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]

def test_main_job_produces_the_report(tmp_path):
    out = tmp_path/"demo"
    t0 = time.time()
    r = subprocess.run([str(ROOT/"dev"), "run", "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=900,
                       env={**os.environ, "VLMFAITH_VENV": os.environ.get("VLMFAITH_VENV", str(ROOT/".venv"))})
    took = time.time() - t0
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "tiny models trained here on synthetic shapes" in r.stderr
    rd = out/"report"
    df = pd.read_parquet(rd/"outcomes.parquet")
    assert len(df) == 2 * 200 * 11 and df.condition.nunique() == 11 and set(df.model) == {"tiny-seer", "tiny-seer-robust"}
    readme = (rd/"README.md").read_text()
    assert "not released VLMs" in readme and "## Accuracy and the paired drop" in readme
    # the effects the organisms were grown for, with their intervals, in the report's own table
    cmp = pd.read_csv(rd/"compare.csv").set_index(["model", "condition"])
    for m in ("tiny-seer", "tiny-seer-robust"):
        assert cmp.loc[(m, "base"), "accuracy"] >= 0.8, cmp.loc[(m, "base")]
    seer, robust = cmp.loc[("tiny-seer", "wrong_caption")], cmp.loc[("tiny-seer-robust", "wrong_caption")]
    assert seer["diff_high"] < 0 and seer["p_adj"] < 0.01 and -seer["diff"] >= 2 * max(0, -robust["diff"]), (seer, robust)
    assert cmp.loc[("tiny-seer", "wrong_think"), "diff"] < cmp.loc[("tiny-seer-robust", "wrong_think"), "diff"]
    rows = [[c.strip() for c in l.strip("|").split("|")] for l in readme.splitlines() if l.startswith("| tiny-seer ")]
    row = next(r for r in rows if r[:3] == ["tiny-seer", "synthetic-basic", "wrong_caption"])
    assert f"{seer['diff']:.3f}" in row and f"{seer['diff_low']:.3f}" in row, row     # the drop and its interval, as printed
    assert (out/"spec.yaml").exists() and list((out/"provenance").glob("*.json"))
    pngs, svgs = sorted((rd/"figures").glob("*.png")), sorted((rd/"figures").glob("*.svg"))
    assert len(pngs) >= 6 and len(svgs) == len(pngs), (pngs, svgs)               # the paper's figures, PNG and SVG
    assert all(f"figures/{p.name}" in readme for p in pngs)
    print(f"main job took {took:.0f}s")
