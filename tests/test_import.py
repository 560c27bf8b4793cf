"""What importing does: the light modules load no heavy dependency; the TF Hub server is set.

Each check runs in a fresh interpreter, so what other tests imported cannot hide a heavy import.
The subprocesses inherit ``tests/conftest.py``'s environment, like notebook kernels do.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from smallbert_viz.models import handles

#: Never imported by merely importing the light modules (their docstrings promise it).
HEAVY = (
    "tensorflow",
    "tensorflow_hub",
    "tensorflow_text",
    "tf_keras",
    "umap",
    "pynndescent",
    "faiss",
    "numba",
    "pyspark",
)

#: Modules that must stay light: importing them loads none of HEAVY.
LIGHT = (
    "smallbert_viz",
    "smallbert_viz.models",
    "smallbert_viz.embedding",
    "smallbert_viz.analysis",
    "smallbert_viz.figures",
    "smallbert_viz.widgets",
    "smallbert_viz.spark",
    "smallbert_viz.explain",
    "smallbert_viz.embed_to_disk",
    "smallbert_viz.views.coords",
)


def _run(code: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.parametrize("module", LIGHT)
def test_light_module_imports_no_heavy_dependency(module):
    code = (
        f"import importlib, json, sys; importlib.import_module({module!r}); "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    heavy = json.loads(out.stdout.strip().splitlines()[-1])
    assert heavy == [], f"import {module} loaded {sorted({m.split('.')[0] for m in heavy})}"


def test_the_heavy_check_sees_a_heavy_import():
    # The check above can fail: a module that imports umap is caught the same way.
    code = (
        "import json, sys, smallbert_viz.analysis.projection as p; import umap; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    assert "umap" in json.loads(out.stdout.strip().splitlines()[-1])


# ---- the TF Hub server of the default handles ---------------------------------------------------

LOCAL = "http://127.0.0.1:9"


def test_tests_run_with_the_default_handles_on_an_unreachable_local_address():
    assert os.environ[handles.TFHUB_URL_ENV] == LOCAL
    assert handles.TFHUB_URL == LOCAL  # nothing imported the package before conftest set it
    assert handles.small_bert_spec().encoder.startswith(LOCAL + "/tensorflow/small_bert/")
    code = (
        "from smallbert_viz.models import handles; from smallbert_viz.models.loader import "
        "resolve; s = resolve(None); print(s.encoder); print(s.preprocessor)"
    )
    out = _run(code)
    assert out.returncode == 0, out.stderr
    encoder, pre = out.stdout.split()
    assert encoder == f"{LOCAL}/tensorflow/small_bert/bert_en_uncased_L-8_H-128_A-2/2"
    assert pre == f"{LOCAL}/tensorflow/bert_en_uncased_preprocess/3"


def test_without_the_variable_the_handles_are_tfhub_dev():
    env = {k: v for k, v in os.environ.items() if k != handles.TFHUB_URL_ENV}
    out = _run("import smallbert_viz.models.handles as h; print(h.small_bert_spec().encoder)", env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "https://tfhub.dev/tensorflow/small_bert/bert_en_uncased_L-8_H-128_A-2/2"
    )
    env[handles.TFHUB_URL_ENV] = "https://mirror.example/hub/"  # trailing slash dropped
    out = _run("from smallbert_viz.models import handles as h; print(h.TFHUB_PREPROCESSOR)", env)
    assert out.stdout.strip() == (
        "https://mirror.example/hub/tensorflow/bert_en_uncased_preprocess/3"
    )


def test_a_variable_that_is_not_a_url_is_refused_with_the_fix():
    env = dict(os.environ, **{handles.TFHUB_URL_ENV: "tfhub.dev"})
    code = (
        "import smallbert_viz\n"  # importing never fails
        "from smallbert_viz.models.loader import resolve\n"
        "try:\n    resolve(None)\nexcept ValueError as exc:\n    print(exc)\n"
    )
    out = _run(code, env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "The SMALLBERT_VIZ_TFHUB_URL environment variable must be an http(s) URL such as "
        "'https://tfhub.dev'. Got 'tfhub.dev' instead. Fix or unset it and restart Python (it "
        "is read when smallbert_viz is imported)."
    )


@pytest.mark.slow
def test_default_model_fails_fast_offline_and_the_fallback_works(minilm_model):
    # minilm_model converts all-MiniLM-L6-v2 into the session cache the subprocess inherits.
    code = """
from smallbert_viz.errors import ModelNotFoundError
from smallbert_viz import load_model
try:
    load_model()
except ModelNotFoundError as exc:
    print("ERROR", exc)
model = load_model(fallback=True)
print("MODEL", model.info.name)
print("NOTE", model.note)
print("SUBSTITUTE", model.info.substitute_for)
"""
    out = _run(code)  # a download that waited on a real network would hit _run's timeout
    assert out.returncode == 0, out.stderr
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in out.stdout.splitlines()}
    message = lines["ERROR"]
    encoder = f"{LOCAL}/tensorflow/small_bert/bert_en_uncased_L-8_H-128_A-2/2"
    assert message.startswith(f"Could not download the encoder '{encoder}'")
    assert "load_model('all-MiniLM-L6-v2')" in message
    assert "ConnectionRefusedError" in message or "Connection refused" in message
    assert lines["MODEL"] == minilm_model.info.name
    assert "unavailable" in lines["NOTE"] and "'all-MiniLM-L6-v2'" in lines["NOTE"]
    assert lines["SUBSTITUTE"] == "L-8_H-128_A-2"


def test_a_filled_cache_folder_is_loaded_without_the_network(
    standin_dirs, tmp_path, monkeypatch
):
    # The default handle is unreachable, so loading it succeeds only if tensorflow_hub returns
    # the cache folder (the handle's SHA-1) without any request. A private cache: the stand-in
    # must not pose as the real model in any other test.
    from smallbert_viz.models.standin import install_in_tfhub_cache

    cache = tmp_path / "tfhub_modules"
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(cache))
    spec = handles.small_bert_spec()
    folder = install_in_tfhub_cache(standin_dirs[0], spec.encoder)
    install_in_tfhub_cache(standin_dirs[1], spec.preprocessor)
    assert folder == cache / hashlib.sha1(spec.encoder.encode()).hexdigest()
    env = dict(os.environ)
    code = (
        "from smallbert_viz.models.loader import load_model; m = load_model(); "
        "print(m.info.encoder_handle, m.info.source, m.embed('hi', progress=False).shape)"
    )
    out = _run(code, env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [spec.encoder, "stand-in", "(128,)"]
