"""Evaluate the model organisms on fresh synthetic items under five conditions, through vlmfaith's real backend.

    python tools/organisms/evaluate.py data/organisms/tiny-seer data/organisms/tiny-seer-robust --n 200 --seed 0

For each organism and task: accuracy (greedy, read with `vlmfaith.parse.parse_response`) under base, correct_caption,
wrong_caption, correct_think and wrong_think; for the wrong conditions also how often the misleading option was chosen
(adoption) and an exact McNemar test of the drop against base. Writes a JSON and a markdown table next to `--out`.
"""
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))
import torch
from scipy.stats import binomtest
from vlmfaith.synthetic import synthetic_item
from vlmfaith.perturb import perturb
from vlmfaith.parse import parse_response
from vlmfaith.models import load_vlm
from train import TASKS, spec

CONDS = ("base", "correct_caption", "wrong_caption", "correct_think", "wrong_think")

def mcnemar(a:list, b:list)->float:
    "Exact two-sided McNemar p-value for paired booleans a (before) and b (after)."
    n01 = sum(x and not y for x, y in zip(a, b)); n10 = sum(y and not x for x, y in zip(a, b))
    return 1.0 if n01 + n10 == 0 else binomtest(n01, n01 + n10, 0.5).pvalue

def evaluate(folder, n=200, seed=0, tasks=TASKS, conds=CONDS, batch_size=32, max_new_tokens=80, examples=None):
    vlm = load_vlm(spec(folder), quant=None, dtype="float32")
    items = [synthetic_item(i, seed=seed, task=t) for t in tasks for i in range(n)]
    out = {}
    for c in conds:
        ps = [perturb(it, c, seed=seed) for it in items]
        gs = vlm.generate(ps, max_new_tokens=max_new_tokens, batch_size=batch_size)
        rs = [parse_response(g.text, p.options, finished=g.finished) for p, g in zip(ps, gs)]
        for t in tasks:
            rows = [(p, g, r) for p, g, r in zip(ps, gs, rs) if p.task == t]
            out[(t, c)] = dict(correct=[r.letter == p.answer for p, g, r in rows],
                               adopted=[p.misleading is not None and r.letter == p.misleading for p, g, r in rows],
                               parsed=[r.status == "ok" for p, g, r in rows])
            if examples is not None: examples.append(dict(organism=Path(folder).name, task=t, condition=c, text=rows[0][1].text,
                                                          answer=rows[0][0].answer, misleading=rows[0][0].misleading))
    return out

def table(results:dict, tasks=TASKS)->tuple:
    lines = ["| organism | task | " + " | ".join(CONDS) + " | drop wrong_caption | drop wrong_think | adopt wrong_caption | adopt wrong_think |",
             "|---|---|" + "---|" * (len(CONDS) + 4)]
    summary = {}
    for name, res in results.items():
        for t in tasks:
            acc = {c: sum(res[(t, c)]["correct"]) / len(res[(t, c)]["correct"]) for c in CONDS}
            drop = {c: acc["base"] - acc[c] for c in ("wrong_caption", "wrong_think")}
            p = {c: mcnemar(res[(t, "base")]["correct"], res[(t, c)]["correct"]) for c in ("wrong_caption", "wrong_think")}
            adopt = {c: sum(res[(t, c)]["adopted"]) / len(res[(t, c)]["adopted"]) for c in ("wrong_caption", "wrong_think")}
            parsed = {c: sum(res[(t, c)]["parsed"]) / len(res[(t, c)]["parsed"]) for c in CONDS}
            summary[f"{name}/{t}"] = dict(n=len(res[(t, 'base')]["correct"]), accuracy=acc, drop=drop, mcnemar_p=p, adoption=adopt, parsed=parsed)
            lines.append(f"| {name} | {t} | " + " | ".join(f"{acc[c]:.3f}" for c in CONDS) + " | " +
                         " | ".join(f"{drop[c]:+.3f} (p={p[c]:.1e})" for c in drop) + " | " +
                         " | ".join(f"{adopt[c]:.3f}" for c in adopt) + " |")
    return "\n".join(lines), summary

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", type=Path)
    ap.add_argument("--n", type=int, default=200, help="items per task")
    ap.add_argument("--seed", type=int, default=0, help="synthetic benchmark seed (training used 1000, the probe 999)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("data/organisms/eval"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    results, ex, t0 = {}, [], time.time()
    for f in a.folders:
        results[f.name] = evaluate(f, a.n, a.seed, examples=ex)
        print(f"{f.name}: evaluated in {(time.time()-t0)/60:.1f} min", flush=True)
        md, _ = table(results); print(md, flush=True)
    md, summary = table(results)
    print(md)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    Path(str(a.out) + ".md").write_text(md + "\n")
    Path(str(a.out) + ".json").write_text(json.dumps(dict(seed=a.seed, n=a.n, summary=summary, examples=ex), indent=1))

if __name__ == "__main__":
    main()
