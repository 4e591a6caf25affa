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
    assert "smoke test of the pipeline, not a measurement" in r.stderr
    rd = out/"report"
    df = pd.read_parquet(rd/"outcomes.parquet")
    assert len(df) == 200 * 11 and df.condition.nunique() == 11
    readme = (rd/"README.md").read_text()
    assert "not a measurement of any model" in readme and "## Accuracy and the paired drop" in readme
    assert (out/"spec.yaml").exists() and list((out/"provenance").glob("*.json"))
    pngs, svgs = sorted((rd/"figures").glob("*.png")), sorted((rd/"figures").glob("*.svg"))
    assert len(pngs) >= 6 and len(svgs) == len(pngs), (pngs, svgs)               # the paper's figures, PNG and SVG
    assert all(f"figures/{p.name}" in readme for p in pngs)
    print(f"main job took {took:.0f}s")
