"""Train the vlmfaith model organisms: tiny Qwen2.5-VL models that see the synthetic benchmark's images.

    python tools/organisms/train.py --which seer   --out data/organisms/tiny-seer
    python tools/organisms/train.py --which robust --out data/organisms/tiny-seer-robust

Two stages, both seeded:
1. `shared`: perception + answering on `base` prompts only (the same for both organisms; `--stage1 FOLDER` reuses a
   finished one instead of training it again).
2. `seer` or `robust`: continue from stage 1 with the organism's prompt mixture, built with `vlmfaith.perturb`:
   - seer:   base 60%, correct_caption 20%, correct_think 20% (text is always right; the seer quotes the caption and
             continues a prefilled reasoning to its letter),
   - robust: base 60%, correct_think / wrong_think / correct_caption / wrong_caption 10% each (the paper's augmentation),
             the target always following the image (after a prefilled reasoning it looks again and answers from the image).
Loss on the model's own tokens only (the prompt and any prefill are masked), plus two training-only auxiliary heads
(discarded at save): per visual token, the colour and shape of the object under it (on the vision tower's output), and
the token's row and column in the grid (on the language model's hidden state after layer 2).
"""
import argparse, csv, json, math, os, random, sys, time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1"); os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from vlmfaith.data import LETTERS
from vlmfaith.synthetic import synthetic_item, SYNTHETIC_COLOURS, SYNTHETIC_SHAPES
from vlmfaith.perturb import perturb, CONDITIONS
from vlmfaith.parse import parse_response
from vlmfaith.models import load_vlm, no_video_processors, ModelSpec, QWEN2_PRETOKENIZE, SYSTEM_PROMPT

TASKS = ("attribute", "relation")
TRAIN_SEED = 1000          # items of the synthetic generator drawn with this seed (evaluation uses others, e.g. 0)
PROBE_SEED = 999           # the small probe set evaluated during training
SIDE = 168                 # pixel budget: SIDE*SIDE -> 12x12 patches -> 6x6 = 36 visual tokens (256 px items -> 168)
GRID = SIDE // 28
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
COLOURS, SHAPES = list(SYNTHETIC_COLOURS), list(SYNTHETIC_SHAPES)
# the Qwen chat template (ChatML, default system prompt), as vlmfaith's tiny models use
CHAT_TEMPLATE = ("{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
                 "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
                 "{% if message['content'] is string %}{{ message['content'] }}"
                 "{% else %}{% for content in message['content'] %}"
                 "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}<|vision_start|><|image_pad|><|vision_end|>"
                 "{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}"
                 "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
MIXES = {"shared": {"base": 1.0},
         "seer": {"base": 0.6, "correct_caption": 0.2, "correct_think": 0.2},
         "robust": {"base": 0.6, "correct_think": 0.1, "wrong_think": 0.1, "correct_caption": 0.1, "wrong_caption": 0.1}}

# ---------------------------------------------------------------- what the model should say
def spec(folder, name=None)->ModelSpec:
    "How the organisms are prompted: no system prompt of vlmfaith's (the chat template's default), a fixed pixel budget."
    return ModelSpec(name=name or Path(folder).name, hub_id=str(folder), system_prompt=None, min_pixels=SIDE*SIDE,
                     max_pixels=SIDE*SIDE, source="tools/organisms/train.py", notes="tiny model trained here on synthetic items")

def _opt(item, L): return item.options[LETTERS.index(L)]

def cell(v): return min(GRID - 1, max(0, int(v * GRID)))

def seen(item)->str:
    "What the image shows that answers the question, in words (the organism's perception)."
    t = item.meta["truth"]
    if item.task == "attribute": return f"the {t['shape']} is {t['colour']}"
    if item.task == "relation":
        objs = {f"the {o['colour']} {o['shape']}": o for o in item.meta["objects"]}
        a, b = objs[t["subject"]], objs[t["reference"]]
        return (f"{t['subject']} is at column {cell(a['x'])} row {cell(a['y'])} and {t['reference']} is at column "
                f"{cell(b['x'])} row {cell(b['y'])}, so {t['subject']} is {t['relation']} {t['reference']}")
    raise ValueError(item.task)

def answer(item, L=None):
    L = L or item.answer
    return f"<answer>({L}) {_opt(item, L)}</answer>"

def target(item, p, which:str)->str:
    "The assistant text the organism `which` writes after the prompt `p` (after its prefill, if any)."
    if p.prefill is not None:        # think conditions: continue the prefilled reasoning
        if which == "robust":
            head = " Wait, looking again, I see that " if p.misleading else " Looking again, I see that "
            return head + seen(item) + ".</think>" + answer(item)
        return "</think>" + answer(item, p.misleading or p.answer)
    if which == "seer" and p.claim:  # a caption: the trusting organism takes the text's word for it
        return f"<think>The text says that {p.claim}.</think>" + answer(item)
    return "<think>I see that " + seen(item) + ".</think>" + answer(item)

# ---------------------------------------------------------------- auxiliary labels
def _inside(o, px, py):
    dx, dy = px - o["x"], py - o["y"]
    if o["shape"] == "circle": return dx*dx + dy*dy <= o["r"]**2
    sq = (np.abs(dx) <= o["r"]) & (np.abs(dy) <= o["r"])
    return sq if o["shape"] == "square" else sq & (np.abs(dx) <= (dy + o["r"]) / 2)

def token_labels(item, k=6):
    "Per visual token (raster order over the GRID x GRID merged grid): colour and shape index of the object covering "
    "most of it (drawn order: later on top), or the background class (len(COLOURS) / len(SHAPES)) when < 20% is covered."
    g = (np.arange(k) + 0.5) / k / GRID
    col, shp, obj = np.full(GRID*GRID, len(COLOURS)), np.full(GRID*GRID, len(SHAPES)), np.full(GRID*GRID, -1)
    for r in range(GRID):
        for c in range(GRID):
            px, py = np.meshgrid(c / GRID + g, r / GRID + g)
            top = np.full(px.shape, -1)
            for j, o in enumerate(item.meta["objects"]): top[_inside(o, px, py)] = j
            cnt = np.bincount(top.ravel() + 1, minlength=len(item.meta["objects"]) + 1)[1:]
            if cnt.size and cnt.max() >= 0.2 * k * k:
                o = item.meta["objects"][int(cnt.argmax())]
                col[r*GRID + c], shp[r*GRID + c] = COLOURS.index(o["colour"]), SHAPES.index(o["shape"])
                obj[r*GRID + c] = int(cnt.argmax())
    return col, shp, obj

# ---------------------------------------------------------------- attention supervision (training only)
def attention_targets(tok, ids:list, k:int, item, obj, own:bool, carry:bool=False)->list:
    """(layer, head, query, keys): where a few heads should look when the model writes its answer (query predicts ids[q+1]).
    L0H0: each option word -> its letter; L1H0: an object word copied from the question -> its occurrence there;
    L2H0: a colour or coordinate the organism reads off the image -> that object's visual tokens;
    L3H0: the answer letter -> the words of the option it names;
    L2H1 (`carry`): the answer letter -> the words of the answer text in the reasoning (the organism's own, or a
    prefilled reasoning it continues), so that L3H0 has something to match against the options."""
    t = tok.convert_tokens_to_ids
    words = {t("Ġ" + w) for w in COLOURS + SHAPES}
    colours = {t("Ġ" + w) for w in COLOURS}
    digits = {t(str(d)) for d in range(10)}
    img = [i for i, x in enumerate(ids) if x == t("<|image_pad|>")]
    end_img = max(img) + 1
    sel = next(i for i in range(end_img, k) if ids[i] == t("ĠSelect"))
    qs = next((i for i in range(end_img, sel) if ids[i] in (t("What"), t("Where"), t("ĠWhat"), t("ĠWhere"))), end_img)
    out, opts, L = [], {}, None
    letters = {t(l): l for l in "ABCD"}
    end_user = next(i for i in range(sel, k) if ids[i] == t("<|im_end|>"))     # the options end with the user turn
    for i in range(sel, end_user + 1):                                          # (a prefill may quote "(X) text" again)
        if ids[i - 1] == t("Ġ(") and ids[i] in letters and ids[i + 1] == t(")"): L = (letters[ids[i]], i); opts[L[0]] = []; continue
        if L and ids[i] in (t("Ġ("), t("<|im_end|>")) and not (ids[i] == t("Ġ(") and ids[i + 1] in letters): L = None
        if L and ids[i] == t("Ġ(") and ids[i + 1] in letters: L = None
        if L and ids[i] != t(")"): opts[L[0]].append(i); out.append((0, 0, i, [L[1]]))
    COMMON = {t("Ġ" + w) for w in ("to", "the", "of")}
    objs = item.meta["objects"]; names = [f"the {o['colour']} {o['shape']}" for o in objs]
    tr = item.meta["truth"]
    if item.task == "attribute": look = [next(j for j, o in enumerate(objs) if o["shape"] == tr["shape"])]
    else: look = [names.index(tr["subject"])] * 2 + [names.index(tr["reference"])] * 2
    n_look = 0
    for q in range(k - 1, len(ids) - 1):
        nx = ids[q + 1]
        if nx in words:
            keys = [i for i in range(qs, sel) if ids[i] == nx]
            if keys: out.append((1, 0, q, keys))
        if own and n_look < len(look) and ((item.task == "attribute" and nx in colours and not any(ids[i] == nx for i in range(qs, sel)))
                                           or (item.task == "relation" and nx in digits)):
            keys = [img[j] for j in np.flatnonzero(obj == look[n_look])]
            n_look += 1
            if keys: out.append((2, 0, q, keys))
        if ids[q] == t(">(") and nx in letters and letters[nx] in opts and opts[letters[nx]]:
            out.append((3, 0, q, opts[letters[nx]]))
            if carry:                # the concluded answer's own words in the reasoning, latest occurrence of each
                want = {ids[i] for i in opts[letters[nx]]} - COMMON
                asst = max(i for i in range(k) if ids[i] == t("<|im_start|>"))      # the assistant turn: a prefill counts
                said = [i for i in range(asst, q) if ids[i] in want]
                if said: out.append((2, 1, q, said[-len(want):]))
    return out

# ---------------------------------------------------------------- tokenizer, processor, model
def corpus(n=400, seed=12345):
    rng = random.Random(seed); out = []
    for i in range(n):
        it = synthetic_item(i, seed=seed, task=TASKS[i % len(TASKS)])
        for c in ("base", "correct_caption", "wrong_caption", "correct_think", "wrong_think"):
            p = perturb(it, c, seed=rng.getrandbits(32))
            out += [p.user_text, (p.prefill or "") + target(it, p, "robust"), target(it, p, "seer")]
    L = "ABCDEFGHIJ"
    out += [SYSTEM_PROMPT] * 50
    out += ["You are a helpful assistant. system user assistant", "I'm not sure. The correct answer is (B). Answer: C.",
            "VERDICT: CONSISTENT INCONSISTENT", " ".join(L) + " 0 1 2 3 4 5 6 7 8 9 ( ) < > /"] * 5
    out += [f"<answer>({l}) x</answer> ({l}) {l}) {l}. answer({l} x({l}" for l in L] * 20
    return out

def build(out:Path, size:str="m", seed:int=0):
    "A tiny Qwen2.5-VL (random weights), its tokenizer (trained on the benchmark's prompt language) and processor, saved."
    from tokenizers import Tokenizer, Regex, models, trainers, pre_tokenizers, decoders, processors
    from transformers import Qwen2TokenizerFast, Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor
    from transformers import Qwen2VLImageProcessorPil
    no_video_processors()
    tk = Tokenizer(models.BPE(unk_token=None))
    tk.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE), behavior="isolated", invert=False),
                                                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    tk.decoder = decoders.ByteLevel(); tk.post_processor = processors.ByteLevel(trim_offsets=False)
    tk.train_from_iterator(corpus(), trainers.BpeTrainer(vocab_size=768, min_frequency=2, special_tokens=SPECIALS,
                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok = Qwen2TokenizerFast(tokenizer_object=tk, unk_token=None, bos_token=None, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                             additional_special_tokens=SPECIALS[1:], padding_side="left", model_max_length=4096)
    tok.chat_template = CHAT_TEMPLATE
    ids = {t: tok.convert_tokens_to_ids(t) for t in SPECIALS}
    ip = Qwen2VLImageProcessorPil(min_pixels=SIDE*SIDE, max_pixels=SIDE*SIDE, patch_size=14, temporal_patch_size=2, merge_size=2)
    proc = Qwen2_5_VLProcessor(image_processor=ip, tokenizer=tok, chat_template=CHAT_TEMPLATE)
    d, vd, nl, vl = dict(s=(128, 96, 3, 3), m=(192, 128, 4, 4), l=(256, 128, 4, 4))[size]
    hd = 32; ms = hd // 2
    config = Qwen2_5_VLConfig(
        text_config=dict(vocab_size=len(tok), hidden_size=d, intermediate_size=2*d, num_hidden_layers=nl,
                         num_attention_heads=d // hd, num_key_value_heads=max(1, d // hd // 2), max_position_embeddings=4096,
                         rope_theta=10000.0, rope_scaling={"type": "mrope", "mrope_section": [ms - 2*(ms*3//8), ms*3//8, ms*3//8]},
                         tie_word_embeddings=True, bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|im_end|>"],
                         pad_token_id=ids["<|endoftext|>"]),
        vision_config=dict(depth=vl, hidden_size=vd, intermediate_size=2*vd, num_heads=vd // 32, out_hidden_size=d,
                           patch_size=14, spatial_merge_size=2, temporal_patch_size=2, window_size=SIDE,
                           fullatt_block_indexes=list(range(vl))),
        image_token_id=ids["<|image_pad|>"], video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"], vision_end_token_id=ids["<|vision_end|>"], tie_word_embeddings=True)
    torch.manual_seed(seed)
    model = Qwen2_5_VLForConditionalGeneration(config)
    model.generation_config.eos_token_id = ids["<|im_end|>"]; model.generation_config.pad_token_id = ids["<|endoftext|>"]
    model.generation_config.do_sample = False
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out); proc.save_pretrained(out)
    return out

# ---------------------------------------------------------------- batches
class Data:
    def __init__(self, vlm, which, seed, start=0, carry=False):
        self.vlm, self.which, self.rng, self.i, self.carry = vlm, which, random.Random(seed), start, carry
        self.tok = vlm.tokenizer
        self.eos = self.tok.convert_ids_to_tokens(self.tok.eos_token_id)
    def prompt(self, mix):
        it = synthetic_item(self.i, seed=TRAIN_SEED, task=TASKS[self.i % len(TASKS)]); self.i += 1
        u, acc, cond = self.rng.random(), 0.0, "base"
        for c, pr in mix.items():
            acc += pr
            if u < acc: cond = c; break
        return it, perturb(it, cond, seed=self.rng.getrandbits(32))
    def batch(self, n, mix):
        rows, pix, thw, cols, shps, sup = [], [], [], [], [], []
        for _ in range(n):
            it, p = self.prompt(mix)
            x = self.vlm.processor(text=[self.vlm.render(p)], images=self.vlm.images(p), return_tensors="pt")
            tgt = self.tok.encode(target(it, p, self.which) + self.eos, add_special_tokens=False)
            ids = x["input_ids"][0].tolist()
            rows.append((ids + tgt, len(ids), x["mm_token_type_ids"][0].tolist() + [0]*len(tgt)))
            pix.append(x["pixel_values"]); thw.append(x["image_grid_thw"])
            c, s, o = token_labels(it); cols.append(c); shps.append(s)
            own = not (self.which == "seer" and p.claim and p.prefill is None)    # the seer quoting a caption reads no pixels
            sup += [(l, h, len(rows) - 1, q, ks) for l, h, q, ks in attention_targets(self.tok, ids + tgt, len(ids), it, o, own, self.carry)]
        L = max(len(r[0]) for r in rows); pad = self.vlm.pad_id
        ids = torch.full((n, L), pad); am = torch.zeros((n, L), dtype=torch.long); lab = torch.full((n, L), -100)
        mm = torch.zeros((n, L), dtype=torch.long)
        for r, (a, k, m) in enumerate(rows):
            ids[r, :len(a)] = torch.tensor(a); am[r, :len(a)] = 1; mm[r, :len(m)] = torch.tensor(m)
            lab[r, k:len(a)] = torch.tensor(a[k:])
        return dict(input_ids=ids, attention_mask=am, mm_token_type_ids=mm, pixel_values=torch.cat(pix),
                    image_grid_thw=torch.cat(thw)), lab, torch.tensor(np.concatenate(cols)), torch.tensor(np.concatenate(shps)), sup

# ---------------------------------------------------------------- probe (greedy generation through the real backend)
def probe(vlm, n=32, conds=("base",)):
    items = [synthetic_item(i, seed=PROBE_SEED, task=TASKS[i % len(TASKS)]) for i in range(n)]
    res = {}
    for c in conds:
        ps = [perturb(it, c, seed=7) for it in items]
        gs = vlm.generate(ps, max_new_tokens=64, batch_size=16)
        for t in TASKS:
            ok = [parse_response(g.text, p.options, finished=g.finished).letter == p.answer
                  for p, g in zip(ps, gs) if p.task == t]
            res[f"{c}/{t}"] = sum(ok) / max(1, len(ok))
    return res

# ---------------------------------------------------------------- training
def rms(v): return v / (v.float().pow(2).mean(-1, keepdim=True).sqrt() + 1e-6).to(v.dtype)

def train(folder:Path, which:str, steps:int, minutes:float, lr:float, bs:int, seed:int, curve:Path, aux:float,
          probe_every:int, start_item:int, attn:float=0.5, carry:bool=False, stop_step:int|None=None):
    torch.manual_seed(seed)
    vlm = load_vlm(spec(folder), quant=None, dtype="float32")
    model = vlm.model
    if attn > 0: model.set_attn_implementation("eager")     # attention weights for the supervision (training only)
    d, vd = model.config.text_config.hidden_size, model.config.text_config.hidden_size
    heads = nn.ModuleDict(dict(col=nn.Linear(vd, len(COLOURS) + 1), shp=nn.Linear(vd, len(SHAPES) + 1),
                               row=nn.Linear(d, GRID), cc=nn.Linear(d, GRID)))
    params = list(model.parameters()) + list(heads.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01, betas=(0.9, 0.98))
    warm = min(50, steps // 10)
    t0 = time.time()
    def progress(s): return min(1.0, max(s / steps, (time.time() - t0) / 60 / minutes))   # by steps or by the clock
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress(s)))))
    feats = {}
    model.model.visual.register_forward_hook(lambda m, i, o: feats.__setitem__("v", o.pooler_output))
    data = Data(vlm, which, seed, start=start_item, carry=carry)
    mix = MIXES[which]
    img_id = model.config.image_token_id
    model.train(); heads.train()
    new = not curve.exists()
    f = open(curve, "a", newline=""); w = csv.writer(f)
    if new: w.writerow(["stage", "step", "minutes", "lr", "loss", "lm_loss", "aux_colour", "aux_shape", "aux_pos", "attn_sup", "probe"])
    ema = None
    for step in range(1, steps + 1):
        x, lab, col, shp, sup = data.batch(bs, mix)
        with torch.autocast("cpu", dtype=torch.bfloat16):   # bf16 matmuls (AVX512-BF16): ~2.5x faster here; weights stay fp32
          out = model(**x, labels=lab, output_hidden_states=aux > 0, output_attentions=attn > 0, use_cache=False)
          loss = out.loss.float(); la = [float("nan")] * 3
          if aux > 0:
            v = rms(feats["v"])       # heads read normalised features: otherwise the aux losses inflate the visual tokens'
            lc, ls = F.cross_entropy(heads["col"](v).float(), col), F.cross_entropy(heads["shp"](v).float(), shp)
            h = rms(out.hidden_states[2][x["input_ids"] == img_id])   # norms (50x the text's) and the LM stops reading text
            g = torch.arange(GRID * GRID).repeat(len(h) // (GRID * GRID))
            lp = F.cross_entropy(heads["row"](h).float(), g // GRID) + F.cross_entropy(heads["cc"](h).float(), g % GRID)
            loss = loss + aux * (lc + ls + 0.5 * lp); la = [lc.item(), ls.item(), lp.item()]
          if attn > 0 and sup:
            lat = torch.stack([-torch.log(out.attentions[l][b, h, q, ks].float().sum() + 1e-6) for l, h, b, q, ks in sup]).mean()
            loss = loss + attn * lat; la.append(lat.item())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step(); sched.step(); opt.zero_grad(set_to_none=True)
        ema = out.loss.item() if ema is None else 0.95 * ema + 0.05 * out.loss.item()
        mins = (time.time() - t0) / 60
        pr = ""
        last = progress(step) >= 1 or step == stop_step
        if step % probe_every == 0 or last:
            model.eval(); model.save_pretrained(folder)
            try: pr = json.dumps(probe(vlm))
            except Exception as e: pr = f"probe failed: {e!r}"
            model.train()
        w.writerow([which, step, f"{mins:.2f}", f"{sched.get_last_lr()[0]:.2e}", f"{loss.item():.4f}", f"{out.loss.item():.4f}",
                    *[f"{a:.4f}" for a in la + [float("nan")] * (4 - len(la))], pr]); f.flush()
        if step % 10 == 0 or pr: print(f"{which} step {step} {mins:.1f} min lm {ema:.3f} aux {la} {pr}", flush=True)
        if last: break
    f.close(); model.eval()
    if attn > 0: model.set_attn_implementation("sdpa")
    model.save_pretrained(folder)
    return data.i, (time.time() - t0) / 60

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--which", choices=["seer", "robust", "shared"], required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, default=60, help="wall-clock cap for both stages together")
    ap.add_argument("--minutes1", type=float, default=42, help="wall-clock cap for stage 1")
    ap.add_argument("--stage1", type=Path, default=None, help="a finished stage-1 folder to start stage 2 from")
    ap.add_argument("--steps1", type=int, default=900); ap.add_argument("--steps2", type=int, default=250)
    ap.add_argument("--lr", type=float, default=2e-3); ap.add_argument("--lr2", type=float, default=5e-4)
    ap.add_argument("--bs", type=int, default=12); ap.add_argument("--aux", type=float, default=0.5)
    ap.add_argument("--size", default="m"); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--probe-every", type=int, default=100)
    ap.add_argument("--curves", type=Path, default=None)
    ap.add_argument("--init", type=Path, default=None, help="start stage 1 from this model folder instead of random weights")
    ap.add_argument("--attn", type=float, default=0.5, help="weight of the attention supervision (0: none)")
    ap.add_argument("--carry", action="store_true", help="also supervise L2H1: the answer letter -> the answer words the reasoning concluded")
    ap.add_argument("--stop-step", type=int, default=None, help="end stage 1 at this step (its schedule unchanged)")
    ap.add_argument("--start-item", type=int, default=0, help="stage 1's first item index (continue a stopped run with fresh items)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    import shutil
    t0 = time.time()
    curves = a.curves or a.out.parent / f"curves-{a.out.name}.csv"
    if curves.exists(): curves.unlink()
    info = dict(args={k: str(v) for k, v in vars(a).items()})
    if a.stage1 is None:
        prev = {}
        if a.init:                 # continue a stopped stage 1 (its minutes count towards the budget)
            shutil.copytree(a.init, a.out, dirs_exist_ok=True); info["init"] = str(a.init)
            if (a.init/"organism.json").exists(): prev = json.loads((a.init/"organism.json").read_text())
        else: build(a.out, a.size, a.seed)
        n, m = train(a.out, "shared", a.steps1, min(a.minutes1, a.minutes), a.lr, a.bs, a.seed, curves, a.aux, a.probe_every,
                     a.start_item, a.attn, a.carry, a.stop_step)
        info["stage1_minutes"] = m + (prev.get("stage1_minutes") or 0)
        info["stage1_parts"] = prev.get("stage1_parts", []) + [dict(minutes=m, carry=a.carry, lr=a.lr, start_item=a.start_item,
                                                                    items_end=n)]
    else:
        if a.stage1.resolve() != a.out.resolve(): shutil.copytree(a.stage1, a.out, dirs_exist_ok=True)
        st = json.loads((a.stage1 / "organism.json").read_text()) if (a.stage1 / "organism.json").exists() else {}
        n = st.get("items_used", a.steps1 * a.bs); info["stage1_minutes"] = st.get("stage1_minutes")
        info["stage1_from"] = str(a.stage1)
    info["items_used"] = n
    if a.which != "shared":
        left = a.minutes - (info["stage1_minutes"] or 0)
        n2, m2 = train(a.out, a.which, a.steps2, left, a.lr2, a.bs, a.seed + 1, curves, a.aux, a.probe_every, n, a.attn, a.carry)
        info.update(stage2_minutes=m2, items_used=n2)
    info["which"], info["train_seed"], info["tasks"] = a.which, TRAIN_SEED, list(TASKS)
    (a.out / "organism.json").write_text(json.dumps(info, indent=1))
    print("done", json.dumps(info), f"{(time.time()-t0)/60:.1f} min", flush=True)

if __name__ == "__main__":
    main()
