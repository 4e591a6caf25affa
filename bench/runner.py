"""Runner benchmarks, measured side by side in one run:
1. how long the resume scan of 1,000,000 stored records takes (keys + checksums, no JSON parsing), against a full parse;
2. the runner's own per-item overhead (prompt building, keys, store writes, bookkeeping) against the backend's time,
   on the tiny model.
Usage: python bench/runner.py [--records 1000000] [--items 40]
"""
import argparse, os, tempfile, time, shutil
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("OMP_NUM_THREADS", "1")
from pathlib import Path

def scan_bench(n):
    from vlmfaith.store import StoreFile, record_key, decoding_key, encode_record
    d = Path(tempfile.mkdtemp()); f = StoreFile(d/"big.jsonl"); dk = decoding_key(1024)
    text = "<think>" + "Let me look at the image step by step. " * 25 + "</think><answer>(B) two</answer>"
    rec = {"model": "qwen2.5-vl-7b", "benchmark": "cv-bench", "condition": "wrong_think", "options": ["1", "2", "3", "4"],
           "text": text, "letter_probs": {"letters": "ABCD", "probs": [0.1, 0.7, 0.1, 0.1], "mass": 0.93}}
    t = time.perf_counter()
    with open(f.path, "wb") as fh:
        for i in range(n): fh.write(encode_record(record_key("m", str(i), dk, 0, f"cv-bench/{i}"), {**rec, "item_id": str(i)}))
    tw = time.perf_counter() - t
    size = f.path.stat().st_size
    t = time.perf_counter(); keys = f.keys(); ts = time.perf_counter() - t
    assert len(keys) == n
    t = time.perf_counter(); m = sum(1 for _ in f.records()); tf = time.perf_counter() - t
    assert m == n
    shutil.rmtree(d)
    return dict(n=n, gb=size/1e9, write=tw, scan=ts, full=tf)

class Timed:
    "Wraps a backend and adds up the time spent inside it."
    def __init__(self, inner): self.inner, self.t = inner, 0.0
    model_key = property(lambda s: s.inner.model_key)
    def generate(self, *a, **k):
        t = time.perf_counter(); r = self.inner.generate(*a, **k); self.t += time.perf_counter() - t; return r
    def option_probs(self, *a, **k):
        t = time.perf_counter(); r = self.inner.option_probs(*a, **k); self.t += time.perf_counter() - t; return r

def overhead_bench(n_items):
    from vlmfaith.run import ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig, run, make_backend, DEFAULT_CONDITIONS
    b = Timed(make_backend(ModelConfig("tiny")))
    out = Path(tempfile.mkdtemp())/"out"
    spec = ExperimentSpec(models=[ModelConfig("tiny", batch_size=16)], benchmarks=[BenchmarkConfig("synthetic", limit=n_items)],
                          conditions=list(DEFAULT_CONDITIONS), decoding=DecodingConfig(max_new_tokens=32), out=str(out))
    t = time.perf_counter(); res = run(spec, progress=False, backends={"tiny": b}); total = time.perf_counter() - t
    n = res[("tiny", "synthetic")]["generated"]
    t = time.perf_counter(); res2 = run(spec, progress=False, backends={"tiny": b}); rescan = time.perf_counter() - t
    assert res2[("tiny", "synthetic")]["generated"] == 0
    shutil.rmtree(out.parent)
    return dict(n=n, total=total, backend=b.t, overhead=total - b.t, rerun=rescan)

if __name__ == "__main__":
    ap = argparse.ArgumentParser(); ap.add_argument("--records", type=int, default=1_000_000); ap.add_argument("--items", type=int, default=40)
    a = ap.parse_args()
    s = scan_bench(a.records)
    print(f"resume scan of {s['n']:,} records ({s['gb']:.2f} GB): {s['scan']:.2f} s (keys + CRC check), "
          f"vs full JSON parse {s['full']:.2f} s ({s['full']/s['scan']:.1f}x); writing them took {s['write']:.1f} s")
    o = overhead_bench(a.items)
    print(f"runner on the tiny model, {o['n']} generations: total {o['total']:.2f} s, inside the backend {o['backend']:.2f} s, "
          f"runner overhead {o['overhead']:.2f} s = {1000*o['overhead']/o['n']:.2f} ms per generation "
          f"({100*o['overhead']/o['total']:.1f}% of the run); a rerun that finds everything stored: {o['rerun']:.2f} s")
