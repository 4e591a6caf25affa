"Run from outside the repository against the installed wheel: what a `pip install vlmfaith` user gets."
import sys, io
from pathlib import Path
import vlmfaith
assert "site-packages" in vlmfaith.__file__, f"imported from {vlmfaith.__file__}, not the installed wheel"
from vlmfaith.data import MCItem, validate_items
from PIL import Image
it = MCItem(id="x", image=Image.new("RGB", (8, 8)), question="q?", options=["a", "b"], answer="B", task="other")
assert validate_items([it])[0].answer_text == "b"
assert "torch" not in sys.modules and "transformers" not in sys.modules
print("smoke ok", vlmfaith.__version__)
