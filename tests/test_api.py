"""vlmfaith.api over real HTTP on 127.0.0.1: `transformers serve` with the tiny random VLM, and `ScriptedServer` for
retries, errors, concurrency and key hygiene. vLLM's tier (logprobs, n, prefill, stop) is tests/test_api_vllm.py."""
import logging, time, warnings
import pytest
from PIL import Image
from vlmfaith.api import OpenAIVLM, CapabilityError, local_server
from vlmfaith.testing import ScriptedServer
from vlmfaith.data import MCItem
from vlmfaith.perturb import Prompt, perturb

A = {"39": 100.0}            # logit_bias: token 39 is "A" in the tiny vocabulary (floats: transformers serve 500s on ints)
KEY = "vlmfaith-t3st-5ecret-0123456789"   # not shaped like an OpenAI key: only the exact match scrubs it


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    from vlmfaith.models import tiny_vlm
    return tiny_vlm(tmp_path_factory.mktemp("tiny") / "tiny")


@pytest.fixture(scope="session")
def server(tiny):
    with local_server(tiny, timeout=90) as srv: yield srv


def item(i=0, img=None, options=("red", "blue")):
    return MCItem(f"q{i}", img if img is not None else Image.new("RGB", (64, 48), (200, 30, 30)), f"Question {i}?", list(options), "A")


def backend(server, **kw):
    return OpenAIVLM(server.model, base_url=server.base_url, **kw)


def quiet(f, *a, **kw):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        return f(*a, **kw), [str(x.message) for x in w]


# --- transformers serve -------------------------------------------------------------------------------------------

def test_images_reach_the_model(server):
    "prompt_tokens grow with the number and size of the images the server decoded."
    small, big = Image.new("RGB", (32, 32), "red"), Image.new("RGB", (256, 256), "blue")
    two = perturb(item(0, small)); two.messages[0]["content"].insert(0, {"type": "image", "image": big})
    ps = [perturb(item(0), "no_image"), perturb(item(0, small)), perturb(item(0, big)), two]
    gs = backend(server, max_concurrency=4).generate(ps, max_new_tokens=1)
    assert all(g.error is None for g in gs), [g.error for g in gs]
    t = [g.prompt_tokens for g in gs]
    assert t[0] < t[1] < t[2] < t[3], t
    assert t[3] == t[1] + t[2] - t[0]                              # two images: both counted


def test_content_finish_usage_stream_and_not(server):
    "Exact content through logit_bias, the same streamed and not; finish_reason and usage filled in."
    ps = [perturb(item(i)) for i in range(3)]
    plain = backend(server, extra_body={"logit_bias": A}).generate(ps, max_new_tokens=5)
    streamed = backend(server, extra_body={"logit_bias": A}, stream=True).generate(ps, max_new_tokens=5)
    for gs in (plain, streamed):
        assert [g.text for g in gs] == ["AAAAA"] * 3 and [g.continuation for g in gs] == ["AAAAA"] * 3
        assert {g.finish_reason for g in gs} == {"length"} and {g.completion_tokens for g in gs} == {5}
        assert [g.key for g in gs] == [p.key for p in ps] and all(g.seconds > 0 for g in gs)
    assert [g.prompt_tokens for g in plain] == [g.prompt_tokens for g in streamed] and plain[0].prompt_tokens > 30


def test_seeded_sampling_is_reproducible(server):
    ps = [perturb(item(0))]
    b = backend(server)
    a1, a2 = (b.generate(ps, max_new_tokens=12, temperature=1.0, seed=3) for _ in range(2))
    assert a1[0].text == a2[0].text and a1[0].completion_tokens == 12


def test_errors_are_clear_and_kept_per_prompt(server):
    "422 for an unknown field (not retried), 500 for an image the server cannot decode, 400 for another model id."
    ok = perturb(item(1))
    gs = backend(server, extra_body={"no_such_field": 1}).generate([ok], max_new_tokens=2)
    assert "HTTP 422 from 127.0.0.1" in gs[0].error and "no_such_field" in gs[0].error and gs[0].finish_reason == "error"
    broken = Prompt([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                                                  {"type": "text", "text": "?"}]}], None, ["a", "b"], "A", None, "base", None, "bad")
    gs = backend(server, max_retries=1, retry_base=0.01, max_concurrency=1).generate([broken, ok], max_new_tokens=2)
    assert "'bad' (base): HTTP 500 from 127.0.0.1" in gs[0].error and "(after 2 attempts)" in gs[0].error
    assert gs[1].error is None and gs[1].completion_tokens == 2     # the server dropped the connection; the retry recovered
    gs = OpenAIVLM("some/other-model", base_url=server.base_url).generate([ok], max_new_tokens=2)
    assert "HTTP 400" in gs[0].error and "pinned" in gs[0].error
    unreadable = perturb(item(2, b"\x89PNG not really"))
    assert "image 0 cannot be read" in backend(server).generate([unreadable])[0].error


def test_n_asked_but_not_returned(server):
    "transformers serve ignores n: caught, warned once, the missing samples fetched one at a time with seeds seed+i."
    ps = [perturb(item(i)) for i in range(2)]
    b = backend(server)
    gs, w = quiet(b.generate, ps, n=3, max_new_tokens=6, temperature=1.0, seed=5)
    assert [(g.key, g.sample) for g in gs] == [(p.key, s) for p in ps for s in range(3)]
    assert all(g.error is None and g.completion_tokens == 6 for g in gs)
    assert b.capabilities["n"] is False and len([x for x in w if "asked for n=3 but got 1" in x]) == 1
    singles = [backend(server).generate([ps[0]], max_new_tokens=6, temperature=1.0, seed=5 + s)[0].text for s in range(3)]
    assert singles == [g.text for g in gs[:3]]                     # sample s is the request with seed+s
    gs2, w2 = quiet(b.generate, ps[:1], n=2, max_new_tokens=2)    # known now: no second warning, still n samples
    assert len(gs2) == 2 and not w2


def test_logprobs_asked_but_not_returned(server):
    "transformers serve answers 200 without logprobs: option_probs says so instead of returning numbers."
    b = backend(server, prefill="assistant")                      # pretend it continues, so the request goes out
    with pytest.raises(CapabilityError, match="answered without logprobs although they were asked for"):
        b.option_probs([perturb(item(0))])
    assert b.capabilities["logprobs"] is False
    with pytest.raises(CapabilityError, match="no logprobs"): b.option_probs([perturb(item(0))])


def test_prefill_without_continuation(server):
    "prefill='auto' probes (422/500 here), then prompts needing a prefill fail clearly; prefill='user' sends it in the user turn."
    base = perturb(item(0))
    pre = Prompt(base.messages, "<think>It is blue", base.options, "A", "B", "wrong_think", None, "q0")
    b = backend(server)
    g = b.generate([pre, base], max_new_tokens=3)
    assert b.capabilities["prefill"] is False and "needs an assistant prefill" in g[0].error and g[1].error is None
    u = backend(server, prefill="user", extra_body={"logit_bias": A}).generate([pre, base], max_new_tokens=3)
    assert u[0].text == "<think>It is blueAAA" and u[0].continuation == "AAA"
    assert u[0].prompt_tokens > u[1].prompt_tokens and u[0].model.endswith("|prefill=user")


# --- ScriptedServer: retries, concurrency, keys -------------------------------------------------------------------

def test_retries_429_with_retry_after_then_200():
    ps = [perturb(item(0))]
    script = [(429, {"Retry-After": "0.25"}, {"error": {"message": "rate limited"}})] * 2
    with ScriptedServer(script) as srv:
        t0 = time.perf_counter()
        g = OpenAIVLM("m", base_url=srv.base_url, retry_base=0.01).generate(ps)[0]
        dt = time.perf_counter() - t0
    assert g.error is None and g.text == "echo: Question 0? Select from the following choices: (A) red (B) blue"
    assert len(srv.requests) == 3 and 0.5 <= dt < 2


def test_retries_5xx_and_connection_errors(caplog):
    ps = [perturb(item(i)) for i in range(4)]
    with ScriptedServer([500, 503]) as srv, caplog.at_level(logging.INFO, "vlmfaith.api"):
        gs = OpenAIVLM("m", base_url=srv.base_url, retry_base=0.01, max_concurrency=1).generate(ps)
    assert all(g.error is None for g in gs) and len(srv.requests) == 6
    assert [r.message.split("; ")[-1][:9] for r in caplog.records] == ["retry 1/4", "retry 2/4"]
    # a prompt that keeps failing carries its error; the others are not lost (concurrent here)
    def route(req):
        return (502, {}, {"error": {"message": "upstream down"}}) if "Question 2?" in str(req["json"]["messages"]) else None
    with ScriptedServer([route] * 20) as srv:
        gs = OpenAIVLM("m", base_url=srv.base_url, retry_base=0.01, max_retries=2, max_concurrency=4).generate(ps)
    assert [g.error is None for g in gs] == [True, True, False, True]
    assert "'q2' (base): HTTP 502 from 127.0.0.1: upstream down (after 3 attempts)" in gs[2].error
    # nobody listening: connection errors are retried, then reported
    with ScriptedServer() as srv: url = srv.base_url
    g = OpenAIVLM("m", base_url=url, retry_base=0.01, max_retries=1).generate(ps[:1])[0]
    assert "connection error" in g.error and "(after 2 attempts)" in g.error


def test_server_answer_kept_when_the_retry_loses_the_connection(capsys):
    """A 500, then a dropped connection on the retry (transformers serve closes the connection after its 500s): the error
    names the server's answer first, then the last attempt's connection error."""
    def drop(req): raise ConnectionAbortedError("dropped by the scripted server")
    with ScriptedServer([500, drop]) as srv:
        g = OpenAIVLM("m", base_url=srv.base_url, retry_base=0.01, max_retries=1).generate([perturb(item(0))])[0]
    assert "'q0' (base): HTTP 500 from 127.0.0.1: scripted 500 (after 2 attempts); the last: HTTP connection error" in g.error
    capsys.readouterr()                       # the server thread's traceback for the dropped request

def test_timeout_is_retried_then_reported():
    with ScriptedServer(delay=0.6) as srv:
        g = OpenAIVLM("m", base_url=srv.base_url, timeout=0.2, max_retries=1, retry_base=0.01).generate([perturb(item(0))])[0]
    assert "Timeout" in g.error and len(srv.requests) <= 2


def test_bounded_concurrency_and_order():
    ps = [perturb(item(i)) for i in range(16)]
    for k in (1, 4):
        with ScriptedServer(delay=0.05) as srv:
            gs = OpenAIVLM("m", base_url=srv.base_url, max_concurrency=k).generate(ps)
        assert srv.max_in_flight == k, (k, srv.max_in_flight)
        assert [g.text.split("?")[0] for g in gs] == [f"echo: Question {i}" for i in range(16)]


def test_key_from_env_never_leaks(monkeypatch, caplog):
    "The key is sent, but not in repr, model_key, logs or errors, even when a server echoes it back."
    monkeypatch.setenv("VLMFAITH_TEST_KEY", KEY)
    echo = lambda status: (status, {}, {"error": {"message": "Incorrect API key provided: {api_key}"}})
    with ScriptedServer([echo(500), echo(401)]) as srv, caplog.at_level(logging.DEBUG):
        b = OpenAIVLM("m", base_url=srv.base_url, api_key_env="VLMFAITH_TEST_KEY", retry_base=0.01)
        g = b.generate([perturb(item(0))])[0]
    assert srv.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"     # it was sent ...
    assert "HTTP 401" in g.error and "Incorrect API key provided" in g.error
    assert "t3st-5ecret" not in g.error and "t3st-5ecret" not in caplog.text  # ... and the echo was scrubbed
    assert "retry 1/4" in caplog.text
    for s in (repr(b), b.model_key, str(vars(b).get("notes"))): assert "5ecret" not in s


def test_no_key_needed_for_local_servers(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with ScriptedServer() as srv:
        g = OpenAIVLM("m", base_url=srv.base_url).generate([perturb(item(0))])[0]
    assert g.error is None and srv.requests[0]["headers"]["authorization"] == "Bearer not-needed"
    with pytest.raises(ValueError, match="set the environment variable OPENAI_API_KEY"): OpenAIVLM("gpt-4o")
