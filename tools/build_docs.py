#!/usr/bin/env python3
"""Build the docs site into _docs/ with nbdev's own `nbdev-docs`.

Where Quarto is installed, `nbdev-docs` uses it (that is what users deploy). Where it is not (offline machines: Quarto's
pip package downloads its binary at build time), tools/bin/quarto stands in and renders the same processed notebooks
with smalldocs (pinned in the `dev` extra). The README is rebuilt from nbs/index.ipynb the same way with --readme.
"""
import os, shutil, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def main(argv=sys.argv[1:]):
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(ROOT/"tools"/"bin"), str(Path(sys.executable).parent), env.get("PATH", "")])
    t0 = time.time()
    r = subprocess.run(["nbdev-docs"], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode or not (ROOT/"_docs"/"index.html").exists():
        sys.stderr.write(r.stdout[-4000:] + r.stderr[-4000:])
        sys.exit(f"docs build failed (rc {r.returncode})")
    if "--readme" in argv:
        r = subprocess.run(["nbdev-readme"], cwd=ROOT, env=env, capture_output=True, text=True)
        if r.returncode: sys.exit(r.stdout[-2000:] + r.stderr[-2000:])
    pages = sorted(p.name for p in (ROOT/"_docs").glob("*.html"))
    print(f"docs: {len(pages)} pages in _docs/ in {time.time()-t0:.1f}s: {' '.join(pages)}")

if __name__ == "__main__": main()
