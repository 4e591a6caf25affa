"""`vlmfaith` under bad input, as a user meets it: each failure through the real CLI in a subprocess, one line on stderr,
its exit code (2 bad input, 3 unavailable, 4 run stopped), no traceback; the checks that need no model come first."""
import json, os, socket, subprocess, sys, time
from pathlib import Path
import pytest
import yaml
from vlmfaith.store import Store, StoreFile, record_key, decoding_key
from vlmfaith.testing import ScriptedServer
from vlmfaith.run import default_spec

pytestmark = pytest.mark.xdist_group("cli")     # one worker: the module's tiny run is made once and shared

MAIN = "import sys; from vlmfaith.cli import main; sys.exit(main())"   # what the console script runs (vlmfaith.cli:main)

def cli(*args, timeout=120, env=None):
    "Run `vlmfaith ARGS` in a subprocess (offline, as the tests are): (exit code, stdout, stderr)."
    r = subprocess.run([sys.executable, "-c", MAIN, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})
    return r.returncode, r.stdout, r.stderr

def one_line(err:str)->str:
    "The failure's line: stderr's last line, the only one from vlmfaith, and no traceback."
    assert "Traceback" not in err, err[-3000:]
    lines = [l for l in err.splitlines() if l.strip()]
    ours = [l for l in lines if l.startswith("vlmfaith")]
    assert len(ours) == 1 and lines[-1] == ours[0], err[-3000:]
    return ours[0]

def fails(code:int, contains:str, *args, **kw)->str:
    rc, out, err = cli(*args, **kw)
    line = one_line(err)
    assert rc == code and contains in line, (rc, line)
    return line

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    (d/"bad.yaml").write_text("models:\n  - {name: tiny\nconditions: [base]\n")
    (d/"bad.toml").write_text('conditions = ["base"\nout = "x"\n')
    (d/"unknown.yaml").write_text("models: [{name: tiny, quantization: 4bit}]\n")
    (d/"greedy.yaml").write_text("decoding: {temperature: 0, samples: 3}\n")
    (d/"spec.json").write_text("{}")
    (d/"a-file").write_text("not a folder")
    return d

def closed_port()->int:
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

TINY = ["--model", "tiny", "--benchmark", "synthetic", "--limit", "2", "--conditions", "base", "--max-new-tokens", "8",
        "--no-report", "--quiet"]

# Failures the arguments alone show: refused at once (well under the time a model load takes), exit code 2.
ARGS = [
    ("unknown benchmark", ["run", "--model", "tiny", "--benchmark", "nosuch"], "unknown benchmark 'nosuch'"),
    ("negative limit", ["run", "--limit", "-1"], "argument --limit: must be >= 1, got -1"),
    ("zero limit", ["run", "--limit", "0"], "argument --limit: must be >= 1, got 0"),
    ("limit not a number", ["run", "--limit", "ten"], "'ten' is not a whole number"),
    ("max-new-tokens 0", ["run", "--model", "tiny", "--max-new-tokens", "0"], "argument --max-new-tokens: must be >= 1, got 0"),
    ("batch-size 0", ["run", *TINY, "--batch-size", "0"], "argument --batch-size: must be >= 1, got 0"),
    ("samples 0", ["run", "--samples", "0"], "argument --samples: must be >= 1"),
    ("negative temperature", ["run", "--temperature", "-1"], "argument --temperature: must be >= 0"),
    ("greedy with samples", ["run", "--model", "tiny", "--samples", "3"], "3 samples with temperature 0 (greedy)"),
    ("empty conditions", ["run", "--model", "tiny", "--conditions", ""], "--conditions '': no condition names"),
    ("comma conditions", ["run", "--model", "tiny", "--conditions", ","], "--conditions ',': no condition names"),
    ("unknown condition", ["run", "--conditions", "base,nonsense"], "unknown condition 'nonsense'"),
    ("quant 3bit", ["run", "--model", "qwen2.5-vl-7b", "--quant", "3bit"], "argument --quant: invalid choice: '3bit'"),
    ("quant for tiny", ["run", "--model", "tiny", "--quant", "8bit"], "'tiny' always runs unquantized in float32"),
    ("quant for an organism", ["run", "--model", "tiny-seer", "--quant", "4bit"], "'tiny-seer' always runs unquantized in float32"),
    ("openai without model", ["run", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1"], "--backend openai needs --model NAME"),
    ("base-url with hf", ["run", "--model", "tiny", "--base-url", "http://127.0.0.1:9/v1"], "--base-url is for --backend openai"),
    ("quant without model", ["run", "--quant", "8bit"], "--quant applies to the models given with --model"),
    ("path without benchmark", ["run", "--model", "tiny", "--path", "."], "--path needs --benchmark NAME"),
    ("seed without benchmark", ["run", "--model", "tiny", "--seed", "3"], "--seed needs --benchmark NAME"),
    ("judge and no-judge", ["run", "--model", "tiny", "--judge", "tiny", "--no-judge"], "--judge and --no-judge contradict"),
    ("benchmark needs path", ["run", "--model", "tiny", "--benchmark", "spatial-mm-multihop"], "published as files only"),
    ("unknown model name", ["run", "--model", "qwen9"], "unknown model 'qwen9'"),
    ("shard out of range", ["run", "--shard", "4/4"], "shard 4/4: need 0 <= i < n"),
    ("shard not i/n", ["run", "--shard", "abc"], "shard must look like 'i/n'"),
    ("unknown backend", ["run", "--backend", "torch"], "invalid choice: 'torch'"),
    ("unknown command", ["frobnicate"], "invalid choice: 'frobnicate'"),
]

@pytest.mark.parametrize("args,contains", [a[1:] for a in ARGS], ids=[a[0] for a in ARGS])
def test_argument_errors_are_one_line_exit_2_before_anything_loads(args, contains, tmp_path):
    t0 = time.time()
    fails(2, contains, *args, "--out", tmp_path/"out") if args[0] == "run" else fails(2, contains, *args)
    assert time.time() - t0 < 60                          # no model was loaded (the tiny one alone takes longer with a run)
    assert not (tmp_path/"out").exists()                  # nothing written

@pytest.mark.parametrize("name,contains", [
    ("bad.yaml", "bad.yaml: not valid YAML at line 3, column 11"),
    ("bad.toml", "bad.toml: not valid TOML: Unclosed array (at line 2, column 1)"),
    ("unknown.yaml", "unknown.yaml: spec field 'models[0]': unknown field(s) quantization"),
    ("greedy.yaml", "greedy.yaml: spec field 'decoding.samples': 3 samples with temperature 0"),
    ("spec.json", "spec.json: expected a .yaml, .yml or .toml file"),
    ("missing.yaml", "missing.yaml: no such file"),
])
def test_spec_file_errors_name_the_file(files, name, contains):
    fails(2, contains, "run", files/name)

def test_out_pointing_at_a_file(files):
    fails(2, "a-file is a file; results go in a folder", "run", *TINY, "--out", files/"a-file")

def test_benchmark_not_available_offline_readme_command(tmp_path):
    "The README's own command, offline: the model is not cached (exit 3), refused before anything loads."
    line = fails(3, "is not in the local Hugging Face cache and HF_HUB_OFFLINE is set", "run", "--model", "qwen2.5-vl-7b",
                 "--quant", "4bit", "--benchmark", "cv-bench", "--out", tmp_path/"cvbench")
    assert "qwen2.5-vl-7b" in line

def test_benchmark_not_available_offline_before_the_model(tmp_path):
    fails(3, "could not load 'nyu-visionx/CV-Bench'", "run", "--model", "tiny", "--benchmark", "cv-bench", "--out", tmp_path/"o")
    assert not (tmp_path/"o"/"spec.yaml").exists()

def test_unknown_hub_model(tmp_path):
    fails(3, "'nobody/no-such-model' (nobody/no-such-model) is not in the local Hugging Face cache",
          "run", "--model", "nobody/no-such-model", "--benchmark", "synthetic", "--limit", "2", "--out", tmp_path/"o")

def test_merge_of_folders_that_do_not_exist(tmp_path):
    fails(2, "no1 does not exist", "merge", tmp_path/"no1", tmp_path/"no2", "-o", tmp_path/"m")
    assert not (tmp_path/"m").exists()

def test_report_of_a_folder_that_does_not_exist(tmp_path, files):
    fails(2, "no records", "report", tmp_path/"nothing")
    fails(2, "a-file is a file, not a results folder", "report", files/"a-file")

def test_debug_shows_the_traceback_then_the_line(tmp_path):
    rc, _, err = cli("--debug", "run", "--model", "qwen9", "--out", tmp_path/"o")
    assert rc == 2 and "Traceback" in err and err.strip().splitlines()[-1].startswith("vlmfaith: error: spec field 'models[0].name'")

def test_help_documents_every_option_its_default_and_the_exit_codes():
    rc, out, _ = cli("run", "--help")
    assert rc == 0
    body = out.split("options:")[1].split("exit codes:")[0]
    for opt in ("--model", "--backend", "--quant", "--base-url", "--benchmark", "--path", "--limit", "--seed", "--conditions",
                "--max-new-tokens", "--temperature", "--samples", "--batch-size", "--judge", "--no-judge", "--out", "--shard",
                "--no-report", "--quiet", "--debug"):
        assert opt in body, opt
    flat = " ".join(out.split())
    for s in ("(default: 4bit;", "the demo: runs/demo", "i counted from 0", f"(default: 1024; the demo: {default_spec().decoding.max_new_tokens})",
              "2 bad input", "3 unavailable", "4 run stopped", "130 interrupted"):
        assert s in flat, s
    from vlmfaith.cli import _parser
    subs = next(a for a in _parser()._actions if a.dest == "cmd").choices
    for cmd in ("run", "report", "merge"):
        bare = [a.dest for a in subs[cmd]._actions if not a.help]
        assert not bare, (cmd, bare)                                        # every option and argument has its help
    rc, out, _ = cli("merge", "--help"); assert rc == 0 and "results folders to merge" in out and "the merged folder" in out
    rc, out, _ = cli("report", "--help"); assert rc == 0 and "the results folder" in out

# A real run on the tiny model, shared by the tests below.
@pytest.fixture(scope="module")
def done(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")/"a"
    rc, stdout, err = cli("run", *TINY, "--out", out, timeout=300)
    assert rc == 0, err[-3000:]
    return out, stdout

def test_a_run_states_its_counts_and_records_what_ran(done):
    out, stdout = done
    assert "tiny | synthetic: 2 generated, 0 already stored, 0 failed, 0 left" in stdout
    spec = yaml.safe_load((out/"spec.yaml").read_text())
    assert (spec["models"][0]["quant"], spec["models"][0]["dtype"]) == (None, "float32")   # the tiny model's real precision
    prov = [json.loads(p.read_text()) for p in (out/"provenance").glob("*.json")]
    assert [p["status"] for p in prov] == ["complete"]

def test_other_decoding_settings_in_the_same_folder_are_refused(done):
    out, _ = done
    before = (out/"spec.yaml").read_text()
    t0 = time.time()
    fails(2, "holds records generated with other settings: decoding.max_new_tokens is 8 in", "run",
          *[a if a != "8" else "12" for a in TINY], "--out", out)
    assert time.time() - t0 < 60 and (out/"spec.yaml").read_text() == before

def test_a_second_run_on_a_locked_folder(done):
    out, _ = done
    before = (out/"spec.yaml").read_text()
    with Store(out).lock():
        fails(3, "is being written by another run (pid", "run", *TINY, "--out", out)
    assert (out/"spec.yaml").read_text() == before                          # the refused run wrote nothing

def test_merge_carries_the_spec_and_refuses_specs_that_disagree(done, tmp_path):
    out, _ = done
    rc, stdout, err = cli("merge", out, "-o", tmp_path/"m")
    assert rc == 0 and "merged 2 records" in stdout, err
    assert yaml.safe_load((tmp_path/"m"/"spec.yaml").read_text())["models"][0]["name"] == "tiny"
    other = tmp_path/"other"; other.mkdir(); (other/"provenance").mkdir()
    spec = yaml.safe_load((out/"spec.yaml").read_text()); spec["decoding"]["max_new_tokens"] = 99
    (other/"spec.yaml").write_text(yaml.safe_dump(spec))
    fails(2, "merge: the folders' specs disagree: decoding.max_new_tokens is 8 in", "merge", out, other, "-o", tmp_path/"m2")
    assert not (tmp_path/"m2").exists()

def test_a_conflicting_merge(tmp_path):
    k = record_key("m", "p", decoding_key(8))
    for name, text in (("a", "one answer"), ("b", "another answer")):
        with Store(tmp_path/name).file("m", "bm") as f: f.append([(k, {"text": text})])
    fails(2, "1 conflicting duplicate record(s)", "merge", tmp_path/"a", tmp_path/"b", "-o", tmp_path/"m")
    assert not (tmp_path/"m").exists()

def test_merge_into_a_file(done, files):
    fails(2, "is a file; give a folder", "merge", done[0], "-o", files/"a-file")

def test_toml_says_unquantized_with_none(tmp_path):
    p = tmp_path/"spec.toml"
    p.write_text(f'conditions = ["base"]\nout = "{tmp_path/"o"}"\n[[models]]\nname = "qwen2.5-vl-7b"\nquant = "none"\n'
                 '[[benchmarks]]\nname = "synthetic"\nlimit = 2\n')
    from vlmfaith.run import ExperimentSpec
    assert ExperimentSpec.load(p).models[0].quant is None
    fails(3, "'qwen2.5-vl-7b' (Qwen/Qwen2.5-VL-7B-Instruct) is not in the local Hugging Face cache", "run", p)

def _failed_run(out, base_url):
    rc, stdout, err = cli("run", "--backend", "openai", "--base-url", base_url, "--model", "x", "--benchmark", "synthetic",
                          "--limit", "3", "--conditions", "base", "--batch-size", "2", "--no-report", "--quiet", "--out", out)
    line = one_line(err)
    prov = [json.loads(p.read_text()) for p in (out/"provenance").glob("*.json")]
    return rc, stdout, line, prov

def test_a_dead_server_ends_non_zero_and_not_complete(tmp_path):
    out = tmp_path/"dead"
    rc, stdout, line, prov = _failed_run(out, f"http://127.0.0.1:{closed_port()}/v1")
    assert rc == 4 and "every prompt of a batch failed (2 prompts)" in line and str(out/"errors.jsonl") in line
    assert "Connection error" in line and "rerun" not in line.lower() and "check it" in line
    assert "x | synthetic: 0 generated, 0 already stored, 2 failed, 1 left" in stdout
    assert [p["status"] for p in prov] == ["failed"] and prov[0]["counts"]["x | synthetic"]["failed"] == 2
    assert len((out/"errors.jsonl").read_text().splitlines()) == 2

def test_a_backend_that_fails_every_prompt(tmp_path):
    "A server that answers, but refuses every request (HTTP 400, not retried): the run stops at its first batch."
    out = tmp_path/"refused"
    with ScriptedServer([400] * 50) as srv:
        rc, stdout, line, prov = _failed_run(out, srv.base_url)
    assert rc == 4 and "every prompt of a batch failed" in line and "scripted 400" in line
    assert [p["status"] for p in prov] == ["failed"] and "0 generated" in stdout and "1 left" in stdout

def test_a_model_the_hub_does_not_serve_is_unavailable_not_a_traceback(monkeypatch):
    "Online, transformers says 'not a valid model identifier' with an OSError: it becomes `ModelNotAvailable` (exit 3)."
    import vlmfaith.models
    from vlmfaith.run import make_backend, ModelConfig, ModelNotAvailable
    from vlmfaith.cli import _failure
    def no_such(*a, **kw): raise OSError("nobody/x is not a local folder and is not a valid model identifier listed on 'https://huggingface.co/models'\nmore")
    monkeypatch.setattr(vlmfaith.models, "load_vlm", no_such)
    with pytest.raises(ModelNotAvailable) as e: make_backend(ModelConfig("nobody/x"))
    code, line = _failure(e.value)
    assert code == 3 and "model 'nobody/x' could not be loaded (nobody/x is not a local folder" in line and "\n" not in line
