"""Parser speed on the 2-core CPU dev machine: throughput on the notebook's case table, and the time of adversarial
long inputs (long blank runs, repeated tags and phrases) that would be quadratic or worse with careless regexes.

Run: python bench/parse.py   (prints parses/s and the worst adversarial time; no thresholds, nothing asserted)"""
import json, time
from pathlib import Path
from vlmfaith.parse import parse_response

def table_cases():
    "The case table of nbs/parse.ipynb, read from the notebook's cell that defines CASES."
    nb = json.loads((Path(__file__).resolve().parents[1]/"nbs"/"parse.ipynb").read_text())
    src = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code" and "CASES = [" in "".join(c["source"]))
    ns = {}; exec(src, ns)
    return ns["CASES"]

def main(reps:int=30):
    cases = table_cases()
    t0 = time.perf_counter()
    for _ in range(reps):
        for _, text, opts, fin, *_ in cases: parse_response(text, opts, finished=fin)
    dt = time.perf_counter() - t0
    n = reps * len(cases)
    print(f"case table: {len(cases)} cases x {reps}: {n/dt:,.0f} parses/s ({dt/n*1e6:.0f} us each, "
          f"mean length {sum(len(c[1]) for c in cases)/len(cases):.0f} chars)")
    long = cases[1][1] * 20
    t0 = time.perf_counter(); parse_response(long, cases[1][2]); print(f"one {len(long):,}-char response: {(time.perf_counter()-t0)*1e3:.1f} ms")
    n = 20000
    adversarial = {"'answer is' + blanks": "answer is" + " " * n + "xy", "'<' + blanks": "<" + " " * n,
                   "repeated 'answer is '": "answer is " * n, "repeated '(A) '": "(A) " * n, "repeated 'A, '": "A, " * n,
                   "nested \\text{": "\\text{" * n + "}" * n, "blank lines": " \n" * n + "answer",
                   "repeated answer blocks": "<answer>B</answer>" * (n // 10)}
    worst = 0.0
    for name, t in adversarial.items():
        t0 = time.perf_counter(); parse_response(t, ["a", "b", "c"]); dt = time.perf_counter() - t0
        worst = max(worst, dt); print(f"  {name:<26} {len(t):>8,} chars {dt*1e3:8.1f} ms")
    print(f"worst adversarial: {worst*1e3:.0f} ms")

if __name__ == "__main__": main()
