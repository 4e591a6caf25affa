"""Speed of the Hugging Face backend on the tiny model, measured side by side in one run.

Prints two ratios (median of `--repeats` runs each, after a warm-up):
  1. batched generation (batch size `--batch-size`) vs one prompt at a time, same prompts, same tokens;
  2. the letter-probability pass (one forward pass per prompt over prompt + generated text + `<answer>(`)
     vs the generation that produced those texts.

    python bench/models.py [--n 32] [--max-new-tokens 32] [--batch-size 8] [--quant 4bit]
"""
import argparse, os, statistics, tempfile, time
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quant", default=None, choices=[None, "4bit", "8bit"])
    a = ap.parse_args()
    import torch
    from PIL import Image
    from transformers.utils import logging as hf_logging
    from vlmfaith.data import MCItem
    from vlmfaith.perturb import perturb
    from vlmfaith.models import tiny_vlm, load_vlm
    hf_logging.disable_progress_bar()
    d = tiny_vlm(tempfile.mkdtemp() + "/tiny")
    vlm = load_vlm(d, quant=a.quant, dtype="float32")
    items = [MCItem(f"i{j}", Image.new("RGB", (48 + 9*j, 40 + 5*j), "red"), "How many cats are there?" + " Look." * (j % 5),
                    ["one", "two", "three", "four"][:2 + j % 3], "A") for j in range(a.n)]
    ps = [perturb(it) for it in items]

    def timed(f):
        f()                                    # warm-up
        ts = []
        for _ in range(a.repeats):
            t0 = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t0)
        return statistics.median(ts), r

    t1, g1 = timed(lambda: vlm.generate(ps, max_new_tokens=a.max_new_tokens, batch_size=1))
    tb, gb = timed(lambda: vlm.generate(ps, max_new_tokens=a.max_new_tokens, batch_size=a.batch_size))
    same = [x.continuation for x in g1] == [x.continuation for x in gb]
    toks = sum(x.completion_tokens for x in gb)
    tl, lp = timed(lambda: vlm.option_probs(list(zip(ps, gb)), batch_size=a.batch_size))
    print(f"tiny Qwen2.5-VL, {a.n} prompts, {a.max_new_tokens} new tokens each, quant={a.quant}, torch threads={torch.get_num_threads()}")
    print(f"| what | seconds | tokens/s | ratio |\n|---|---|---|---|")
    print(f"| generate, one at a time | {t1:.3f} | {toks/t1:.0f} | 1.00 |")
    print(f"| generate, batch size {a.batch_size} | {tb:.3f} | {toks/tb:.0f} | {t1/tb:.2f}x faster |")
    print(f"| letter probabilities after the generations, batch size {a.batch_size} | {tl:.3f} | | {tl/tb:.3f} of the batched generation time |")
    print(f"identical greedy outputs at batch size 1 and {a.batch_size}: {same}")

if __name__ == "__main__": main()
