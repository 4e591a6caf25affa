#!/usr/bin/env python3
"""Build the docs site into _docs/ with nbdev's own `nbdev-docs`.

Where Quarto is installed, `nbdev-docs` uses it (that is what users deploy). Where it is not (offline machines: Quarto's
pip package downloads its binary at build time), tools/bin/quarto stands in and renders the same processed notebooks
with smalldocs (pinned in the `dev` extra). The README is rebuilt from nbs/index.ipynb the same way with --readme.

The site is built in a private copy of the tree (the files git tracks, and untracked ones it does not ignore), then
moved to _docs/: `nbdev-docs` rewrites vlmfaith/_modidx.py and nbs/_quarto.yml and works in _proc/, and the test suite
reads the same tree from other processes at the same time (the notebooks-and-package sync check copies it), so building
in place let a half-written file or a half-built _proc/ reach another process.
"""
import os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _tree_files(root:Path)->list:
    r = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=root, capture_output=True,
                       text=True, check=True)
    return [f for f in r.stdout.splitlines() if (root/f).is_file()]

def main(argv=sys.argv[1:]):
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="vlmfaith-docs-") as tmp:
        work = Path(tmp)/"tree"
        for f in _tree_files(ROOT):
            (work/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy2(ROOT/f, work/f)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([str(ROOT/"tools"/"bin"), str(Path(sys.executable).parent), env.get("PATH", "")])
        r = subprocess.run(["nbdev-docs"], cwd=work, env=env, capture_output=True, text=True)
        if r.returncode or not (work/"_docs"/"index.html").exists():
            sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
            sys.exit(f"docs build failed (rc {r.returncode})")
        if "--readme" in argv:
            r = subprocess.run(["nbdev-readme"], cwd=work, env=env, capture_output=True, text=True)
            if r.returncode: sys.exit(r.stdout[-2000:] + r.stderr[-2000:])
            shutil.copy2(work/"README.md", ROOT/"README.md")
            if (work/"index_files").exists():
                shutil.rmtree(ROOT/"index_files", ignore_errors=True); shutil.copytree(work/"index_files", ROOT/"index_files")
        new = ROOT/f"_docs.new-{os.getpid()}"
        shutil.move(str(work/"_docs"), new)
        shutil.rmtree(ROOT/"_docs", ignore_errors=True)
        os.replace(new, ROOT/"_docs")
    pages = sorted(p.name for p in (ROOT/"_docs").glob("*.html"))
    print(f"docs: {len(pages)} pages in _docs/ in {time.time()-t0:.1f}s: {' '.join(pages)}")

if __name__ == "__main__": main()
