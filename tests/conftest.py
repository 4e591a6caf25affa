"Test-wide settings: offline Hugging Face, one OpenMP thread, and the closing `N passed, N failed` line."
import os
for k, v in dict(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1", OMP_NUM_THREADS="1",
                 TOKENIZERS_PARALLELISM="false", MPLBACKEND="Agg").items():
    os.environ.setdefault(k, v)   # before any Hugging Face import, or a hub lookup costs 25 s of DNS retries

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
