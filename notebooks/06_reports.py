# %% [markdown]
# # Reports: one offline HTML file to share
#
# `report()` embeds the sentences, computes the similarity matrix, clusters, nearest
# neighbours, a UMAP map, attention of a few sentences and one pair's token contributions, and
# writes everything into **one** HTML file: plotly.js inlined once, every figure and table as
# data, the provenance (model, pooling, parameters, seed, versions) at the top. It makes no
# network request, so it opens by double-click on a machine without internet, and clicking a
# point, a heatmap cell or a table row still links the views there, with no kernel running.

# %%
import os
import re

import smallbert_viz as sv
from smallbert_viz.reporting import report

# %% [markdown]
# ## Load a model
#
# `sv.load_model(fallback=True)` loads the TF Hub small BERT `L-8_H-128_A-2` when it is in the TF Hub cache or can be downloaded, and otherwise the offline pretrained `all-MiniLM-L6-v2` (a real sentence encoder with the same BERT architecture, shipped as a Python package). `model.note` says when and why it was substituted; every figure below names the model actually used.

# %%

model = sv.load_model(fallback=True)
print(model.note or f"Using {model.info.name} ({model.info.encoder_handle}).")
model

# %% [markdown]
# ## Sentences: 20 per topic from the sample corpus

# %%
corpus = sv.sample_corpus()
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < 20:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
print(len(texts), "sentences on", len(counts), "topics")

# %% [markdown]
# ## Build the report
#
# The page names the model actually used at the top (and why, when the offline model stood in).
# `seed` fixes the UMAP layout (the views' default, 42, written out here). `out/` is next to this notebook (git ignores it).

# %%
path = report(
    texts,
    labels,
    model=model,
    path="out/sample_corpus_report.html",
    title=f"Sample corpus: {len(texts)} sentences on {len(counts)} topics",
    seed=42,
)
size = path.stat().st_size
print(path)
print(f"{size / 1e6:.2f} MB")

# %% [markdown]
# Check that it is self-contained: no `<script src=...>` and no stylesheet links, so nothing is fetched when it opens.

# %%
page = path.read_text(encoding="utf-8")
external = re.findall(r"<script[^>]*\ssrc=|<link[^>]*stylesheet", page)
print("external scripts/stylesheets:", len(external))
print("names the model:", model.info.name in page)

# %% [markdown]
# ## Open it
#
# - Double-click the file, or drag it into a browser: no server, no internet.
# - From a terminal: `python -m webbrowser -t file:///path/to/sample_corpus_report.html`.
# - Share it as an attachment; the reader needs nothing installed.
# - The same from the command line: `smallbert-viz report sentences.txt -o report.html`
#   (`--labels COLUMN` for a CSV/TSV).
#
# The link below opens it from JupyterLab (it opens in a new browser tab):

# %%
from IPython.display import FileLink

FileLink(os.path.relpath(path))
