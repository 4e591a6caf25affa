"LLM-judge consistency end to end on the tiny demo model through both backends (its verdicts are noise; the plumbing is real)."
import pytest
from vlmfaith.api import OpenAIVLM, local_server
from vlmfaith.judge import judge_consistency
from vlmfaith.models import load_vlm
from vlmfaith.demo import tiny_demo_model
from vlmfaith.run import ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig, run, make_backend
from vlmfaith.report import report
from vlmfaith.store import Store

RECS = [dict(question="How many cats are there?", options=["1", "2", "3"], think=f"I count {n} cats, so ({L}).",
             answer_text=f"({A})", item_id=f"i{k}")
        for k, (n, L, A) in enumerate([(2, "B", "B"), (2, "B", "A"), (3, "C", "C"), (1, "A", "C")])]

@pytest.fixture(scope="module")
def served():
    with local_server(tiny_demo_model(), timeout=120) as srv: yield srv

def test_judge_through_the_hf_backend():
    labels = judge_consistency(load_vlm(str(tiny_demo_model()), quant=None, dtype="float32"), RECS, max_new_tokens=12)
    assert len(labels) == len(RECS) and all(l is not None for l in labels), labels   # every reply carried a verdict line

def test_judge_through_the_openai_backend(served):
    labels = judge_consistency(OpenAIVLM(served.model, base_url=served.base_url), RECS, max_new_tokens=12)
    assert len(labels) == len(RECS) and all(l is not None for l in labels), labels

def test_report_judges_through_a_server_and_caches(tmp_path, served):
    "A results folder judged by a model behind an OpenAI-compatible server: judge records are stored once."
    out = tmp_path/"out"
    spec = ExperimentSpec(models=[ModelConfig("tiny")], benchmarks=[BenchmarkConfig("synthetic", limit=6)],
                          conditions=["base", "wrong_think"], decoding=DecodingConfig(max_new_tokens=32),
                          judges=[ModelConfig(served.model, backend="openai", base_url=served.base_url, batch_size=4),
                                  ModelConfig("tiny", batch_size=4)],
                          judge_max_new_tokens=12, out=str(out))
    run(spec, progress=False)
    report(out, progress=False, figures=False)
    n = len(list(Store(out/"judge").records()))
    assert n > 0
    readme = (out/"report"/"README.md").read_text()
    assert "## LLM judges" in readme and "Fleiss' kappa" in readme
    report(out, progress=False, figures=False)
    assert len(list(Store(out/"judge").records())) == n            # the second report judged nothing new
