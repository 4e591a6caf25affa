"The package as users get it: light import, notebooks and package in step, the wheel in a fresh environment."
import os, shutil, subprocess, sys, venv
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r

def test_import_is_light():
    "`import vlmfaith` and its core modules import neither torch nor transformers."
    code = ("import sys, importlib, pkgutil, vlmfaith\n"
            "core = [m.name for m in pkgutil.iter_modules(vlmfaith.__path__) if not m.name.startswith('_')]\n"
            "for m in core: importlib.import_module('vlmfaith.'+m)\n"
            "heavy = sorted(m for m in ('torch','transformers','bitsandbytes','openai','trl') if m in sys.modules)\n"
            "print(len(core), heavy); assert not heavy, heavy")
    r = _run([sys.executable, "-c", code], cwd="/")
    assert r.stdout.split()[0] != "0"

def _tracked(root):
    r = _run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root)
    return [f for f in r.stdout.splitlines() if (root/f).is_file()]

def test_notebooks_and_package_in_step(tmp_path):
    "nbdev-export and nbdev-clean, run on a copy of the tree, change no file: the package is the notebooks' export."
    files = _tracked(ROOT)
    for f in files:
        (tmp_path/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, tmp_path/f)
    _run([str(BIN/"nbdev-export")], cwd=tmp_path)
    _run([str(BIN/"nbdev-clean")], cwd=tmp_path)
    env = {**os.environ, "PATH": os.pathsep.join([str(ROOT/"tools"/"bin"), str(BIN), os.environ.get("PATH", "")])}
    _run([str(BIN/"nbdev-readme")], cwd=tmp_path, env=env)        # README.md is nbs/index.ipynb rendered
    changed = [f for f in files if (tmp_path/f).read_bytes() != (ROOT/f).read_bytes()]
    new = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path/"vlmfaith").rglob("*.py") if str(p.relative_to(tmp_path)) not in files)
    assert not changed and not new, (f"out of step with the notebooks: changed {changed}, not committed {new}; "
                                     "edit the notebook, run nbdev-export and nbdev-clean, commit both")

def test_wheel_in_fresh_env(tmp_path):
    "Build the wheel, install it into a fresh venv outside the repository, and run a smoke script from elsewhere."
    dist = tmp_path/"dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)])
    whl = next(dist.glob("vlmfaith-*.whl"))
    env_dir = tmp_path/"venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir/"bin"/"python"
    _run([str(py), "-m", "pip", "install", "-q", str(whl)], env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    smoke = ROOT/"tests"/"wheel_smoke.py"
    r = _run([str(py), str(smoke)], cwd=tmp_path, env={**os.environ, "PYTHONPATH": ""})
    assert "smoke ok" in r.stdout, r.stdout
