"""Write the example notebooks 01-07 from the cell sources below, without outputs.

Run from the repository root after editing a notebook's cells here:

    .venv/bin/python notebooks/_build_notebooks.py

Cell ids are deterministic (``<notebook>-<nn>``) and the metadata holds only the kernelspec and
the language, so regenerating an unchanged notebook gives the same file. ``tests/test_notebooks.py``
runs every notebook in this folder in a fresh kernel and checks that its exported HTML shows
its plots. Not collected by pytest or nbmake (no ``test_`` prefix, not a notebook).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

EXPORT_NOTE = (
    "**Plots that survive export.** plotly's default notebook renderer sends a figure only as "
    "the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank "
    "in the export. The first code cell asks plotly to send each figure twice: as the MIME "
    "type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works "
    "offline). For a smaller export that needs the network, use "
    '`"plotly_mimetype+notebook_connected"`.'
)

SETUP = """\
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html
"""

LOAD = """\
from smallbert_viz.models.loader import load_model_with_fallback

model, note = load_model_with_fallback()
print(note)
model"""

LOAD_NOTE = (
    "`load_model_with_fallback()` loads the TF Hub small BERT `L-8_H-128_A-2` when it is in the "
    "TF Hub cache or can be downloaded, and otherwise the offline pretrained "
    "`all-MiniLM-L6-v2` (a real sentence encoder with the same BERT architecture, shipped as a "
    "Python package). The note says which one you got and why; every figure below names it "
    "again."
)


def md(text: str):
    return new_markdown_cell(text.strip("\n"))


def code(text: str):
    return new_code_cell(text.strip("\n"))


# ---------------------------------------------------------------------------------------------
QUICKSTART = [
    md(
        """
# Quickstart: sentences in, vectors and a similarity map out

Load a small BERT, turn a few sentences into vectors, and see which sentences the model puts
close together. Every output names the model that made it.
"""
    ),
    md(EXPORT_NOTE),
    code(
        SETUP
        + """
import numpy as np

import smallbert_viz as sv
"""
    ),
    md("## Load a model\n\n" + LOAD_NOTE + " The repr shows its size."),
    code(LOAD),
    md(
        """
## Embed

`model.embed` takes a string or a list of strings and returns float32 vectors, one row per
text, in input order. *Pooling* is how the token vectors become one sentence vector; the default
is the model's own: the `[CLS]` vector for the small BERTs, the mean of the token vectors for
all-MiniLM-L6-v2. `model.provenance().describe()` is the line that figures show as subtitle.
"""
    ),
    code(
        """
sentences = [
    "The striker scored twice in the second half.",
    "The goalkeeper saved a penalty in extra time.",
    "Simmer the onions slowly until they turn golden.",
    "Add a pinch of salt to the boiling pasta water.",
    "The central bank raised interest rates again.",
    "Bond yields fell after the inflation report.",
]
vectors = model.embed(sentences, progress=False)
print(vectors.shape, vectors.dtype)
print(model.provenance().describe())
"""
    ),
    md(
        """
## Compare

`similarity_matrix` gives the cosine similarity of every pair (a `SimilarityMatrix` whose
`.matrix` has shape (N, N)); `similarity_heatmap` draws it. Hover a cell to read both sentences.
"""
    ),
    code(
        """
sim = sv.similarity_matrix(vectors, metric="cosine")
fig = sv.similarity_heatmap(
    sim.matrix,
    sentences,
    provenance=model.provenance().describe(),
    title=f"Cosine similarity of six sentences ({model.info.name})",
)
fig.show()
"""
    ),
    md("The most similar pair of different sentences, read straight from the matrix:"),
    code(
        """
scores = sim.matrix.copy()
np.fill_diagonal(scores, -np.inf)
i, j = np.unravel_index(np.argmax(scores), scores.shape)
print(f"cosine {scores[i, j]:.3f}\\n  {sentences[i]}\\n  {sentences[j]}")
"""
    ),
    md(
        """
## One sentence, another pooling

A single string gives a single vector of shape (H,). `pooling=` picks `"cls"`, `"pooled"`
(the encoder's pooled output) or `"mean"`; the provenance line records the choice.
"""
    ),
    code(
        """
one = model.embed("A single sentence gives a single vector.", progress=False)
cls_vectors = model.embed(sentences, pooling="cls", progress=False)
print(one.shape, cls_vectors.shape)
print(model.provenance("cls").describe())
"""
    ),
    md(
        """
## Next

- `02_similarity`: clustered similarity of a labelled corpus, neighbours, and which token
  pairs make a similarity.
- `03_projection`: PCA and UMAP maps, nearest neighbours of a new sentence.
- `04_attention`: every attention head, word-level maps, sentence pairs.
- `05_magic`: the `%embed` magic.
- `06_reports`: one offline HTML file to share.
- `07_compare_sizes`: small BERT sizes on the same sentences.
"""
    ),
]

# ---------------------------------------------------------------------------------------------
SIMILARITY = [
    md(
        """
# Similarity: which sentences does the model put together, and why?

A clustered similarity matrix of a labelled corpus, each sentence's nearest neighbours, and
the token pairs behind one pair's score.
"""
    ),
    md(EXPORT_NOTE),
    code(
        SETUP
        + """
import numpy as np

import smallbert_viz as sv
"""
    ),
    md("## Load a model\n\n" + LOAD_NOTE),
    code(LOAD),
    md(
        """
## A small labelled corpus

The bundled sample corpus has 389 sentences on eight topics. Six per topic (48 sentences)
keep the heatmap readable.
"""
    ),
    code(
        """
corpus = sv.sample_corpus()
per_topic = 6
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < per_topic:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
print(len(texts), "sentences:", counts)
"""
    ),
    md(
        """
## Embed with mean pooling

`pooling="mean"` averages the last layer's token vectors. It is all-MiniLM-L6-v2's own pooling,
and with it a pair's cosine similarity splits *exactly* into token-pair contributions (last
section). The provenance line records it.
"""
    ),
    code(
        """
emb = model.embed(texts, pooling="mean", progress=False)
prov = model.provenance("mean").describe()
sim = sv.similarity_matrix(emb, metric="cosine")
print(emb.shape, sim.matrix.shape)
print(prov)
"""
    ),
    md(
        """
## Reorder by clusters

In input order the structure is hard to see. `cluster_order` runs hierarchical clustering on
the similarities and returns a permutation that puts similar sentences next to each other.
With `labels`, runs of one topic are outlined: blocks on the diagonal mean the model's
clusters follow the topics. `threshold` greys out weaker pairs.
"""
    ),
    code(
        """
order = sv.cluster_order(sim)
fig = sv.similarity_heatmap(
    sim.matrix,
    texts,
    labels=labels,
    order=order,
    threshold=0.2,
    provenance=prov,
    title=f"Clustered cosine similarity, 48 sentences ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
How well do the clusters follow the topics? For each sentence, the share of its 5 nearest
neighbours with the same topic. Chance: 5 of the other 47 sentences share its topic, so about
5/47 = 0.11.
"""
    ),
    code(
        """
nn = sv.nearest_neighbors(emb, k=5, metric="cosine")
same = np.array(labels)[nn.indices] == np.array(labels)[:, None]
print(f"same-topic share of the 5 nearest neighbours: {same.mean():.2f}")
row = 0
print(f"\\nneighbours of #{row}: {texts[row]}")
for idx, score in zip(nn.indices[row], nn.scores[row]):
    print(f"  {score:.3f}  [{labels[idx]}] {texts[idx]}")
"""
    ),
    md(
        """
## Why are two sentences similar?

For mean pooling, with u = mean(a_i) and v = mean(b_j) over the token vectors of the two
sentences, u . v = (1/nm) sum_ij a_i . b_j: a token x token matrix that sums to the dot product
(divided by |u||v| for cosine). `token_vectors` gives the last layer's vectors of the real
tokens, `[CLS]` and `[SEP]` included, exactly the ones mean pooling averages.
"""
    ),
    code(
        """
i, j = sv.most_similar_pair(nn, texts)  # the closest pair that is not a duplicate
a, b = sv.token_vectors(model, [texts[i], texts[j]])
contrib = sv.token_contributions(a.vectors, b.vectors, metric="cosine")
print(f"#{i}: {texts[i]}\\n#{j}: {texts[j]}")
print(f"cosine of the embeddings {sim.matrix[i, j]:.5f}, sum of contributions {contrib.total:.5f}")
assert np.isclose(contrib.total, sim.matrix[i, j], atol=1e-4)
fig = sv.contribution_heatmap(
    contrib.matrix,
    list(a.tokens),
    list(b.tokens),
    total=contrib.total,
    provenance=prov,
    title=f"Token pairs behind the most similar pair ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## Interactive: `SimilarityExplorer`

The same heatmap as a widget: switch metric and order, move the threshold, click a cell to see
its token contributions. `select_pair(i, j)` does what a click does. In an exported notebook the
widget shows as a static plot.
"""
    ),
    code(
        """
from smallbert_viz.widgets import SimilarityExplorer

explorer = SimilarityExplorer(
    texts, model, labels, embeddings=emb, pooling="mean", provenance=prov, order="clustered"
)
explorer.select_pair(int(i), int(j))
explorer
"""
    ),
    md("The chosen pair and its decomposition are plain Python objects:"),
    code(
        """
print(explorer.pair, round(explorer.contributions.total, 5))
"""
    ),
]

# ---------------------------------------------------------------------------------------------
PROJECTION = [
    md(
        """
# Projection: a map of the corpus

PCA and UMAP squeeze the embeddings into two dimensions. Close points are sentences the
model finds similar; the map is a summary, so we also measure how much of the neighbourhood
structure it keeps.
"""
    ),
    md(EXPORT_NOTE),
    code(
        SETUP
        + """
import numpy as np

import smallbert_viz as sv
"""
    ),
    md("## Load a model and embed the sample corpus\n\n" + LOAD_NOTE),
    code(LOAD),
    code(
        """
corpus = sv.sample_corpus()
texts, labels = corpus.texts, corpus.labels
emb = model.embed(texts, progress=False)
prov = model.provenance().describe()
print(emb.shape, "from", corpus.source)
print(prov)
"""
    ),
    md(
        """
## PCA and UMAP

`project` returns a `Projection`: `coords` of shape (N, 2) and every parameter that made them
(`describe()`). PCA is exact and instant and reports the variance it keeps; UMAP follows local
neighbourhoods. `seed=42` makes UMAP reproducible (single-threaded); results are cached, so
re-running a cell does not recompute.
"""
    ),
    code(
        """
pca = sv.project(emb, method="pca")
umap = sv.project(emb, method="umap", seed=42)
print(pca.describe())
print(umap.describe())
"""
    ),
    code(
        """
fig = sv.projection_scatter(
    umap.coords,
    texts,
    labels=labels,
    provenance=prov,
    method_description=umap.describe(),
    title=f"UMAP of {len(texts)} sentences, coloured by topic ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## How faithful is the map?

`neighbor_preservation` is the share of each sentence's 10 nearest neighbours in the full
embedding space that are also among its 10 nearest on the map (1.0: all kept).
"""
    ),
    code(
        """
for proj in (pca, umap):
    kept = sv.analysis.neighbor_preservation(emb, proj.coords, k=10)
    print(f"{proj.method.upper():4s} keeps {kept:.2f} of the 10 nearest neighbours")
"""
    ),
    md(
        """
## Where does a new sentence land?

Neighbours are searched in the full embedding space (not on the map) and highlighted on it.
"""
    ),
    code(
        """
query = "Which team won the cup final on penalties?"
q = model.embed([query], progress=False)
hits = sv.query_neighbors(q, emb, k=8)
for idx, score in zip(hits.indices[0], hits.scores[0]):
    print(f"{score:.3f}  [{labels[idx]}] {texts[idx]}")
fig = sv.projection_scatter(
    umap.coords,
    texts,
    labels=labels,
    highlight=hits.indices[0],
    provenance=prov,
    method_description=umap.describe(),
    title=f"8 nearest neighbours of: {query} ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## Interactive: `ProjectionExplorer`

Box or lasso select points to list them, type a query, change UMAP's parameters. With
`background=False` UMAP is computed before the widget appears (here it comes from the cache);
the default computes it in a thread and shows PCA meanwhile. In an export the widget shows as
a static plot.
"""
    ),
    code(
        """
from smallbert_viz.widgets import ProjectionExplorer

explorer = ProjectionExplorer(
    texts,
    model,
    labels,
    embeddings=emb,
    pooling=model.default_pooling,
    provenance=prov,
    seed=42,
    background=False,
)
explorer.query(query, k=8)
explorer
"""
    ),
    md(
        "Coordinates, selections and query results come back to Python "
        "(`explorer.selected` after a box selection):"
    ),
    code(
        """
print(explorer.projection.coords.shape, explorer.projection.method)
print("highlighted rows:", [int(r) for r in explorer.highlighted])
"""
    ),
]

# ---------------------------------------------------------------------------------------------
ATTENTION = [
    md(
        """
# Attention: where does each token look?

Per-head attention probabilities for one sentence and for a sentence pair, recomputed from the
encoder's own weights (and checked against the encoder's output). Rows are the attending
token, columns the attended one; each row sums to 1.
"""
    ),
    md(EXPORT_NOTE),
    code(
        SETUP
        + """
import numpy as np

import smallbert_viz as sv
"""
    ),
    md("## Load a model\n\n" + LOAD_NOTE),
    code(LOAD),
    md(
        """
## One sentence

`model.attention(text)` returns an `Attention`: `tokens` (wordpieces with `[CLS]`/`[SEP]`;
"painkillers" becomes `pain ##kill ##ers`) and `probs` of shape (layers, heads, T, T).
"""
    ),
    code(
        """
sentence = "The antibiotics weren't painkillers, so the headache stayed."
att = model.attention(sentence)
print(att)
print(att.tokens)
row_sums = att.probs.sum(axis=-1)
print(att.probs.shape, f"rows sum to {row_sums.min():.4f} .. {row_sums.max():.4f}")
"""
    ),
    md(
        "Every layer x head at once (rows = layers, columns = heads). Many heads attend to "
        "`[CLS]`, `[SEP]` or the next token."
    ),
    code(
        """
fig = sv.attention_grid(
    att.probs, list(att.tokens), provenance=att.provenance,
    title=f"Every layer x head ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## Summaries: words, no special tokens, averages

`merge_wordpieces()` joins `##` pieces into words (attention *to* a word is the sum over its
pieces, *from* a word the mean, so rows still sum to 1); `mask_special()` drops `[CLS]`/`[SEP]`
and renormalises. Each step is appended to the provenance line shown under the figure.
"""
    ),
    code(
        """
words = att.merge_wordpieces().mask_special()
print(words.tokens)
fig = sv.attention_heatmap(
    words.mean_over_heads(-1), list(words.tokens), provenance=words.provenance,
    title=f"Last layer, mean over heads, words only ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        "The same map as lines from each word to the words it attends to (a bertviz-style head "
        "view; weights below 0.05 are hidden):"
    ),
    code(
        """
fig = sv.head_view(
    words.mean_over_heads(-1), list(words.tokens), provenance=words.provenance,
    min_weight=0.05, title=f"Last layer, mean over heads ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## A sentence pair

With a second text the input is `[CLS] A [SEP] B [SEP]`; `segment_ids` tell the two apart. The
share of each layer's attention that crosses from one sentence to the other:
"""
    ),
    code(
        """
pair = model.attention("Where can I open a bank account?", "The river bank flooded after the storm.")
seg = pair.segment_ids
cross = (seg[:, None] != seg[None, :])
for layer, maps in enumerate(pair.mean_over_heads()):
    print(f"layer {layer}: {maps[cross].sum() / maps.sum():.2f} of attention crosses sentences")
fig = sv.attention_heatmap(
    pair.mean_over_heads(-1), list(pair.tokens), provenance=pair.provenance,
    title=f"Sentence pair, last layer, mean over heads ({model.info.name})",
)
fig.show()
"""
    ),
    md(
        """
## Interactive: `AttentionExplorer`

Type any text (and an optional second one), switch between the grid, one head and the head
view, merge wordpieces, hide special tokens. In an export it shows as a static plot.
"""
    ),
    code(
        """
from smallbert_viz.widgets import AttentionExplorer

last = model.info.num_layers - 1
AttentionExplorer(model, sentence, view="single head", layer=last, head="mean", units="words")
"""
    ),
]

# ---------------------------------------------------------------------------------------------
MAGIC = [
    md(
        """
# The `%embed` magic

One line from sentences to a similarity heatmap, the attention of the first sentence and
(from four sentences on) a 2-D map. The magic picks the model like
`load_model_with_fallback()` and prints which one it used; `--model NAME` chooses one.

It shows its figures both as the plotly MIME type and as HTML (plotly.js once per session,
offline), so they survive `jupyter nbconvert --to html` without changing plotly's global
renderer.
"""
    ),
    code("%load_ext smallbert_viz"),
    md('## Quoted sentences on one line\n\nShell quoting rules: `"it\'s"` is one sentence.'),
    code('%embed "A cat sat on the mat." "A dog lay on the rug." "Stocks fell sharply today."'),
    md(
        """
## `%%embed`: one sentence per line, with labels

`label<TAB>sentence` lines give labels (they colour the map). The separator is a real TAB
character; paste the lines from a spreadsheet or TSV file, since pressing Tab in the editor may
open completion instead. `-o res` stores the result in the variable `res`.
"""
    ),
    code(
        "%%embed -o res\n"
        + "\n".join(
            f"{label}\t{text}"
            for label, text in [
                ("animals", "A cat sat on the mat."),
                ("animals", "The dog chased a squirrel up the tree."),
                ("animals", "Owls hunt mice at night."),
                ("finance", "Stocks fell sharply today."),
                ("finance", "The central bank held interest rates."),
                ("finance", "Bond yields rose after the jobs report."),
                ("cooking", "Simmer the sauce for twenty minutes."),
                ("cooking", "Knead the dough until it is smooth."),
                ("cooking", "Roast the vegetables with olive oil."),
            ]
        )
    ),
    md(
        """
## What `-o` gives you

An `EmbedResult`: the texts, labels, embeddings (float32, read-only), the provenance, the
projection and the figures it showed.
"""
    ),
    code(
        """
print(res)
print(res.embeddings.shape, res.pooling)
print(res.describe())
print(sorted(res.figures))
print(res.similarity().matrix.round(2)[:3])
"""
    ),
    md(
        """
## Python values: `{var}`

An unquoted `{expr}` is evaluated in the notebook: a list (or any sequence of str) gives one
sentence per item, a str one sentence. Inside quotes, braces are plain text. `--view` limits
the output to one view.
"""
    ),
    code(
        """
headlines = [
    "Heavy rain is expected across the north tomorrow.",
    "A late goal settled the derby.",
    "Forecasters warn of strong winds along the coast.",
    "The home side lost on penalties.",
]
"""
    ),
    code("%embed {headlines} --view similarity -o weather"),
    code("print(weather.texts[0], '|', weather.describe())"),
    md(
        """
## A report from the result

`res.report(path)` writes the standalone HTML report of the same sentences with the same model
and pooling (see `06_reports`).
"""
    ),
    code(
        """
path = res.report("out/magic_report.html")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")
"""
    ),
    md(
        """
## The explorers from the result

`res.explore()` opens the linked explorers (projection, similarity, attention) on the same
embeddings, model and pooling, without embedding again. Click a point or a cell to see that
sentence's attention; a lasso fills the table and `ex.projection_view.selected`.
"""
    ),
    code(
        """
ex = res.explore(projection={"method": "pca"})
ex
"""
    ),
]

# ---------------------------------------------------------------------------------------------
REPORTS = [
    md(
        """
# Reports: one offline HTML file to share

`report()` embeds the sentences, computes the similarity matrix, clusters, nearest
neighbours, a UMAP map, attention of a few sentences and one pair's token contributions, and
writes everything into **one** HTML file: plotly.js inlined once, every figure and table as
data, the provenance (model, pooling, parameters, seed, versions) at the top. It makes no
network request, so it opens by double-click on a machine without internet, and clicking a
point, a heatmap cell or a table row still links the views there, with no kernel running.
"""
    ),
    code(
        """
import os
import re
from pathlib import Path

import smallbert_viz as sv
from smallbert_viz.reporting import report
"""
    ),
    md("## Load a model\n\n" + LOAD_NOTE),
    code(LOAD),
    md("## Sentences: 20 per topic from the sample corpus (160)"),
    code(
        """
corpus = sv.sample_corpus()
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < 20:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
print(len(texts), "sentences on", len(counts), "topics")
"""
    ),
    md(
        """
## Build the report

`note=` puts the model note at the top of the page, so a reader sees which model was used
and why. `seed` fixes the UMAP layout. `out/` is next to this notebook (git ignores it).
"""
    ),
    code(
        """
path = report(
    texts,
    labels,
    model,
    "out/sample_corpus_report.html",
    note=note,
    title="Sample corpus: 160 sentences on 8 topics",
    seed=42,
)
size = path.stat().st_size
print(path)
print(f"{size / 1e6:.2f} MB")
"""
    ),
    md(
        "Check that it is self-contained: no `<script src=...>` and no stylesheet links, so "
        "nothing is fetched when it opens."
    ),
    code(
        """
page = path.read_text(encoding="utf-8")
external = re.findall(r"<script[^>]*\\ssrc=|<link[^>]*stylesheet", page)
print("external scripts/stylesheets:", len(external))
print("names the model:", model.info.name in page)
"""
    ),
    md(
        """
## Open it

- Double-click the file, or drag it into a browser: no server, no internet.
- From a terminal: `python -m webbrowser -t file:///path/to/sample_corpus_report.html`.
- Share it as an attachment; the reader needs nothing installed.
- The same from the command line: `smallbert-viz report sentences.txt -o report.html`
  (`--labels COLUMN` for a CSV/TSV).

The link below opens it from JupyterLab (it opens in a new browser tab):
"""
    ),
    code(
        """
from IPython.display import FileLink

FileLink(os.path.relpath(path))
"""
    ),
]

# ---------------------------------------------------------------------------------------------
COMPARE = [
    md(
        """
# Small BERT sizes on the same sentences

The 24 TF Hub small BERTs range from 2 to 12 layers (L) and hidden sizes 128 to 768 (H), with
A = H/64 attention heads. This notebook puts a few sizes side by side on the same sentences:

1. **Cost**: parameters, embedding size, embedding speed, attention grid shape.
2. **Meaning**: do they organise the sentences the same way as a pretrained reference
   (correlation of the similarity matrices, shared nearest neighbours) and along the topics?

The small BERTs come from TF Hub. Without network access and an empty TF Hub cache they are
**unavailable**; the notebook says so and then builds **random-weight stand-ins** of the same
sizes: the real TF Hub file format and architecture with seeded random weights. Stand-ins show
what a size *costs*, never what it *means*. When the real models are cached or downloadable,
the same cells compare the real ones.
"""
    ),
    md(EXPORT_NOTE),
    code(
        SETUP
        + """
import logging
import tempfile
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.stats import spearmanr

import smallbert_viz as sv
from smallbert_viz.errors import ModelNotFoundError
from smallbert_viz.models.loader import load_model
from smallbert_viz.models.standin import build_standin
"""
    ),
    md("## The sentences\n\nFour per topic from the sample corpus (32), and 64 for timing."),
    code(
        """
corpus = sv.sample_corpus()
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < 4:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
timing_texts = corpus.texts[:64]
print(len(texts), "sentences,", len(counts), "topics")
"""
    ),
    md(
        """
## Load the sizes

`load_model(name)` for each size; `ModelNotFoundError` means it is neither in the TF Hub cache
nor downloadable. The pretrained offline model all-MiniLM-L6-v2 is always loaded as the
reference.
"""
    ),
    code(
        """
SIZES = ["L-2_H-128_A-2", "L-4_H-256_A-4", "L-8_H-128_A-2"]
PRETRAINED, STANDIN = "pretrained", "RANDOM-WEIGHT stand-in"

models, kinds = {}, {}
models["all-MiniLM-L6-v2"] = load_model("all-MiniLM-L6-v2")
kinds["all-MiniLM-L6-v2"] = PRETRAINED
unavailable = []
for name in SIZES:
    try:
        models[name] = load_model(name)
        kinds[name] = PRETRAINED
        print(f"{name}: loaded from {models[name].info.encoder_handle}")
    except ModelNotFoundError as exc:
        unavailable.append(name)
        print(f"{name}: UNAVAILABLE ({str(exc).split(' (')[0]})")
print()
print("unavailable:", ", ".join(unavailable) if unavailable else "none, all real models loaded")
"""
    ),
    md(
        """
## Random-weight stand-ins for the unavailable sizes

`build_standin(folder, L, H, A)` writes an encoder and a preprocessor in the TF Hub format with
seeded random weights and the same uncased vocabulary. Their folder names say
`random-weights`, and so does every label and provenance line below.
"""
    ),
    code(
        """
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide "Assets written to ..." lines
standin_root = Path(tempfile.mkdtemp(prefix="smallbert-viz-standins-"))
for name in unavailable:
    L, H, A = (int(part.split("-")[1]) for part in name.split("_"))
    encoder, preprocessor = build_standin(standin_root / f"random-weights-L{L}-H{H}-A{A}", L, H, A, seed=0)
    label = f"{name} ({STANDIN})"
    models[label] = load_model(encoder, preprocessor=preprocessor)
    kinds[label] = STANDIN
    print(f"built {label}: {models[label].info.name}")
"""
    ),
    md(
        """
## Cost

Embedding speed is the median of three runs over the same 64 sentences after one warm-up run,
in this kernel on this machine: compare the models with each other, not with other machines.
The attention grid is layers x heads; each panel is tokens x tokens.
"""
    ),
    code(
        """
def ms_per_sentence(model, sentences, repeats=3):
    model.embed(sentences, progress=False)  # warm-up: builds the graph for these shapes
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.embed(sentences, progress=False)
        runs.append(time.perf_counter() - start)
    return 1000 * float(np.median(runs)) / len(sentences)


cost = {}
for label, m in models.items():
    grid = m.attention(texts[0]).probs.shape
    cost[label] = dict(
        params=m.info.num_parameters, dims=m.info.hidden_size, grid=grid,
        ms=ms_per_sentence(m, timing_texts),
    )
print(f"{'model':44s} {'kind':22s} {'parameters':>12s} {'dims':>5s} {'ms/sentence':>11s}  attention grid (L, A, T, T)")
for label, c in cost.items():
    print(f"{label:44s} {kinds[label]:22s} {c['params']:12,d} {c['dims']:5d} {c['ms']:11.2f}  {c['grid']}")
"""
    ),
    code(
        """
names = list(models)
colors = ["#1f77b4" if kinds[n] == PRETRAINED else "#d62728" for n in names]
fig = make_subplots(rows=1, cols=3, subplot_titles=("parameters (millions)", "embedding dimensions", "ms per sentence (median of 3)"))
for col, values in enumerate(
    ([cost[n]["params"] / 1e6 for n in names], [cost[n]["dims"] for n in names], [cost[n]["ms"] for n in names]),
    start=1,
):
    fig.add_bar(x=names, y=values, marker_color=colors, showlegend=False, row=1, col=col)
fig.update_layout(
    title=dict(
        text="Architecture cost of the models named on the x axes"
        + "<br><sup>blue: pretrained; red: RANDOM-WEIGHT stand-in (cost only, no meaning)</sup>",
        font_size=13,
    ),
    height=480, margin_t=110,
)
fig.update_xaxes(tickangle=30, tickfont_size=9)
fig.show()
"""
    ),
    md(
        """
## Meaning: the same sentences, the same pooling

Every model embeds the 32 sentences with mean pooling (the small BERTs' default is `[CLS]`,
but without fine-tuning the mean is the fairer sentence vector, and it is the reference's own).
Against the reference all-MiniLM-L6-v2:

- **similarity correlation**: Spearman correlation of the two similarity matrices (pairs above
  the diagonal);
- **neighbour overlap**: share of each sentence's 5 nearest neighbours that both models agree on
  (chance about 5/31 = 0.16);
- **same topic**: share of each sentence's 3 nearest neighbours with the same topic (chance
  3/31 = 0.10), a check against the labels rather than against another model.

A random-weight stand-in is a **baseline**: an untrained network still maps the same wordpiece
to the same vector, so shared words alone give it some agreement. A pretrained model earns its
meaning by beating that baseline.
"""
    ),
    code(
        """
reference = "all-MiniLM-L6-v2"
topic = np.array(labels)
upper = np.triu_indices(len(texts), k=1)
emb = {n: m.embed(texts, pooling="mean", progress=False) for n, m in models.items()}
sims = {n: sv.similarity_matrix(e).matrix for n, e in emb.items()}
nn5 = {n: sv.nearest_neighbors(e, k=5).indices for n, e in emb.items()}
nn3 = {n: sv.nearest_neighbors(e, k=3).indices for n, e in emb.items()}

agreement = {}
for n in names:
    rho = spearmanr(sims[n][upper], sims[reference][upper]).statistic
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(nn5[n], nn5[reference])])
    same_topic = float((topic[nn3[n]] == topic[:, None]).mean())
    agreement[n] = dict(rho=float(rho), overlap=float(overlap), topic=same_topic)
print(f"{'model':44s} {'kind':22s} {'similarity rho':>14s} {'NN overlap':>10s} {'same topic':>10s}")
for n, a in agreement.items():
    print(f"{n:44s} {kinds[n]:22s} {a['rho']:14.2f} {a['overlap']:10.2f} {a['topic']:10.2f}")
"""
    ),
    code(
        """
order = sv.cluster_order(sv.similarity_matrix(emb[reference]))
fig = make_subplots(
    rows=1, cols=len(names), horizontal_spacing=0.03,
    subplot_titles=[f"{n}<br>[{kinds[n]}]" for n in names],
)
for col, n in enumerate(names, start=1):
    z = sims[n][np.ix_(order, order)]
    fig.add_heatmap(
        z=z, coloraxis="coloraxis", row=1, col=col,
        hovertemplate="#%{x} x #%{y}: %{z:.3f}<extra></extra>",
        x=[int(k) for k in order], y=[int(k) for k in order],
    )
fig.update_xaxes(showticklabels=False, type="category")
fig.update_yaxes(showticklabels=False, type="category", autorange="reversed")
fig.update_annotations(font_size=10)
fig.update_layout(
    title=dict(
        text=f"Cosine similarity (mean pooling) of the same {len(texts)} sentences, rows in {reference}'s cluster order"
        + "<br><sup>RANDOM-WEIGHT stand-ins show shared-word structure only, not meaning</sup>",
        font_size=13,
    ),
    coloraxis=dict(colorscale="Viridis", colorbar_title="cosine"),
    height=420, margin_t=130,
)
fig.show()
"""
    ),
    code(
        """
fig = go.Figure()
for key, title in (("rho", "similarity correlation with " + reference), ("overlap", "5-NN overlap with " + reference), ("topic", "same-topic share of 3 NN")):
    fig.add_bar(name=title, x=[f"{n} [{kinds[n]}]" for n in names], y=[agreement[n][key] for n in names])
fig.add_hline(y=3 / 31, line_dash="dot", annotation_text="same-topic chance", annotation_position="top right")
fig.update_layout(
    barmode="group", height=460, yaxis_range=[min(0, *(a["rho"] for a in agreement.values())), 1.05],
    title=dict(text="Agreement of each model with the pretrained reference " + reference
               + "<br><sup>stand-ins are RANDOM-WEIGHT baselines</sup>", font_size=13),
    xaxis_tickangle=20, legend=dict(orientation="h", y=-0.35),
)
fig.show()
"""
    ),
    md("## What this run shows"),
    code(
        """
real = [n for n in names if kinds[n] == PRETRAINED and n != reference]
fake = [n for n in names if kinds[n] == STANDIN]
if fake:
    print(
        f"Unavailable here: {', '.join(unavailable)}. Their rows are RANDOM-WEIGHT stand-ins: "
        "the cost columns are real (same architecture), the agreement columns are a baseline "
        "of what an untrained network gives, not a property of the pretrained models."
    )
if real:
    best = max(real, key=lambda n: agreement[n]["rho"])
    print(f"Real small BERTs compared: {', '.join(real)}; closest to {reference}: {best}.")
else:
    print("No real small BERT was available: cache them (see the load errors above) and re-run.")
"""
    ),
]

NOTEBOOKS = {
    "01_quickstart": QUICKSTART,
    "02_similarity": SIMILARITY,
    "03_projection": PROJECTION,
    "04_attention": ATTENTION,
    "05_magic": MAGIC,
    "06_reports": REPORTS,
    "07_compare_sizes": COMPARE,
}

METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}


def build(stem: str, cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(metadata=METADATA)
    for n, cell in enumerate(cells):
        cell = nbformat.from_dict(dict(cell))
        cell["id"] = f"{stem.split('_')[0]}-{n:02d}"
        cell["metadata"] = {}
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def main() -> None:
    paths = []
    for stem, cells in NOTEBOOKS.items():
        path = HERE / f"{stem}.ipynb"
        nbformat.write(build(stem, cells), path)
        paths.append(str(path))
        print("wrote", path.relative_to(HERE.parent))
    # The code cells in the same style as the package (line length 100); cells with magics are
    # left as written.
    ruff = Path(sys.executable).with_name("ruff")
    subprocess.run([str(ruff), "format", "--quiet", "--line-length", "100", *paths], check=True)


if __name__ == "__main__":
    main()
