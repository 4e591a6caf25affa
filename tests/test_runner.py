"The runner under crashes: SIGKILL at random points, Ctrl-C, shards, damaged store lines, bad items, backend errors."
import json, os, random, signal, subprocess, sys, time, warnings
from pathlib import Path
import pytest
from vlmfaith.run import ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig, run, make_backend, RunStopped
from vlmfaith.store import Store, StoreFile, merge

CONDS = ["base", "wrong_think", "stop_think", "wrong_caption+abstain"]

def _spec(out, limit=24, bs=4):
    return ExperimentSpec(models=[ModelConfig("tiny", batch_size=bs)], benchmarks=[BenchmarkConfig("synthetic", limit=limit)],
                          conditions=CONDS, decoding=DecodingConfig(max_new_tokens=24), out=str(out))

def _write_spec(spec, path):
    import yaml; Path(path).write_text(yaml.safe_dump(spec.to_dict())); return path

def _facts(out):
    "(key, text, finish_reason) of every record, and the number of lines in the record files (duplicates show up there)."
    recs = sorted((r["key"], r["text"], r["finish_reason"]) for r in Store(out).records())
    lines = sum(1 for f in Store(out).files() for _ in StoreFile(f).scan())
    return recs, lines

@pytest.fixture(scope="module")
def backend():
    return make_backend(ModelConfig("tiny"))

@pytest.fixture(scope="module")
def reference(tmp_path_factory, backend):
    out = tmp_path_factory.mktemp("ref")/"out"
    run(_spec(out), progress=False, backends={"tiny": backend})
    recs, lines = _facts(out)
    assert len(recs) == 24 * len(CONDS) == lines
    return recs

def _cli(spec_path, *extra, env=None):
    exe = Path(sys.executable).parent/"vlmfaith"          # the console script, as a user runs it
    return subprocess.Popen([str(exe), "run", str(spec_path), "--no-report", "--quiet", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})

def _wait_for_records(out, n, proc, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout and proc.poll() is None:
        if sum(1 for f in Store(out).files() for _ in StoreFile(f).scan()) >= n: return True
        time.sleep(0.05)
    return False

def test_sigkill_at_random_points_then_resume(tmp_path, reference):
    "Kill the run with SIGKILL three times at random moments, rerun to the end: the same records, no duplicates."
    out = tmp_path/"out"; sp = _write_spec(_spec(out, bs=3), tmp_path/"spec.yaml")
    rng, kills = random.Random(7), 0
    for target in (rng.randint(4, 20), rng.randint(30, 50), rng.randint(60, 80)):
        p = _cli(sp)
        if _wait_for_records(out, target, p):
            time.sleep(rng.uniform(0, 0.3))               # land anywhere: mid-batch, mid-write
            p.send_signal(signal.SIGKILL); kills += 1
        p.wait()
    assert kills >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                   # a torn tail may be reported; it is the point of the test
        p = _cli(sp); o, _ = p.communicate(timeout=300)
        assert p.returncode == 0, o.decode()[-2000:]
        recs, lines = _facts(out)
    assert recs == reference and lines == len(reference), (len(recs), lines)

def test_ctrl_c_stops_after_the_batch(tmp_path, reference):
    out = tmp_path/"out"; sp = _write_spec(_spec(out, bs=3), tmp_path/"spec.yaml")
    p = _cli(sp)
    assert _wait_for_records(out, 6, p)
    p.send_signal(signal.SIGINT)
    o, _ = p.communicate(timeout=120)
    assert p.returncode == 130 and b"stopped by Ctrl-C" in o, o.decode()[-1500:]
    partial, lines = _facts(out)
    assert 0 < len(partial) < len(reference) and lines == len(partial) and len(partial) % 3 == 0   # whole batches only
    p = _cli(sp); o, _ = p.communicate(timeout=300); assert p.returncode == 0
    assert _facts(out)[0] == reference

def test_two_shards_killed_resumed_and_merged_equal_one_run(tmp_path, reference):
    "Two shards in parallel, one of them SIGKILLed mid-run and rerun; merged, they equal one uninterrupted run."
    outs = [tmp_path/"s0", tmp_path/"s1"]
    specs = [_write_spec(_spec(o, bs=3), tmp_path/f"spec{i}.yaml") for i, o in enumerate(outs)]
    procs = [_cli(sp, "--shard", f"{i}/2") for i, sp in enumerate(specs)]
    assert _wait_for_records(outs[0], 9, procs[0])
    procs[0].send_signal(signal.SIGKILL); procs[0].wait()
    o, _ = procs[1].communicate(timeout=300); assert procs[1].returncode == 0, o.decode()[-1500:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = _cli(specs[0], "--shard", "0/2"); o, _ = p.communicate(timeout=300); assert p.returncode == 0, o.decode()[-1500:]
        n0, n1 = len(_facts(outs[0])[0]), len(_facts(outs[1])[0])
        assert n0 and n1 and n0 + n1 == len(reference)
        merge(outs, tmp_path/"all")
        assert _facts(tmp_path/"all") == (reference, len(reference))

def test_damaged_line_is_skipped_and_redone(tmp_path, backend, reference):
    out = tmp_path/"out"; spec = _spec(out)
    run(spec, progress=False, backends={"tiny": backend})
    f = Store(out).files()[0]
    lines = f.read_bytes().split(b"\n")
    lines[5] = lines[5][:300] + b"GARBAGE" + lines[5][307:]            # damaged on disk: its checksum fails
    f.write_bytes(b"\n".join(lines))
    with pytest.warns(UserWarning, match=r"line 6 is damaged"):
        res = run(spec, progress=False, backends={"tiny": backend})
    assert res[("tiny", "synthetic")]["generated"] == 1                 # only the damaged record is redone
    with pytest.warns(UserWarning, match="damaged"): assert sorted(_facts(out)[0]) == reference
    assert (Path(str(f) + ".corrupt")).exists()

def test_unreadable_image_is_skipped_or_a_clear_error(tmp_path):
    "A benchmark row with an unreadable image is skipped and named; with `strict` it stops the run before any model work, naming file, row, field and defect."
    from vlmfaith.benchmarks import write_fixture
    fx = write_fixture("cv-bench", tmp_path/"cv", n=4, bad={2: {"image": b"not an image"}})
    spec = ExperimentSpec(models=[ModelConfig("tiny")], benchmarks=[BenchmarkConfig("cv-bench", path=str(fx), options={"strict": True})],
                          conditions=["base"], out=str(tmp_path/"out"))
    p = _cli(_write_spec(spec, tmp_path/"spec.yaml")); o, _ = p.communicate(timeout=120)
    assert p.returncode == 2 and b"row 2, field 'image'" in o and b"CV-Bench" in o and b"unreadable_image" in o, o.decode()[-1500:]
    assert not list((tmp_path/"out").rglob("*.jsonl")), "no model work before the error"
    spec.benchmarks[0].options, spec.out = {}, str(tmp_path/"out2")
    p = _cli(_write_spec(spec, tmp_path/"spec2.yaml")); o, _ = p.communicate(timeout=300)
    assert p.returncode == 0 and b"CV-Bench: 4 rows read, 3 loaded, 0 repaired, 1 skipped (unreadable_image 1)" in o, o.decode()[-1500:]

class _Flaky:
    "Wraps a real backend; fails on the prompts of one item (a stand-in for a server error on one request)."
    def __init__(self, inner, bad_item): self.inner, self.bad = inner, bad_item
    model_key = property(lambda self: self.inner.model_key)
    def generate(self, prompts, **kw):
        if any(p.item_id == self.bad for p in prompts): raise RuntimeError(f"backend failure on {self.bad}")
        return self.inner.generate(prompts, **kw)
    def option_probs(self, items, **kw): return self.inner.option_probs(items, **kw)

def test_backend_error_mid_batch(tmp_path, backend, reference):
    "One item's prompts fail: they go to errors.jsonl, the rest of their batches is stored, and a rerun completes."
    out = tmp_path/"out"; spec = _spec(out, bs=8)
    bad = "synthetic-0-00003"
    res = run(spec, progress=False, backends={"tiny": _Flaky(backend, bad)})
    c = res[("tiny", "synthetic")]
    assert c["failed"] == len(CONDS) and c["generated"] == len(reference) - len(CONDS)
    errs = [json.loads(l) for l in (out/"errors.jsonl").read_text().splitlines()]
    assert {e["item_id"] for e in errs} == {bad} and all("backend failure" in e["error"] for e in errs)
    res = run(spec, progress=False, backends={"tiny": backend})
    assert res[("tiny", "synthetic")]["generated"] == len(CONDS)
    assert _facts(out)[0] == reference

def test_systematic_failure_stops_the_run(tmp_path, backend):
    class Down(_Flaky):
        def generate(self, prompts, **kw): raise ConnectionError("server down")
    with pytest.raises(RunStopped, match="every prompt of a batch failed"):
        run(_spec(tmp_path/"out"), progress=False, backends={"tiny": Down(backend, None)})
