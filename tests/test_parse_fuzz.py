"Bad input never raises: `parse_response` on random unicode, binary-looking, huge and tag-soup text, odd option lists and prefills."
import time
from hypothesis import given, settings, strategies as st, HealthCheck
from vlmfaith.data import LETTERS
from vlmfaith.parse import parse_response, parse_generation, rule_consistent, STATUSES, Parsed, _TAG, _as_text

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck), database=None)
PIECES = ["<think>", "</think>", "<answer>", "</answer>", "< think >", "</ANSWER>", "◁think▷", "◁/think▷", "＜answer＞",
          "<thinking>", "answer is ", "Answer: ", "the answer is not ", "If the answer were ", "option ", "(A)", "(b)", "B)",
          "[C]", "\\boxed{", "\\text{", "}", "**", "`", "$", "So ", "Therefore, ", "it's ", "I think ", "but I think",
          " is wrong", ", not ", "Between A and B, ", " is closer", "...", "\n", "\n\n", " ", "\t", "\u00a0", "\u2028",
          "\x00", "\ufffd", "（Ｂ）", "答案：", "A", "I", "a", "lamp", "books", "1", "10", "one", "I'm not sure"]
soup = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)
binaryish = st.binary(max_size=300).map(lambda b: b.decode("latin-1"))
texts = st.one_of(st.text(max_size=300), soup, binaryish, st.none(), st.binary(max_size=200),
                  st.sampled_from(["<think>", "</think>", "<answer>", "</answer>", "", " ", "\n", "(", ")", "\\boxed{"]))
options = st.one_of(st.none(), st.lists(st.one_of(st.text(max_size=15), st.none(), st.integers(), st.floats(allow_nan=True)), max_size=8),
                    st.lists(st.sampled_from(["lamp", "books", "1", "10", "I'm not sure", "", "A", "B", "a lamp"]), max_size=6),
                    st.tuples(st.text(max_size=5), st.text(max_size=5)))

def check(p:Parsed, opts, finished:bool, strict:bool, text=""):
    "The invariants every parse keeps."
    n = len(opts) if isinstance(opts, (list, tuple)) else 0
    assert p.status in STATUSES and p.finished == bool(finished)
    assert (p.letter is None) == (p.status != "ok")
    assert p.letter is None or p.letter in LETTERS[:n]
    assert p.think_letter is None or p.think_letter in LETTERS[:n]
    assert p.think_source in ("model", "prefill", "") and (p.think_source == "") == (p.think_letter is None)
    assert isinstance(p.format_ok, bool) and isinstance(p.own_reasoning, bool)
    assert isinstance(p.think, str) and isinstance(p.answer_text, str) and isinstance(p.note, str)
    if strict and p.letter:                                        # strict: only from an <answer> after a </think>
        tags = [(m.group(1), m.group(2).lower()) for m in _TAG.finditer(_as_text(text))]
        assert ("/", "answer") in tags or (finished and ("", "answer") in tags)
        assert any(c == "/" and t.startswith("think") for c, t in tags)
    assert rule_consistent(p) in (True, False, None)

@FUZZ
@given(texts, options, st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(0, 400), texts))
def test_never_raises(text, opts, finished, strict, prefill):
    "Any text, options and prefill (a prefix of the text, or anything at all) parse without raising."
    if isinstance(prefill, int): prefill = text[:prefill] if isinstance(text, str) else None
    check(parse_response(text, opts, finished=finished, strict=strict, prefill=prefill), opts, finished, strict, text)

@FUZZ
@given(soup, st.lists(st.sampled_from(["lamp", "books", "chair"]), min_size=2, max_size=3, unique=True), st.integers(0, 200))
def test_prefill_split_anywhere(text, opts, k):
    "A prefill ending anywhere (inside a tag or a word) changes nothing but whose words they are."
    p = parse_response(text, opts, prefill=text[:k])
    check(p, opts, True, False)
    q = parse_response(text, opts)
    assert p.format_ok == q.format_ok

@FUZZ
@given(st.dictionaries(st.sampled_from(["text", "finish_reason", "prefill", "error", "options"]),
                       st.one_of(st.none(), st.text(max_size=40), st.integers()), max_size=5), options)
def test_parse_generation_records(rec, opts):
    "A store record with missing or odd fields parses too."
    check(parse_generation(rec, opts if isinstance(opts, list) else []), opts if isinstance(opts, list) else [],
          (rec.get("finish_reason") or "stop") == "stop", False)

HUGE = {"blanks after 'answer is'": "answer is" + " " * 200_000 + "B", "open think, repeated '(A), '": "<think>So " + "(A), " * 80_000,
        "repeated 'not (A) but (B) '": "<think>So " + "not (A) but (B) " * 40_000 + "</think>", "lone '<'": "<" * 300_000,
        "repeated tags": "<think></think><answer>" * 30_000, "nested braces": "\\boxed{" * 50_000 + "}" * 50_000,
        "one long word": "a" * 500_000, "repeated 'answer is '": "answer is " * 60_000, "lines of letters": "A\n" * 200_000,
        "hypotheticals": "<think>If " + "(A), " * 60_000 + "then (B)</think>", "endorsements": "<think>" + "option B is the most " * 30_000}

def test_huge_inputs_are_linear():
    "Huge adversarial inputs parse in linear time: at most a few seconds for up to a million characters."
    for name, text in HUGE.items():
        t0 = time.process_time()
        check(parse_response(text, ["lamp", "books", "chair"], prefill=text[:len(text) // 2]), ["lamp", "books", "chair"], True, False)
        dt = time.process_time() - t0
        assert dt < 5, f"{name}: {len(text):,} characters took {dt:.1f} s of CPU; a regex is backtracking"
