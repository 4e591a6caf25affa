"Test-wide settings: offline Hugging Face, one OpenMP thread, and the closing `N passed, N failed` line."
import os
for k, v in dict(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", OMP_NUM_THREADS="1",
                 TOKENIZERS_PARALLELISM="false", MPLBACKEND="Agg").items():
    os.environ.setdefault(k, v)   # before any Hugging Face import, or a hub lookup costs 25 s of DNS retries

import shutil
from pathlib import Path
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]   # no background traffic: this machine's network is closed

@pytest.fixture(scope="session")
def browser():
    "Debian's headless Chromium driven by Playwright (no browser download)."
    from playwright.sync_api import sync_playwright
    assert Path(CHROMIUM).exists(), "Debian's chromium is needed for the docs check (./dev test installs it as root)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()

@pytest.fixture(scope="session")
def site():
    "The docs site, built once per session into _docs/ (tests using it share the `docs` xdist group, so one worker builds)."
    import subprocess, sys
    root = Path(__file__).resolve().parents[1]
    r = subprocess.run([sys.executable, str(root/"tools"/"build_docs.py")], capture_output=True, text=True, cwd=root)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return root/"_docs"

_counts = {"passed": 0, "failed": 0}

def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed: _counts["passed"] += 1
    elif report.failed: _counts["failed"] += 1            # a failed setup or teardown counts as a failure too

def pytest_collectreport(report):
    if report.failed: _counts["failed"] += 1              # a test file that does not even import

def pytest_unconfigure(config):
    tr = config.pluginmanager.get_plugin("terminalreporter")
    line = f"{_counts['passed']} passed, {_counts['failed']} failed"
    if tr is not None: tr.write_line(line)
    else: print(line)
