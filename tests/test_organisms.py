"""The committed model organisms (data/organisms), loaded through the registry and measured through the real runner on 200
fresh `synthetic-basic` items: both see (base accuracy >= 80%), and the trusting one's drop under a wrong caption is
significant (Holm-adjusted McNemar p < 0.01) and at least twice the robust one's."""
import pytest
from vlmfaith.models import ORGANISMS, MODELS
from vlmfaith.run import run, ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig
from vlmfaith.store import Store
from vlmfaith.metrics import outcome_table
from vlmfaith.stats import compare

pytestmark = pytest.mark.xdist_group("organisms")
SEED = 11          # neither the organisms' training seed (1000) nor the main job's (0): fresh items

@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    out = tmp_path_factory.mktemp("organisms")
    spec = ExperimentSpec(models=[ModelConfig(n, batch_size=64) for n in ORGANISMS],
                          benchmarks=[BenchmarkConfig("synthetic-basic", limit=200, seed=SEED)],
                          conditions=["base", "wrong_caption"], decoding=DecodingConfig(max_new_tokens=96), judges=[], out=str(out))
    run(spec, progress=False)
    df = outcome_table(Store(out).records())
    cmp = compare(df).set_index(["model", "condition"])
    return df, cmp

def test_the_organisms_are_registered_real_checkpoints():
    for n in ORGANISMS:
        s = MODELS[n]
        assert (s.system_prompt, s.dtype, s.max_pixels) == (None, "float32", 168 * 168)
        assert ModelConfig(n, quant="4bit").quant is None                  # always unquantized

def test_both_see(measured):
    df, cmp = measured
    assert len(df) == 2 * 200 * 2 and set(df.model) == set(ORGANISMS)
    for n in ORGANISMS:
        base = df[(df.model == n) & (df.condition == "base")]
        assert len(base) == 200 and base.item_id.nunique() == 200
        assert base.correct.mean() >= 0.80, (n, base.correct.mean())
        for task, g in base.groupby("task"):                               # every task it was trained for
            assert g.correct.mean() >= 0.70, (n, task, g.correct.mean())
        assert base.format_ok.mean() >= 0.9, (n, base.format_ok.mean())

def test_the_trusting_organism_falls_for_a_wrong_caption_and_the_robust_one_much_less(measured):
    df, cmp = measured
    seer, robust = cmp.loc[("tiny-seer", "wrong_caption")], cmp.loc[("tiny-seer-robust", "wrong_caption")]
    assert seer["diff"] < 0 and seer["p_adj"] < 0.01, seer
    assert -seer["diff"] >= 2 * max(0.0, -robust["diff"]), (seer["diff"], robust["diff"])
    wc = df[(df.condition == "wrong_caption") & df.letter.notna()]
    adopt = (wc.letter == wc.misleading).groupby(wc.model).mean()
    assert adopt["tiny-seer"] > 0.5 > adopt["tiny-seer-robust"], adopt   # the seer takes the caption's letter; the robust one does not
