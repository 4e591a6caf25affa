"""The report's parsed-columns cache across processes: files parsed in spawned workers give the rows one process gives,
and a report of a folder that grew parses only what is new (the notebook shows the rest on one process)."""
import random
import pandas as pd
import vlmfaith.report as R
from vlmfaith.metrics import outcome_table
from vlmfaith.store import Store, GenerationRecord, record_key

def _records(model, bench, n, seed):
    rng = random.Random(seed); out = []
    for i in range(n):
        L = rng.choice("ABC"); t = rng.choice(["<think>It is {L}.</think><answer>({L})</answer>", "So the answer is {L}.", "hmm"])
        r = GenerationRecord(model=model, model_key=f"{model}@1", benchmark=bench, item_id=f"{bench}/{i}", condition="base",
                             answer="B", options=["one", "two", "three"], text=t.format(L=L), prompt_key=f"{bench}{i}",
                             decoding={"max_new_tokens": 8}, letter_probs={"letters": "ABC", "probs": [0.2, 0.5, 0.3], "mass": 1.0})
        out.append((record_key(r.model_key, r.prompt_key, r.decoding, 0, r.item_id), r.to_dict()))
    return out

def test_workers_match_one_process(tmp_path, monkeypatch):
    out = tmp_path/"out"; st = Store(out)
    for m in ("m1", "m2"):
        for b in ("b1", "b2"):
            with st.file(f"{m}@1", b) as f: f.append(_records(m, b, 50, hash((m, b)) % 1000))
    fresh = outcome_table(st.records())
    monkeypatch.setattr(R, "PARALLEL_BYTES", 0)                     # a small folder through the process pool
    tm = {}; df = R.outcomes(out, workers=2, timings=tm)
    assert (tm["parsed"], tm["reused"]) == (200, 0)
    pd.testing.assert_frame_equal(df, fresh)
    with st.file("m1@1", "b2") as f: f.append(_records("m1", "b2", 60, 7)[50:] + _records("m1", "b1", 3, 1))   # 10 new, 3 copies
    tm = {}; df = R.outcomes(out, workers=2, timings=tm)
    assert (tm["parsed"], tm["reused"]) == (13, 200)               # copies of stored keys in another file are rows of it too
    pd.testing.assert_frame_equal(df, outcome_table(st.records()))  # ... and dropped as Store.records drops them
    assert len(df) == 210
