"""Parser speed, this parser beside the previous one, measured side by side in one run.

Realistic responses: about 300 tokens of numbered step-by-step reasoning (as Qwen2.5-VL and R1-style models write it),
then a conclusion and an answer in one of several styles (tagged, R1-style markdown, untagged, an unclosed think, after
a wrong_think prefill). Throughput is printed per wall-clock second and per CPU second: the dev machine is shared, so
wall-clock figures move with other jobs' load while CPU time is the parser's own cost. Then adversarial long inputs
(blank runs, repeated tags, letters, phrases) that would be quadratic or worse with careless regexes.

Run: python bench/parse.py [--old REF] [--n 600]
  REF: the git revision whose vlmfaith/parse.py is the "before" parser (default 796502b, the last commit of main with
  the PARSER_VERSION 1 readings); it is imported from `git show REF:vlmfaith/parse.py` saved to a temporary module."""
import argparse, importlib.util, random, subprocess, sys, tempfile, time
from pathlib import Path
from vlmfaith import parse as new

ROOT = Path(__file__).resolve().parents[1]
OPTS = [["lamp", "books", "chair", "table"], ["2", "1", "4", "3", "0"], ["orange cat", "white boat"],
        ["red car", "blue bus", "green truck"]]
STEPS = ["First, I locate the {o0} in the image; it is near the left edge, partly hidden behind the curtain.",
         "Next, I find the {o1}, which sits on the wooden shelf in the background, close to the window.",
         "The question asks which object is closer to the camera, so I need to compare their apparent depth.",
         "Occlusion is a strong cue: the object in front hides part of the object behind it.",
         "The {o0} overlaps the edge of the {o1}, which suggests it is in front of it.",
         "The relative size also helps, although objects of different real sizes can be misleading.",
         "Looking at the floor texture, the tiles near the {o1} look smaller, so it is farther away.",
         "Let me double-check the shadows: the light comes from the window on the right.",
         "There is no sign that the {o1} is closer than the {o0} in any of these cues.",
         "Option (A) says {o0}, option (B) says {o1}; only one of them fits the evidence.",
         "The perspective lines of the table converge toward the back wall, which gives a sense of the depth of the room.",
         "I also notice that the {o0} is slightly blurred, which can happen when the camera focuses on a different plane.",
         "Wait, I should not rely on blur alone, because the image may simply be compressed.",
         "Comparing the vertical positions, objects lower in the frame are usually closer when they rest on the same floor."]
ENDS = ["Therefore, the answer is ({L}).", "So the {oL} is closer, which corresponds to option ({L}).", "I think it's {L}.",
        "Based on this, the correct option is ({L}) {oL}.", "Between A and B, {L} is closer.", "So {L}."]
STYLES = {"tagged": lambda b, a: f"<think>\n{b}</think>\n<answer>{a}</answer>",
          "R1 markdown": lambda b, a: f"<think>\n{b}\n</think>\n\n**Answer:** {a}",
          "untagged": lambda b, a: f"{b}\n\nAnswer: {a}",
          "unclosed think": lambda b, a: f"<think>\n{b}\nThe answer is {a}.",
          "after wrong_think": lambda b, a: f"<think>The image shows the objects. The correct answer is (A). Let me check. {b}</think><answer>{a}</answer>"}

def responses(n:int, seed:int=0)->list:
    "`n` realistic responses: (text, options, prefill or None), the styles in turn."
    rng, out, names = random.Random(seed), [], list(STYLES)
    for i in range(n):
        opts = rng.choice(OPTS); k = rng.randrange(len(opts)); L = "ABCDE"[k]
        f = dict(o0=opts[0], o1=opts[1], oL=opts[k], L=L)
        body = "\n".join(f"{j+1}. " + s.format(**f) for j, s in enumerate(rng.sample(STEPS, 12))) + "\n" + rng.choice(ENDS).format(**f)
        style = names[i % len(names)]
        text = STYLES[style](body, f"({L}) {opts[k]}")
        out.append((text, opts, text[:text.index("Let me check.") + 13] if style == "after wrong_think" else None))
    return out

def old_parser(ref:str):
    "The parser of git revision `ref`, imported from a temporary module."
    src = subprocess.run(["git", "show", f"{ref}:vlmfaith/parse.py"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    src = src.replace("from .data import", "from vlmfaith.data import")
    path = Path(tempfile.mkdtemp(prefix="vlmfaith-bench-"))/"old_parse.py"; path.write_text(src)
    spec = importlib.util.spec_from_file_location("old_parse", path); mod = importlib.util.module_from_spec(spec)
    sys.modules["old_parse"] = mod                                     # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod

def throughput(parse, rs, reps:int, prefill:bool)->tuple:
    "(texts per wall-clock second, texts per CPU second) of `parse` over `rs`, `reps` times."
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(reps):
        for text, opts, pre in rs: parse(text, opts, prefill=pre) if prefill else parse(text, opts)
    n = reps * len(rs)
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)

def main(old_ref:str="796502b", n:int=600, reps:int=3):
    rs = responses(n)
    print(f"{n} realistic responses: mean {sum(len(t) for t, _, _ in rs)/n:,.0f} characters, "
          f"{sum(len(t.split()) for t, _, _ in rs)/n:.0f} words (about {sum(len(t) for t, _, _ in rs)/n/4:.0f} tokens)")
    old = old_parser(old_ref)
    has_prefill = "prefill" in old.parse_response.__code__.co_varnames
    for p in (new.parse_response, old.parse_response):                 # warm up caches of both before timing
        for t, o, pre in rs[:50]: p(t, o)
    res = {}
    for rnd in range(2):                                               # interleaved: both see the same load
        for name, p, pf in (("new", new.parse_response, True), ("old", old.parse_response, has_prefill)):
            w, c = throughput(p, rs, reps, pf)
            res.setdefault(name, []).append((w, c))
    best = {k: (max(w for w, _ in v), max(c for _, c in v)) for k, v in res.items()}
    for k, label in (("old", f"before ({old_ref}, the version-1 readings)"),
                     ("new", f"after  (working tree, PARSER_VERSION {new.PARSER_VERSION})")):
        print(f"{label:<44} {best[k][0]:>9,.0f} texts/s wall-clock {best[k][1]:>9,.0f} texts/s CPU")
    print(f"after/before: {best['new'][0]/best['old'][0]:.1f}x wall-clock, {best['new'][1]/best['old'][1]:.1f}x CPU")
    k = 20000
    adversarial = {"'answer is' + blanks": "answer is" + " " * k + "xy", "'<' + blanks": "<" + " " * k,
                   "repeated 'answer is '": "answer is " * k, "repeated '(A) '": "(A) " * k, "repeated 'A, '": "A, " * k,
                   "nested \\text{": "\\text{" * k + "}" * k, "blank lines": " \n" * k + "answer",
                   "repeated answer blocks": "<answer>B</answer>" * (k // 10), "open think, 'So (A), '": "<think>" + "So (A), " * k,
                   "'not (A) but (B) '": "<think>" + "So not (A) but (B) " * k + "</think>",
                   "hypothetical 'If (A), (A), ...'": "<think>If " + "(A), " * k + "</think>", "repeated tags": "<think></think>" * k}
    worst = 0.0
    for name, t in adversarial.items():
        t0 = time.process_time(); new.parse_response(t, ["a", "b", "c"], prefill=t[:len(t)//2]); dt = time.process_time() - t0
        worst = max(worst, dt); print(f"  {name:<32} {len(t):>8,} chars {dt*1e3:8.1f} ms CPU")
    print(f"worst adversarial: {worst*1e3:.0f} ms CPU")

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", default="796502b", help="git revision of the 'before' parser")
    ap.add_argument("--n", type=int, default=600, help="realistic responses")
    a = ap.parse_args()
    main(a.old, a.n)
