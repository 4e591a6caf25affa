"Each notebook under nbs/ runs as one pytest case, with the same skip flags as nbdev-test; plus their shape."
import json, os, re
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as _run_nb   # renamed, or pytest would collect nbdev's own test_nb

CFG = get_config()
NBS = sorted(p for p in CFG.nbs_path.rglob('*.ipynb')
             if not any(s.startswith(('_', '.')) for s in p.relative_to(CFG.nbs_path).parts))
FORCE = os.environ.get('NBDEV_FLAGS', '').split()   # NBDEV_FLAGS=gpu on a GPU machine runs the `#| gpu` cells

def test_notebooks_found():
    assert {'index.ipynb', 'data.ipynb'} <= {p.name for p in NBS}

@pytest.mark.parametrize('nb', NBS, ids=[p.name for p in NBS])
def test_notebook(nb, monkeypatch):
    monkeypatch.chdir(nb.parent)
    ok, _ = _run_nb(nb, skip_flags=CFG.tst_flags.split(), force_flags=FORCE, basepath=CFG.config_path)
    assert ok, f'{nb.name} failed (traceback above)'

@pytest.mark.parametrize('nb', NBS, ids=[p.name for p in NBS])
def test_notebook_opens_with_colab_link_and_install(nb):
    "A reader on Colab gets a link to open the notebook there and, as the first code cell, the install."
    cells = json.loads(nb.read_text())['cells']
    src = lambda c: ''.join(c['source'])
    first_code = next(i for i, c in enumerate(cells) if c['cell_type'] == 'code')
    rel = nb.relative_to(CFG.nbs_path).as_posix()
    link = f'https://colab.research.google.com/github/{CFG.user}/{CFG.repo}/blob/{CFG.branch}/nbs/{rel}'
    assert any(link in src(c) for c in cells[:first_code] if c['cell_type'] == 'markdown'), f'{rel}: no Colab link before the first code cell'
    code = src(cells[first_code])
    assert re.search(r'^%pip install .*vlmfaith', code, re.M) and '#| eval: false' in code, f'{rel}: first code cell is not the install cell'
