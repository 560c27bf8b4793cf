"""`import smallbert_viz` stays light: no TensorFlow, tensorflow_hub or umap."""

import subprocess
import sys


def test_import_does_not_load_heavy_modules():
    code = (
        "import sys, smallbert_viz, smallbert_viz.models, smallbert_viz.embedding;"
        "heavy = [m for m in ('tensorflow', 'tensorflow_hub', 'tensorflow_text', 'umap', 'numba')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
