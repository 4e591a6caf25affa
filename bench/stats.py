"""Benchmark: the paired bootstrap of a difference of accuracies, vlmfaith.stats against scipy.stats.bootstrap.

Side by side in one run, n = 10,000 paired binary outcomes, 10,000 resamples:
  paired_diff_ci(x, y, method="bootstrap-bca" / "bootstrap-percentile")   (cell-count multinomial: cost independent of n)
  scipy.stats.bootstrap((x, y), paired=True, vectorized=True, method="BCa" / "percentile")
and the item-level engine of bootstrap_ci (a callable statistic, chunked) against the same scipy call.
Prints the times, the ratio and both intervals; fails if the intervals differ by more than 0.002.
Run: PYTHONPATH=. python bench/stats.py
"""
import time
import numpy as np
from scipy import stats
from vlmfaith.stats import paired_diff_ci, bootstrap_ci

N, B, TOL = 10_000, 10_000, 0.002

def timed(f, repeat=1):
    "Best wall time of `repeat` calls, and the last result."
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter(); r = f(); best = min(best, time.perf_counter() - t)
    return best, r

def diff(x, y, axis=-1): return np.mean(y, axis=axis) - np.mean(x, axis=axis)

def main():
    rng = np.random.default_rng(0)
    cells = rng.choice(4, size=N, p=[0.62, 0.12, 0.05, 0.21])        # (1,1), (1,0), (0,1), (0,0): a drop of 7 points
    x = np.isin(cells, [0, 1]).astype(float); y = np.isin(cells, [0, 2]).astype(float)
    print(f"n = {N} paired binary outcomes, {B} resamples, estimate mean(y) - mean(x) = {y.mean() - x.mean():+.4f}")
    print(f"{'method':<11} {'vlmfaith s':>11} {'scipy s':>9} {'ratio':>8}   {'vlmfaith interval':<20} {'scipy interval':<20} {'max diff':>8}")
    ok = True
    for ours_m, sp_m in (("bootstrap-bca", "BCa"), ("bootstrap-percentile", "percentile")):
        t_o, r = timed(lambda: paired_diff_ci(x, y, method=ours_m, n_resamples=B, seed=1), repeat=5)
        t_s, s = timed(lambda: stats.bootstrap((x, y), diff, paired=True, vectorized=True, n_resamples=B, method=sp_m,
                                               batch=500, rng=np.random.default_rng(1)).confidence_interval)
        d = max(abs(r.low - s.low), abs(r.high - s.high)); ok &= d <= TOL
        print(f"{sp_m:<11} {t_o:>11.5f} {t_s:>9.2f} {t_s / t_o:>7.0f}x   [{r.low:+.4f}, {r.high:+.4f}]   [{s.low:+.4f}, {s.high:+.4f}]   {d:>8.4f}")
    t_i, r = timed(lambda: bootstrap_ci(x, y, statistic=diff, method="percentile", n_resamples=B, seed=1))
    t_s, s = timed(lambda: stats.bootstrap((x, y), diff, paired=True, vectorized=True, n_resamples=B, method="percentile",
                                           batch=500, rng=np.random.default_rng(1)).confidence_interval)
    d = max(abs(r.low - s.low), abs(r.high - s.high)); ok &= d <= TOL
    print(f"item-level engine (callable statistic, percentile): {t_i:.2f} s vs scipy {t_s:.2f} s (ratio {t_s / t_i:.1f}x), "
          f"[{r.low:+.4f}, {r.high:+.4f}] vs [{s.low:+.4f}, {s.high:+.4f}], max diff {d:.4f}")
    print("cell-count bootstrap (BCa) time by n:", ", ".join(
        f"n = {n:,}: {timed(lambda: paired_diff_ci(np.resize(x, n), np.resize(y, n), method='bootstrap-bca', n_resamples=B), 3)[0] * 1e3:.1f} ms"
        for n in (1_000, 10_000, 100_000, 1_000_000)))
    print(f"intervals agree within {TOL}: {ok}")
    assert ok, "intervals differ by more than the tolerance"

if __name__ == "__main__": main()
