"The docs site: built with nbdev-docs (Quarto, or the offline smalldocs stand-in) and checked in headless Chromium."
import importlib, inspect, os, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT/"_docs"

def _notebooks():
    from nbdev.config import get_config
    nbs = get_config().nbs_path
    return sorted(p for p in nbs.rglob("*.ipynb") if not any(s.startswith(("_", ".")) for s in p.relative_to(nbs).parts))

def _page_facts(browser, path):
    pg = browser.new_page(viewport={"width": 1200, "height": 1800})
    pg.goto(path.as_uri()); pg.wait_for_load_state("load")
    facts = pg.evaluate("""() => ({
        title: document.title,
        ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
        text: document.body.innerText,
        images: Array.from(document.images).map(i => ({src: i.src.slice(0, 80), ok: i.complete && i.naturalWidth > 0}))
    })""")
    return pg, facts

@pytest.mark.xdist_group("docs")
def test_every_notebook_has_a_page_with_its_docs_and_loaded_images(site, browser):
    import vlmfaith
    pages = 0
    for nb in _notebooks():
        html = site/nb.with_suffix(".html").name
        assert html.exists(), f"no page for {nb.name}"
        pg, f = _page_facts(browser, html)
        broken = [i["src"] for i in f["images"] if not i["ok"]]
        assert not broken, f"{html.name}: images that did not load: {broken}"
        mod = _module_of(nb)
        if mod:
            m = importlib.import_module(mod)   # functions and classes get a doc entry; constants do not
            documented = lambda o: inspect.isfunction(o) or inspect.isclass(o)   # not constants or callable instances
            missing = [n for n in m.__all__ if documented(getattr(m, n)) and n.lower() not in f["ids"]]
            assert not missing, f"{html.name}: no documentation entry for {missing}"
            nodoc = [m for m in public_methods(m) if m.lower() not in f["ids"]]
            assert not nodoc, f"{html.name}: no documentation entry (show_doc) for the methods {nodoc}"
        if nb.name == "index.ipynb": pg.screenshot(path=str(site/"screenshot-index.png"), full_page=False)
        pg.close(); pages += 1
    assert pages == len(_notebooks())

def _module_of(nb):
    "The module a notebook exports (from its `#| default_exp`), or None."
    import json, re
    for c in json.loads(nb.read_text())["cells"]:
        m = re.search(r"^#\|\s*default_exp\s+(\S+)", "".join(c["source"]), re.M)
        if m: return "vlmfaith." + m.group(1)
    return None

def public_methods(m)->list:
    "`Class.method` for every public method or property that the module's exported classes define themselves."
    out = []
    for n in m.__all__:
        c = getattr(m, n)
        if not inspect.isclass(c) or c.__module__ != m.__name__ or issubclass(c, BaseException): continue
        for k, v in vars(c).items():
            if k.startswith("_"): continue
            f = v.__func__ if isinstance(v, (classmethod, staticmethod)) else v
            if isinstance(f, property) or inspect.isfunction(f): out.append(f"{n}.{k}")
    return out

def test_public_methods_are_found():
    "The method check above sees methods defined in the class body, added with @patch, properties and classmethods."
    import vlmfaith.store as st, vlmfaith.api as api, vlmfaith.perturb as pt
    ms = set(public_methods(st)) | set(public_methods(api)) | set(public_methods(pt))
    assert {"Store.records", "StoreFile.append", "GenerationRecord.from_dict", "OpenAIVLM.generate", "Prompt.letters"} <= ms
