"GRPO through TRL on the tiny demo model beyond the notebook's LoRA run: full weights with an LLM judge and a sweep of full checkpoints; QLoRA (4-bit base) and its checkpoint."
import json
import pytest

pytest.importorskip("trl"); pytest.importorskip("peft")

from vlmfaith.synthetic import synthetic_item
from vlmfaith.demo import tiny_demo_model
from vlmfaith.run import BenchmarkConfig, DecodingConfig
from vlmfaith.store import Store
from vlmfaith.judge import CachedJudge
from vlmfaith.testing import ScriptedJudge
from vlmfaith.rl import (TINY_GRPO, DYNAMICS_COLUMNS, to_trl_dataset, make_grpo_trainer,
                         sweep_checkpoints, find_checkpoints, load_checkpoint)


def test_full_weight_grpo_with_judge_then_sweep(tmp_path):
    base = str(tiny_demo_model())
    ds = to_trl_dataset([synthetic_item(i, 100, size=128) for i in range(8)], seed=0)
    judge = CachedJudge(ScriptedJudge(), cache_dir=tmp_path/"judge")
    trainer = make_grpo_trainer(base, ds, "faithful", output_dir=tmp_path/"run", quant=None, dtype="float32", lora=None,
                                consistency="judge", judge=judge, seed=0,
                                config=TINY_GRPO | dict(max_steps=2, learning_rate=1e-4), quiet=True)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    logs = [l for l in trainer.state.log_history if "reward" in l]
    assert len(logs) == 2 and all("rewards/faithfulness/mean" in l for l in logs)
    assert judge.calls >= 1 and len(judge.cache) >= 1                       # the judge was asked, through the trainer
    assert len(list(Store(tmp_path/"judge").records())) == len(judge.cache)  # and its verdicts persisted
    assert any(l["reward_std"] > 0 and l["grad_norm"] > 0 for l in logs), logs
    assert any(not p.detach().equal(before[n]) for n, p in trainer.model.named_parameters())   # the weights moved
    cks = find_checkpoints(tmp_path/"run")
    assert [s for s, _ in cks] == [1, 2] and all((c/"config.json").exists() for _, c in cks)   # full checkpoints
    vlm = load_checkpoint(cks[-1][1], quant=None, dtype="float32")
    assert str(cks[-1][1].resolve()) in vlm.model_key and vlm.info["quant"] is None

    dyn = sweep_checkpoints(tmp_path/"run", out=tmp_path/"sweep", benchmarks=[BenchmarkConfig("synthetic", limit=4, seed=2)],
                            conditions=("base", "wrong_caption"), recipe="faithful", seed=3, quant=None, dtype="float32",
                            decoding=DecodingConfig(max_new_tokens=32), batch_size=8, progress=False)
    assert list(dyn.columns) == DYNAMICS_COLUMNS + ["undetermined"]
    assert sorted(set(dyn.step)) == [1, 2] and set(dyn.seed) == {3} and set(dyn.n) == {4}   # no base given: no step 0
    recs = list(Store(tmp_path/"sweep").records())
    assert len(recs) == 2 * 4 * 2 and {r["checkpoint"] for r in recs} == {str(c) for _, c in cks}
    assert json.loads((tmp_path/"sweep"/"sweep.jsonl").read_text().splitlines()[0])["recipe"] == "faithful"


def test_qlora_grpo_and_quantized_checkpoint(tmp_path):
    "The recipe's path: 4-bit base (bitsandbytes, here on the CPU) + LoRA through GRPO, then the checkpoint loaded 4-bit + adapter."
    bnb = pytest.importorskip("bitsandbytes")
    from vlmfaith.perturb import perturb
    from vlmfaith.rl import tiny_lora
    ds = to_trl_dataset([synthetic_item(i, 100, size=128) for i in range(8)])
    tr = make_grpo_trainer(str(tiny_demo_model()), ds, "base-reward", output_dir=tmp_path/"q", quant="4bit", dtype="float32",
                           lora=tiny_lora(), config=TINY_GRPO | dict(max_steps=2), quiet=True)
    assert any(isinstance(m, bnb.nn.Linear4bit) for m in tr.model.modules())
    tr.train()
    logs = [l for l in tr.state.log_history if "reward" in l]
    assert len(logs) == 2 and all("rewards/format/mean" in l and "rewards/accuracy/mean" in l for l in logs)
    vlm = load_checkpoint(tmp_path/"q"/"checkpoint-2", quant="4bit", dtype="float32")
    assert type(vlm.model).__name__.startswith("PeftModel") and "quant=nf4" in vlm.model_key   # not merged into 4-bit weights
    g = vlm.generate([perturb(synthetic_item(0, 1), "base")], max_new_tokens=24)
    assert len(g) == 1 and g[0].error is None and g[0].text
