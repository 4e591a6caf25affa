"The GPU validation script, run in its CPU mode (`--tiny`): same code path as on the GPU, on a tiny model."
import json, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def test_gpu_validate_tiny(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, str(ROOT/"bench"/"gpu_validate.py"), "--tiny", "--out", str(tmp_path),
                        "--model-dir", str(tmp_path)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = json.loads((tmp_path/"gpu_validate.json").read_text())
    assert set(out["loads"]) == {"4bit", "bf16"} and out["build"]["params"] > 0
    for name, res in out["loads"].items():
        assert "error" not in res, (name, res.get("error"))
        assert [g["batch_size"] for g in res["generation"]] == [1, 8, 16, 32]
        assert all(g["tokens"] > 0 and g["ceiling_fraction"] > 0 for g in res["generation"])
        assert res["letter_probs"]["sums_to_one"] and res["letter_probs"]["ratio"] > 0
        assert res["agreement"]["identical"] == res["agreement"]["prompts"]          # float math on the CPU
        assert res["oom"]["order_kept_all_complete"] and res["oom"]["halvings"] == [[8, 4], [4, 2]]
    assert "| 4bit | 32 |" in r.stdout and "fraction of ceiling" in r.stdout
