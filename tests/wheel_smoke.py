"Run from outside the repository against the installed wheel: what a `pip install vlmfaith` user gets (no torch)."
import sys
import vlmfaith
assert "site-packages" in vlmfaith.__file__, f"imported from {vlmfaith.__file__}, not the installed wheel"
from vlmfaith.data import load_benchmark
from vlmfaith.perturb import perturb, PAPER_CONDITIONS
from vlmfaith.parse import parse_response
from vlmfaith.metrics import outcome_table, summary
from vlmfaith.stats import compare, mcnemar_sample_size
from vlmfaith.store import Store, record_key, decoding_key

items = load_benchmark("synthetic", limit=20)                      # generated: the wheel carries no data files
prompts = [perturb(it, c) for it in items for c in ("base", "wrong_think", "wrong_caption")]
assert all(p.misleading not in (None, p.answer) for p in prompts if p.condition != "base")
recs = []
for i, p in enumerate(prompts):                                    # a stand-in "model" that follows wrong CoTs half the time
    letter = p.misleading if (p.misleading and i % 2) else p.answer
    recs.append(dict(key=record_key("smoke", p.key, decoding_key(64), 0, p.item_id), model="smoke", benchmark="synthetic",
                     item_id=p.item_id, task=p.task, condition=p.label, sample=0, options=p.options, answer=p.answer,
                     misleading=p.misleading, finish_reason="stop",
                     text=(p.prefill or "<think>") + f" So ({letter}).</think><answer>({letter})</answer>"))
df = outcome_table(recs)
assert parse_response("<answer>(B) two</answer>", ["one", "two"]).letter == "B"
cmp = compare(df, "base")
assert set(cmp.condition) == {"base", "wrong_think", "wrong_caption"} and (cmp["diff"].dropna() < 0).all()
assert len(summary(df)) == 3 and mcnemar_sample_size(0.06, 0.03).n > 0
heavy = [m for m in ("torch", "transformers", "bitsandbytes", "trl") if m in sys.modules]
assert not heavy, heavy
print("smoke ok", vlmfaith.__version__, len(df), "rows")
