"""How many prompts per second `vlmfaith.perturb` builds: 10,000 items x every paper condition.

Run: `python bench/perturb.py [n_items]`. Items are synthetic, in the wording of the eight benchmarks (counting,
relations, depth, distance, attributes, yes/no, descriptions, sentences, free-form), each with its own small PNG as
raw bytes. Measured side by side in one run: every condition vs `base` alone, with vs without the per-item facts
cache, and building vs hashing (`Prompt.key`, which reads the image bytes).
"""
import io, random, sys, time
from PIL import Image
from vlmfaith.data import MCItem, LETTERS
import vlmfaith.perturb as vp
from vlmfaith.perturb import perturb, _facts

CONDITIONS = ("base", "no_image", "stop_think", "wrong_think", "wrong_think_but", "correct_think",
              "wrong_caption", "wrong_caption_disclaimer", "correct_caption")

def png(i):
    buf = io.BytesIO(); Image.new("RGB", (8, 8), ((i * 37) % 256, (i * 91) % 256, (i * 13) % 256)).save(buf, "PNG")
    return buf.getvalue()

def items(n, seed=0):
    r = random.Random(seed)
    nouns = ["cats", "bananas", "people", "buses", "boxes", "cups", "chairs", "red cars", "birds", "knives"]
    objs = ["chair", "lamp", "books", "sofa", "table", "bus", "trailer", "traffic cone", "orange cat", "white boat"]
    cols = ["red", "blue", "green", "white", "black", "yellow", "silver", "brown"]
    out = []
    for i in range(n):
        k, kind = r.randint(2, 5), i % 9
        a, b = r.sample(objs, 2)
        if kind == 0:
            noun = r.choice(nouns); ns = r.sample(range(12), k)
            task, q, o = "count", f"How many {noun} are in the image?", [str(x) for x in ns]
        elif kind == 1: task, q, o = "relation", f"Where is the {a} (annotated by the red box) located with respect to the {b} (annotated by the blue box)?", r.sample(["left", "right", "above", "below", "behind"], k)
        elif kind == 2:
            os_ = r.sample(objs, k); task, q, o = "depth", "Which object is closer to the camera, " + ", ".join("the " + x for x in os_) + "?", os_
        elif kind == 3: task, q, o = "distance", f"Which object is closer to the {a} (highlighted by a red box)?", r.sample([x for x in objs if x != a], k)
        elif kind == 4: task, q, o = "attribute", f"What is the color of the {a}?", r.sample(cols, k)
        elif kind == 5: task, q, o = "relation", f"Is the {a} to the left of the {b}?", ["yes", "no"]
        elif kind == 6: task, q, o = "relation", "Which caption describes the image correctly?", [f"A {a} {d} a {b}" for d in r.sample(["on the left of", "on the right of", "above", "below", "behind"], k)]
        elif kind == 7: task, q, o = "attribute", f"What is the color of the {a}?", [f"The color of the {a} is {c}." for c in r.sample(cols, k)]
        else: task, q, o = "other", "What emotion does the person show?", r.sample(["happy", "sad", "angry", "surprised", "calm"], k)
        out.append(MCItem(f"b{i}", png(i), q, o, r.choice(LETTERS[:len(o)]), task, "bench"))
    return out

def rate(f, n, repeat=3):
    "Items per second and seconds of `f` (which handles `n`), best of `repeat` runs: the machine is shared."
    dt = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); f(); dt = min(dt, time.perf_counter() - t)
    return n / dt, dt

if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    its = items(n)
    build_all = lambda: [perturb(it, c) for it in its for c in CONDITIONS]
    vp._facts = _facts.__wrapped__                                       # no cache: every prompt reads its item
    nocache, dt_nocache = rate(build_all, n * len(CONDITIONS))
    vp._facts = _facts; _facts.cache_clear()
    warm, dt_warm = rate(build_all, n * len(CONDITIONS))                  # cached: each item read once
    base, _ = rate(lambda: [perturb(it, "base") for it in its], n)
    per = {c: rate(lambda c=c: [perturb(it, c) for it in its], n)[0] for c in CONDITIONS}
    reads, _ = rate(lambda: [_facts.__wrapped__(it.question, tuple(it.options), it.task) for it in its], n)
    ps = build_all()
    keys, _ = rate(lambda: [p.key for p in ps], len(ps))
    print(f"{n:,} items x {len(CONDITIONS)} conditions = {n * len(CONDITIONS):,} prompts (best of 3 runs each)")
    print(f"all conditions:                   {warm:10,.0f} prompts/s ({dt_warm:.2f} s)")
    print(f"all conditions, no facts cache:   {nocache:10,.0f} prompts/s ({dt_nocache:.2f} s); cache speed-up = {warm / nocache:.2f}")
    print(f"base only:                        {base:10,.0f} prompts/s; all-conditions/base = {warm / base:.2f}")
    print(f"reading items (facts, uncached):  {reads:10,.0f} items/s")
    print(f"Prompt.key (hashes image bytes):  {keys:10,.0f} keys/s; key/build = {keys / warm:.2f}")
    for c, v in per.items(): print(f"  {c:26s} {v:10,.0f} prompts/s")
