"""OpenAI-compatible backend: what bounded concurrency and the data-URL cache buy, measured side by side in one run.

A ScriptedServer on 127.0.0.1 answers each request after 50 ms (a stand-in for a remote server's latency; real HTTP).
Run: python bench/api.py"""
import io, time
from PIL import Image
import numpy as np
from vlmfaith.api import OpenAIVLM, data_url, _URLS
from vlmfaith.testing import ScriptedServer
from vlmfaith.data import MCItem
from vlmfaith.perturb import perturb

def timed(f, reps=3):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter(); f(); ts.append(time.perf_counter() - t0)
    return min(ts)

rng = np.random.default_rng(0)
def png(a):
    buf = io.BytesIO(); Image.fromarray(a).save(buf, format="PNG"); return buf.getvalue()
# photo-like 640x480 images, as PNG bytes (what a `datasets` image column holds)
y, x = np.mgrid[0:480, 0:640]
imgs = [png(np.clip(np.stack([x/3 + 40*k, y/2, (x+y)/5], -1) + rng.normal(0, 8, (480, 640, 3)), 0, 255).astype(np.uint8))
        for k in range(4)]
ps = [perturb(MCItem(f"q{i}", imgs[i % 4], f"Question {i}?", ["a", "b", "c", "d"], "A")) for i in range(32)]
with ScriptedServer(delay=0.05) as srv:
    t = {k: timed(lambda: OpenAIVLM("m", base_url=srv.base_url, max_concurrency=k).generate(ps, max_new_tokens=8)) for k in (1, 8)}
print(f"32 prompts, 50 ms server latency: max_concurrency=1 {t[1]:.2f} s, =8 {t[8]:.2f} s -> {t[1]/t[8]:.1f}x")

img = Image.open(io.BytesIO(imgs[0])).convert("RGB")     # a decoded image
def cold(): [(_URLS.clear(), data_url(img)) for _ in range(9)]
def warm(): [data_url(img) for _ in range(9)]
data_url(img)
c, w = timed(cold, 5), timed(warm, 5)
print(f"one 640x480 image sent under 9 conditions: PNG encoding each time {c*1e3:.0f} ms, cached {w*1e3:.2f} ms -> {c/w:.0f}x")
