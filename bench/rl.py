"""What GRPO on the tiny demo model costs on this machine, and what the judge cache saves.

Run: `python bench/rl.py` (imports and the tiny model's first build are outside the timings). Measured side by side in
one run:
1. three GRPO steps (4 generations x 2 prompts per step, 48 tokens, a checkpoint per step) of the augment+faithful recipe,
   LoRA vs full weights, on the tiny demo model (`tiny_demo_model()`), seconds per run (trainer set-up included);
2. the faithfulness-aware reward with an LLM judge (the tiny model as judge) over GRPO-like batches in which
   completions repeat: one `CachedJudge` kept across batches vs a fresh one per batch (which still merges the
   repeats inside a batch), judge generations and seconds.
"""
import os, random, sys, tempfile, time, warnings
from pathlib import Path
os.environ.setdefault("OMP_NUM_THREADS", "1"); os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
warnings.filterwarnings("ignore")
from vlmfaith.synthetic import synthetic_item
from vlmfaith.models import load_vlm
from vlmfaith.demo import tiny_demo_model
from vlmfaith.judge import CachedJudge
from vlmfaith.rl import (FaithfulnessReward, TINY_GRPO, make_grpo_trainer, tiny_lora, to_trl_dataset)


def grpo(lora:bool, out:Path)->tuple:
    ds = to_trl_dataset([synthetic_item(i, 100, size=128) for i in range(16)], augment=True, seed=0)
    t0 = time.time()
    tr = make_grpo_trainer(str(tiny_demo_model()), ds, "augment+faithful", output_dir=out, quant=None, dtype="float32",
                           lora=tiny_lora() if lora else None, config=TINY_GRPO, quiet=True)
    t1 = time.time(); tr.train(); t2 = time.time()
    return t1 - t0, t2 - t1


def judge_batches(n_batches=4, per_batch=64, seed=0):
    "GRPO-like batches: 8 questions x 8 completions, templated answers that repeat across and within batches."
    rng = random.Random(seed)
    qs = [synthetic_item(i, 5) for i in range(8)]
    out = []
    for _ in range(n_batches):
        comps, opts, ans, qq = [], [], [], []
        for j in range(per_batch):
            it = qs[j // 8]; x, y = rng.choice("ABCD"), rng.choice("ABCD")
            comps.append([{"role": "assistant", "content": f"<think>I look at the image. The answer is ({x}).</think><answer>({y})</answer>"}])
            opts.append(it.options); ans.append(it.answer); qq.append(it.question)
        out.append(dict(completions=comps, options=opts, answer=ans, question=qq))
    return out


def main():
    from transformers.utils import logging as hf_logging
    from trl import GRPOTrainer                   # imports out of the timings
    import peft
    hf_logging.disable_progress_bar()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for lora in (True, False):
            setup, train = grpo(lora, Path(d)/("lora" if lora else "full"))
            rows.append(("GRPO 3 steps, " + ("LoRA" if lora else "full weights"), f"set-up {setup:.2f} s, train {train:.2f} s"))
    judge = load_vlm(str(tiny_demo_model()), quant=None, dtype="float32")
    batches = judge_batches()
    res = {}
    for mode in ("fresh judge per batch", "one cached judge"):
        shared = CachedJudge(judge, batch_size=32, max_new_tokens=12)
        t0, gens = time.time(), 0
        for b in batches:
            cj = shared if mode == "one cached judge" else CachedJudge(judge, batch_size=32, max_new_tokens=12)
            FaithfulnessReward(consistency="judge", judge=cj)(**b)
            if cj is not shared: gens += cj.judged
        gens = shared.judged if mode == "one cached judge" else gens
        res[mode] = (time.time() - t0, gens)
        rows.append((f"judge reward, {mode}", f"{res[mode][0]:.2f} s, {res[mode][1]} judge generations "
                                               f"for {len(batches)} x {len(batches[0]['completions'])} completions"))
    ratio = res["fresh judge per batch"][0] / res["one cached judge"][0]
    rows.append(("judge cache speed-up", f"{ratio:.2f}x"))
    print("| measurement | result |\n|---|---|")
    for a, b in rows: print(f"| {a} | {b} |")


if __name__ == "__main__": main()
