"""Several machines as local processes: `vlmfaith run --shard i/3` three times at once into three folders, `vlmfaith merge`,
then `vlmfaith report` on the merged folder (the SLURM array of the run chapter, on the tiny model)."""
import os, subprocess, sys
from pathlib import Path
import pandas as pd
from vlmfaith.data import load_benchmark
from vlmfaith.run import build_prompts
from vlmfaith.store import Store, in_shard

N, LIMIT, CONDS = 3, 8, ["base", "wrong_think", "stop_think"]
EXE = Path(sys.executable).parent/"vlmfaith"          # the console script, as a user (or a SLURM job) runs it

def _vlmfaith(*args):
    return subprocess.Popen([str(EXE), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

def _done(p, timeout=600):
    out, _ = p.communicate(timeout=timeout)
    assert p.returncode == 0, out
    return out

def test_three_shards_merge_and_report(tmp_path):
    shards = [tmp_path/f"shard{i}" for i in range(N)]
    procs = [_vlmfaith("run", "--model", "tiny", "--benchmark", "synthetic", "--limit", LIMIT, "--conditions", ",".join(CONDS),
                       "--max-new-tokens", 12, "--no-judge", "--quiet", "--out", d, "--shard", f"{i}/{N}")
             for i, d in enumerate(shards)]                   # at once, as the array's tasks would
    logs = [_done(p) for p in procs]
    assert all("for other shards" in log for log in logs), logs
    parts = [list(Store(d).records()) for d in shards]
    assert all(parts), "every shard wrote records"
    for i, recs in enumerate(parts):                          # each shard kept to its share of the keys
        assert all(in_shard(r["key"], (i, N)) for r in recs)
        assert {f.name for f in Store(shards[i]).files()} == {f"synthetic.shard-{i}-of-{N}.jsonl"}

    merged = tmp_path/"merged"
    out = _done(_vlmfaith("merge", *shards, "-o", merged))
    assert f"from {N} folders" in out
    recs = list(Store(merged).records())
    lines = sum(1 for f in Store(merged).files() for _ in f.read_bytes().splitlines())
    prompts = build_prompts(load_benchmark("synthetic", limit=LIMIT, seed=0), CONDS, 0)   # what every shard built
    assert len(recs) == lines == len(prompts) == LIMIT * len(CONDS)                   # no duplicate line, none missing
    assert sorted(r["prompt_key"] for r in recs) == sorted(p.key for p in prompts)    # every prompt exactly once
    assert sorted(r["key"] for r in recs) == sorted(r["key"] for p in parts for r in p)

    out = _done(_vlmfaith("report", merged, "--no-judge", "--quiet"))
    assert f"{len(prompts)} generations" in out
    df = pd.read_parquet(merged/"report"/"outcomes.parquet")
    assert len(df) == len(prompts) and df.key.is_unique and set(df.condition) == set(CONDS)
    assert (merged/"report"/"README.md").read_text().startswith(f"# Report: {merged}")
