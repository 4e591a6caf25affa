"The explorer's static export in headless Chromium: a page written by `export_html`, and the static view on the docs page."
import shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def _facts(browser, path):
    pg = browser.new_page(viewport={"width": 1200, "height": 1800})
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(path.as_uri()); pg.wait_for_load_state("load")
    f = pg.evaluate("""() => {
        const items = Array.from(document.querySelectorAll('.vfx .vfx-item'));
        return {
            items: items.map(e => ({item: e.dataset.item, condition: e.dataset.condition,
                                    panels: e.querySelectorAll('.vfx-panel').length,
                                    imgs: Array.from(e.querySelectorAll('img')).map(i => i.complete && i.naturalWidth > 0),
                                    bars: e.querySelectorAll('svg.vfx-probs rect').length,
                                    marks: e.querySelectorAll('mark.vfx-inj').length,
                                    width: e.getBoundingClientRect().width})),
            scripts: document.querySelectorAll('.vfx script').length,
        }}""")
    pg.close()
    return f, errors

def test_exported_page_renders_items_with_loaded_images(browser, tmp_path):
    from vlmfaith.explore import Explorer
    ex = Explorer(ROOT/"data"/"smoke")
    ex.select(condition="wrong_think", outcome="adopted")
    n = min(5, len(ex.selection))
    path = ex.export_html(tmp_path/"page.html", max_items=5)
    f, errors = _facts(browser, path)
    assert not errors and f["scripts"] == 0
    assert len(f["items"]) == n == 5
    for it in f["items"]:
        assert it["condition"] == "wrong_think" and it["panels"] == 2      # base next to the condition
        assert it["imgs"] == [True]                                        # one embedded image, decoded by the browser
        assert it["bars"] == 8 and it["marks"] >= 2                        # 4 letters x 2 panels; the prefill is marked
        assert it["width"] > 500
    assert path.stat().st_size < 150_000

@pytest.mark.xdist_group("docs")
def test_docs_page_shows_the_static_view(site, browser):
    page = site/"explore.html"
    f, errors = _facts(browser, page)
    assert len(f["items"]) == 4, "the notebook's saved static view (nbdev-test --save) should show four rows"
    assert [it["condition"] for it in f["items"]][:2] == ["wrong_think", "wrong_caption"]
    assert all(it["imgs"] == [True] for it in f["items"])
    assert all(it["panels"] == 2 and it["bars"] > 0 for it in f["items"])
