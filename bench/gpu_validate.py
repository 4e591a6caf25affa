"""GPU validation of the Hugging Face backend at Qwen2.5-VL-7B-Instruct's real size, with random weights.

No weights can be downloaded on the GPU machine, so this script builds a random-weight Qwen2.5-VL with the published
dimensions of Qwen/Qwen2.5-VL-7B-Instruct (values below, `QWEN25VL_7B`), saves it to local disk with a tokenizer and
processor, loads it through `vlmfaith.models.load_vlm` in 4-bit (the preset) and in bf16, and reports per load:

- GPU memory after loading and at the peak of the run;
- generation tokens/s at batch sizes 1, 8, 16 and 32 (images at the default pixel budget), against one at a time;
- the decode step time, against the memory-bandwidth ceiling: the bytes of weights read per decode step (the text
  decoder and lm_head; not the vision tower, not the embedding table, which is only indexed) over the card's bandwidth
  measured by a device-to-device copy (bytes read + bytes written); the fraction of that ceiling reached per batch size;
- the letter-probability pass (`option_probs` over the generations) against the generation that produced them;
- agreement of greedy outputs at batch size 1 and 8 (bf16 on a GPU may differ in the last bits with padding);
- the out-of-memory path: the process's CUDA memory is capped (`torch.cuda.set_per_process_memory_fraction`) to what
  is allocated plus `--oom-headroom-gib`, a batch that cannot fit is submitted, and the script checks that halving
  recovers with every item returned, in order.

It prints a Markdown table and writes everything to `<out>/gpu_validate.json` (after each section, so a run cut short
keeps what it measured). The tokenizer is the tiny byte-level BPE of `tiny_vlm`, extended with filler tokens to the real
vocabulary size (152064), so the embedding and output head have their real shapes; special-token ids differ from the
real ones, which does not matter for speed or memory. Random weights never emit an end token, so every generation runs
to `--max-new-tokens` and batch sizes compare the same number of tokens.

Sources of the dimensions: the `config.json` of Qwen/Qwen2.5-VL-7B-Instruct (text: hidden 3584, intermediate 18944,
28 layers, 28 heads, 4 KV heads, vocab 152064, rope theta 1e6, mrope sections [16, 24, 24], 128000 positions, RMS eps
1e-6, untied head; vision: hidden 1280, patch 14, tokens per second 2), read through copies of that file (the AWQ and
unsloth mirrors) found by the project's search tools; the rest of the vision tower (depth 32, intermediate 3420,
16 heads, out hidden 3584, window 112, full attention in blocks 7, 15, 23, 31, merge 2, temporal patch 2) are the
`Qwen2_5_VLVisionConfig` defaults in transformers 5.24, which are the 7B's. The processor's own pixel range is the
checkpoint's (3136 to 12845056); `load_vlm` caps it at `DEFAULT_MAX_PIXELS` (1003520, at most 1280 visual tokens), the
"default pixel budget" used here, with 1000x1000 images (resized to 980x980: 1225 visual tokens each).

How to run it on the lent H100 (nothing can be fetched there; it has torch and transformers but neither bitsandbytes
nor fastcore, which vlmfaith imports), from the repository root:

    # here, once: fetch the wheels into .whl/ (ignored by git)
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \\
        --platform manylinux_2_24_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \\
        -d .whl bitsandbytes==0.50.2 fastcore==2.2.41
    # then one device call (carry=[".whl"], timeout_s=600):
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \\
      && export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \\
      && python3 bench/gpu_validate.py --out $OUT 2>&1 | tee $OUT/gpu_validate.log

Expected cost on an H100: about 1 minute to build and save (16.6 GB), 1-2 minutes to load twice, 2-3 minutes of
measurements. `--loads 4bit` halves it. On the CPU, `--tiny` runs the same code path on a tiny model in about 30 s
(the out-of-memory path is then injected, since there is no CUDA allocator to cap).
"""
import argparse, datetime, gc, json, os, platform, statistics, sys, tempfile, time
from pathlib import Path
os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

QWEN25VL_7B = dict(
    text=dict(vocab_size=152064, hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
              num_key_value_heads=4, max_position_embeddings=128000, rms_norm_eps=1e-6, rope_theta=1000000.0,
              rope_scaling={"type": "mrope", "mrope_section": [16, 24, 24]}, hidden_act="silu", sliding_window=32768,
              max_window_layers=28, use_sliding_window=False, tie_word_embeddings=False),
    vision=dict(depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=3584, patch_size=14,
                spatial_merge_size=2, temporal_patch_size=2, window_size=112, fullatt_block_indexes=[7, 15, 23, 31],
                tokens_per_second=2, hidden_act="silu", in_chans=3),
    pixels=(3136, 12845056))
TINY = dict(   # same architecture, bnb-friendly tiny dimensions
    text=dict(vocab_size=1024, hidden_size=128, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=8192, rms_norm_eps=1e-6, rope_theta=10000.0,
              rope_scaling={"type": "mrope", "mrope_section": [4, 6, 6]}, hidden_act="silu", tie_word_embeddings=False),
    vision=dict(depth=2, hidden_size=64, intermediate_size=128, num_heads=2, out_hidden_size=128, patch_size=14,
                spatial_merge_size=2, temporal_patch_size=2, window_size=56, fullatt_block_indexes=[1], in_chans=3),
    pixels=(3136, 12845056))

def log(*a): print(time.strftime("%H:%M:%S"), *a, flush=True)

def tokenizer_with_vocab(vocab_size:int):
    "The tiny BPE tokenizer of `tiny_vlm`, extended with filler tokens `<f{i}>` to `vocab_size` entries."
    from tokenizers import Tokenizer
    from transformers import Qwen2TokenizerFast
    from vlmfaith.models import _tiny_tokenizer, _SPECIALS, _QWEN_TEMPLATE
    data = json.loads(_tiny_tokenizer(_SPECIALS).to_str())
    vocab = data["model"]["vocab"]
    for i in range(max(vocab.values()) + 1, vocab_size): vocab[f"<f{i}>"] = i
    tok = Qwen2TokenizerFast(tokenizer_object=Tokenizer.from_str(json.dumps(data)), unk_token=None, bos_token=None,
                             eos_token="<|im_end|>", pad_token="<|endoftext|>", additional_special_tokens=_SPECIALS[1:],
                             padding_side="left", model_max_length=32768)
    tok.chat_template = _QWEN_TEMPLATE
    assert len(tok) == vocab_size, (len(tok), vocab_size)
    return tok

def build(folder:Path, dims:dict, device:str, seed:int=0)->dict:
    "Random-weight Qwen2.5-VL with `dims`, initialised in bf16 on `device`, saved with tokenizer and processor."
    import torch
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration
    from vlmfaith.models import _QWEN_TEMPLATE, _qwen_processor, no_video_processors
    try: from transformers import Qwen2VLImageProcessorPil as ImgProc
    except ImportError: from transformers import Qwen2VLImageProcessor as ImgProc
    no_video_processors()
    t0 = time.perf_counter()
    tok = tokenizer_with_vocab(dims["text"]["vocab_size"])
    ids = {t: tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_end|>", "<|image_pad|>", "<|video_pad|>",
                                                      "<|vision_start|>", "<|vision_end|>")}
    mn, mx = dims["pixels"]
    proc = _qwen_processor(ImgProc(min_pixels=mn, max_pixels=mx, patch_size=14, temporal_patch_size=2, merge_size=2),
                           tok, _QWEN_TEMPLATE)
    cfg = Qwen2_5_VLConfig(
        text_config=dict(dims["text"], bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(dims["vision"]), image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=dims["text"]["tie_word_embeddings"])
    torch.manual_seed(seed)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(cfg, dtype=torch.bfloat16).eval()
    model.generation_config.eos_token_id = ids["<|im_end|>"]; model.generation_config.pad_token_id = ids["<|endoftext|>"]
    n_params = sum(p.numel() for p in model.parameters())
    n_vision = sum(p.numel() for p in model.model.visual.parameters())
    t1 = time.perf_counter()
    model.save_pretrained(folder, max_shard_size="5GB"); proc.save_pretrained(folder)
    t2 = time.perf_counter()
    del model; gc.collect()
    if torch.cuda.is_available(): torch.cuda.empty_cache()
    size = sum(f.stat().st_size for f in Path(folder).iterdir() if f.is_file())
    return dict(params=n_params, vision_params=n_vision, build_s=t1 - t0, save_s=t2 - t1, folder_bytes=size)

def bandwidth(cuda:bool, gib:float=2.0, reps:int=20)->dict:
    "Device-to-device copy bandwidth, counting bytes read plus bytes written (median of `reps`)."
    import torch
    dev = "cuda" if cuda else "cpu"
    n = int(gib * 2**30) // 2 if cuda else 2**26
    a = torch.randn(n, dtype=torch.bfloat16, device=dev); b = torch.empty_like(a)
    ts = []
    for i in range(reps + 3):
        if cuda:
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record(); b.copy_(a); e.record(); torch.cuda.synchronize(); t = s.elapsed_time(e) / 1e3
        else:
            t0 = time.perf_counter(); b.copy_(a); t = time.perf_counter() - t0
        if i >= 3: ts.append(t)
    t = statistics.median(ts)
    del a, b
    return dict(bytes_moved=2 * n * 2, seconds=t, bytes_per_s=2 * n * 2 / t)

def decode_bytes(model)->int:
    "Bytes of weights one decode step reads: the text decoder and the output head, without the embedding table."
    import torch
    lm = model.model.language_model
    total = sum(v.numel() * v.element_size() for k, v in lm.state_dict().items()
                if torch.is_tensor(v) and not k.startswith("embed_tokens"))
    head = model.get_output_embeddings()
    return total + sum(v.numel() * v.element_size() for v in head.state_dict().values() if torch.is_tensor(v))

def prompts(n:int, side:int, seed:int=0):
    "`n` multiple-choice prompts on noise images of `side` x `side` pixels."
    import numpy as np
    from PIL import Image
    from vlmfaith.data import MCItem
    from vlmfaith.perturb import perturb
    rng = np.random.default_rng(seed)
    out = []
    for j in range(n):
        im = Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8))
        it = MCItem(f"g{j}", im, f"Question {j}: how many objects are on the table?" + " Count carefully." * (j % 3),
                    ["zero", "one", "two", "three"], "B", task="count")
        out.append(perturb(it))
    return out

class _Tight:
    "Stands in for a full GPU on the CPU: raises PyTorch's out-of-memory error on batches larger than `limit`."
    def __init__(self, model, limit): self.m, self.limit = model, limit
    def _check(self, kw):
        import torch
        if kw["input_ids"].shape[0] > self.limit: raise torch.OutOfMemoryError("CUDA out of memory (injected on CPU)")
    def generate(self, **kw): self._check(kw); return self.m.generate(**kw)
    def __call__(self, **kw): self._check(kw); return self.m(**kw)
    def __getattr__(self, k): return getattr(self.m, k)

def measure(vlm, ps, a, cuda:bool, bw:dict, res:dict, save):
    "All measurements for one loaded model, written into `res` as they come."
    import torch
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    def timed(f):
        sync(); t0 = time.perf_counter(); r = f(); sync(); return time.perf_counter() - t0, r
    wbytes = decode_bytes(vlm.model)
    floor = wbytes / bw["bytes_per_s"]
    res.update(decode_weight_bytes=wbytes, ceiling_step_s=floor)
    vlm.generate(ps[:2], max_new_tokens=4, batch_size=2)              # warm-up (kernels, caches)
    T, N = a.max_new_tokens, a.n_prompts
    rows, gens = [], {}
    for bs in a.batch_sizes:
        n = min(N, max(bs, a.n_one)) if bs == 1 else N
        sub = ps[:n]
        t1, _ = timed(lambda: vlm.generate(sub, max_new_tokens=1, batch_size=bs))   # prefill (+1 step)
        tT, g = timed(lambda: vlm.generate(sub, max_new_tokens=T, batch_size=bs))
        gens[bs] = g
        toks = sum(x.completion_tokens for x in g)
        batches = -(-n // bs)
        step = max(tT - t1, 1e-9) / (batches * (T - 1))
        rows.append(dict(batch_size=bs, prompts=n, tokens=toks, seconds=tT, tokens_per_s=toks / tT,
                         prefill_s=t1, decode_step_s=step, decode_tokens_per_s=min(bs, n) / step,
                         ceiling_fraction=floor / step, ceiling_tokens_per_s=min(bs, n) / floor))
        log(f"  bs={bs}: {toks} tokens in {tT:.2f} s ({toks/tT:.1f} tok/s), decode step {step*1e3:.1f} ms "
            f"(ceiling {floor*1e3:.2f} ms, {floor/step:.1%})")
        res["generation"] = rows; save()
    one = next(r for r in rows if r["batch_size"] == 1)
    for r in rows: r["speedup_vs_one_at_a_time"] = r["tokens_per_s"] / one["tokens_per_s"]
    # letter probabilities after the bs=8 generations, against that generation
    b8 = 8 if 8 in gens else max(gens)
    g8 = gens[b8]
    gen_s = next(r["seconds"] for r in rows if r["batch_size"] == b8)
    tl, lp = timed(lambda: vlm.option_probs(list(zip(ps[:len(g8)], g8)), batch_size=b8))
    res["letter_probs"] = dict(batch_size=b8, prompts=len(g8), seconds=tl, generation_seconds=gen_s, ratio=tl / gen_s,
                               mean_mass=float(lp.mass.mean()), sums_to_one=bool(abs(lp.probs.sum(1) - 1).max() < 1e-6))
    log(f"  letter probabilities: {tl:.2f} s vs generation {gen_s:.2f} s (ratio {tl/gen_s:.3f})")
    # agreement of greedy outputs at batch size 1 and 8, on the prompts run at batch size 1
    g1 = gens[1]; gb = gens[b8][:len(g1)]
    same = [x.continuation == y.continuation for x, y in zip(g1, gb)]
    pre = [len(os.path.commonprefix([x.continuation, y.continuation])) / max(1, len(x.continuation)) for x, y in zip(g1, gb)]
    res["agreement"] = dict(prompts=len(same), identical=sum(same), mean_common_prefix=statistics.mean(pre))
    log(f"  bs=1 vs bs={b8}: {sum(same)}/{len(same)} identical, mean common prefix {statistics.mean(pre):.1%}")
    save()
    # out of memory: a batch that cannot fit, halved until it does; no item lost, order kept
    vlm.oom_events.clear()
    ref = [p.key for p in ps[:a.oom_prompts]]
    how, real = "", vlm.model
    try:
        if cuda:
            total = torch.cuda.get_device_properties(0).total_memory
            cap = torch.cuda.memory_allocated() + a.oom_headroom_gib * 2**30
            torch.cuda.empty_cache(); torch.cuda.set_per_process_memory_fraction(min(1.0, cap / total))
            how = f"CUDA memory capped at allocated + {a.oom_headroom_gib} GiB"
        else:
            vlm.model = _Tight(vlm.model, 3); how = "injected torch.OutOfMemoryError above 3 (CPU)"
        t, g = timed(lambda: vlm.generate(ps[:a.oom_prompts], max_new_tokens=a.oom_tokens, batch_size=a.oom_prompts))
        ok = [x.key for x in g] == ref and all(x.completion_tokens == a.oom_tokens for x in g)
        res["oom"] = dict(how=how, submitted_batch=a.oom_prompts, halvings=[e[1:] for e in vlm.oom_events],
                          returned=len(g), order_kept_all_complete=ok, seconds=t)
    except Exception as e:
        res["oom"] = dict(how=how, submitted_batch=a.oom_prompts, halvings=[e2[1:] for e2 in vlm.oom_events],
                          error=f"{type(e).__name__}: {e}"[:500])
    finally:
        if cuda: torch.cuda.set_per_process_memory_fraction(1.0); torch.cuda.empty_cache()
        else: vlm.model = real
    log(f"  out of memory: {res['oom']}")
    save()

def table(out:dict)->str:
    L = [f"**{out['device']}**, {out['date']}, torch {out['versions']['torch']}, transformers {out['versions']['transformers']}, "
         f"bitsandbytes {out['versions'].get('bitsandbytes')}; random-weight Qwen2.5-VL at {'tiny' if out['tiny'] else '7B'} size "
         f"({out['build']['params']/1e9:.2f} B parameters); copy bandwidth {out['bandwidth']['bytes_per_s']/1e12:.2f} TB/s; "
         f"{out['args']['max_new_tokens']} new tokens per prompt, images {out['args']['image_side']}x{out['args']['image_side']}.", "",
         "| load | batch | tokens/s | vs one at a time | decode step ms | ceiling ms | fraction of ceiling |",
         "|---|---|---|---|---|---|---|"]
    for name, r in out["loads"].items():
        for g in r.get("generation", []):
            L.append(f"| {name} | {g['batch_size']} | {g['tokens_per_s']:.1f} | {g.get('speedup_vs_one_at_a_time', float('nan')):.2f}x "
                     f"| {g['decode_step_s']*1e3:.1f} | {r['ceiling_step_s']*1e3:.2f} | {g['ceiling_fraction']:.1%} |")
    L += ["", "| load | GPU memory after load (GiB) | peak (GiB) | weights read per step (GiB) | letter probs / generation | bs=1 vs bs=8 identical | out of memory |",
          "|---|---|---|---|---|---|---|"]
    for name, r in out["loads"].items():
        lp, ag, oo = r.get("letter_probs", {}), r.get("agreement", {}), r.get("oom", {})
        gib = lambda v: "n/a" if v is None else f"{v/2**30:.2f}"
        oom = (f"{oo.get('submitted_batch')} -> halvings {oo.get('halvings')}, {oo.get('returned')} returned, ok={oo.get('order_kept_all_complete')}"
               if "returned" in oo else oo.get("error", "not run"))
        L.append(f"| {name} | {gib(r.get('memory_after_load'))} | {gib(r.get('memory_peak'))} | {gib(r.get('decode_weight_bytes'))} "
                 f"| {lp.get('ratio', float('nan')):.3f} | {ag.get('identical')}/{ag.get('prompts')} | {oom} |")
    return "\n".join(L)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny dimensions on the CPU (tests this script's logic)")
    ap.add_argument("--out", default=None, help="folder for gpu_validate.json (default: a temporary folder)")
    ap.add_argument("--model-dir", default=None, help="where to save the random-weight model (default: a temporary folder)")
    ap.add_argument("--loads", default="4bit,bf16")
    ap.add_argument("--batch-sizes", default="1,8,16,32")
    ap.add_argument("--n-prompts", type=int, default=32, help="prompts per batched run")
    ap.add_argument("--n-one", type=int, default=8, help="prompts run one at a time (the baseline and the bs=1 side of agreement)")
    ap.add_argument("--max-new-tokens", type=int, default=64)
    ap.add_argument("--image-side", type=int, default=1000)
    ap.add_argument("--oom-prompts", type=int, default=32)
    ap.add_argument("--oom-tokens", type=int, default=4)
    ap.add_argument("--oom-headroom-gib", type=float, default=1.5)
    a = ap.parse_args(argv)
    a.batch_sizes = [int(b) for b in a.batch_sizes.split(",")]
    if 1 not in a.batch_sizes: a.batch_sizes.insert(0, 1)
    if a.tiny:
        for k, v in dict(n_prompts=16, n_one=4, max_new_tokens=8, image_side=96, oom_prompts=8, oom_tokens=2).items():
            if getattr(a, k) == ap.get_default(k): setattr(a, k, v)
    import torch, transformers
    from transformers.utils import logging as hf_logging
    from vlmfaith.models import load_vlm
    hf_logging.disable_progress_bar()
    cuda = torch.cuda.is_available() and not a.tiny
    out_dir = Path(a.out or tempfile.mkdtemp()); out_dir.mkdir(parents=True, exist_ok=True)
    try: import bitsandbytes; bnbv = bitsandbytes.__version__
    except ImportError: bnbv = None
    out = dict(device=torch.cuda.get_device_name(0) if cuda else f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
               date=datetime.datetime.now().isoformat(timespec="seconds"), tiny=a.tiny, args=vars(a),
               versions=dict(python=platform.python_version(), torch=torch.__version__, transformers=transformers.__version__,
                             bitsandbytes=bnbv), loads={})
    save = lambda: (out_dir/"gpu_validate.json").write_text(json.dumps(out, indent=1, default=str))
    log(f"device: {out['device']}; versions {out['versions']}")
    out["bandwidth"] = bandwidth(cuda); save()
    log(f"copy bandwidth: {out['bandwidth']['bytes_per_s']/1e9:.1f} GB/s")
    folder = Path(a.model_dir or tempfile.mkdtemp(dir="/tmp")) / "qwen2_5_vl_random"
    out["build"] = build(folder, TINY if a.tiny else QWEN25VL_7B, "cuda" if cuda else "cpu"); save()
    log(f"built {out['build']['params']/1e9:.3f} B parameters ({out['build']['vision_params']/1e9:.3f} B vision) "
        f"in {out['build']['build_s']:.1f} s, saved {out['build']['folder_bytes']/1e9:.2f} GB in {out['build']['save_s']:.1f} s")
    ps = prompts(max(a.n_prompts, a.oom_prompts), a.image_side)
    for name in a.loads.split(","):
        res = out["loads"].setdefault(name, {})
        try:
            if cuda: torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
            t0 = time.perf_counter()
            vlm = load_vlm(folder, quant=None if name == "bf16" else name, dtype="bfloat16")
            res.update(load_s=time.perf_counter() - t0, model_key=vlm.model_key, unquantized=vlm.info.get("unquantized"),
                       memory_after_load=torch.cuda.memory_allocated() if cuda else None,
                       footprint=vlm.model.get_memory_footprint())
            log(f"{name}: loaded in {res['load_s']:.1f} s, {vlm.model_key}; "
                f"{(res['memory_after_load'] or res['footprint'])/2**30:.2f} GiB")
            save()
            measure(vlm, ps, a, cuda, out["bandwidth"], res, save)
        except Exception as e:
            import traceback; traceback.print_exc()
            res["error"] = f"{type(e).__name__}: {e}"[:1000]
        finally:
            if cuda: res["memory_peak"] = torch.cuda.max_memory_allocated()
            vlm = None; gc.collect()
            if cuda: torch.cuda.empty_cache()
            save()
    print(table(out))
    print(f"\nJSON: {out_dir/'gpu_validate.json'}")
    return out

if __name__ == "__main__": main()
