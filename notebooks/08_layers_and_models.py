# %% [markdown]
# # Which layer knows what, and do two models agree?
#
# Two questions about sentence embeddings, answered on the bundled sample corpus (a few hundred
# sentences, each with a topic label):
#
# 1. **Layers.** A BERT encoder computes one vector per token at every layer; the sentence vector
#    you usually see comes from the last one. `model.layer_embeddings` gives a sentence vector
#    per layer, and `sv.layer_analysis` asks, per layer, how well the topics can be recovered
#    from those vectors (a cross-validated k-nearest-neighbour vote) and how alike the layers
#    are (linear CKA).
# 2. **Models.** `sv.compare` embeds the same sentences with two models and measures how many
#    nearest neighbours they share per sentence, their linear CKA, and draws both layouts side
#    by side, aligned so that the same sentence sits in about the same place where they agree.
#
# The main model is the pretrained **all-MiniLM-L6-v2** (converted offline, always available).
# The second model is a TF Hub small BERT when it is cached or downloadable; otherwise the
# notebook says so and builds a clearly labelled **random-weight stand-in** of the same size
# (the real architecture and file format with seeded random weights): a baseline of what an
# untrained network gives, never a statement about the pretrained small BERT.

# %% [markdown]
# **Plots that survive export.** plotly's default notebook renderer sends a figure only as the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank in the export. The first code cell asks plotly to send each figure twice: as the MIME type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works offline). For a smaller export that needs the network, use `"plotly_mimetype+notebook_connected"`.

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

import logging
import tempfile
from pathlib import Path

import numpy as np

import smallbert_viz as sv
from smallbert_viz.errors import ModelNotFoundError
from smallbert_viz.models.standin import build_standin

# %% [markdown]
# ## The sentences and the models

# %%
corpus = sv.sample_corpus()
texts, labels = list(corpus.texts), list(corpus.labels)
topics = sorted(set(labels))
print(f"{len(texts)} sentences on {len(topics)} topics: {', '.join(topics)}")

minilm = sv.load_model("all-MiniLM-L6-v2")
print(minilm)

# %%
SMALL = "L-4_H-256_A-4"
try:
    small = sv.load_model(SMALL)
    small_label = f"{SMALL} (pretrained)"
except ModelNotFoundError as exc:
    print(f"{SMALL}: UNAVAILABLE ({str(exc).split(' (')[0]})")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide "Assets written to ..." lines
    L, H, A = (int(part.split("-")[1]) for part in SMALL.split("_"))
    root = Path(tempfile.mkdtemp(prefix="smallbert-viz-standin-"))
    encoder, preprocessor = build_standin(root / f"random-weights-L{L}-H{H}-A{A}", L, H, A, seed=0)
    small = sv.load_model(encoder, preprocessor=preprocessor)
    small_label = f"{SMALL} (RANDOM-WEIGHT stand-in)"
print("second model:", small_label, "->", small.info.name)

# %% [markdown]
# ## One sentence vector per layer
#
# `model.layer_embeddings(texts, pooling)` returns an array `[layers, sentences, hidden]`: each
# layer's token vectors averaged (`"mean"`) or its `[CLS]` vector (`"cls"`). The last layer is
# exactly what `model.embed` returns with the same pooling; the cell checks it.

# %%
layers = minilm.layer_embeddings(texts[:8], "mean")
print("shape (layers, sentences, hidden):", layers.shape)
last = minilm.embed(texts[:8], pooling="mean", progress=False)
print("last layer equals embed():", bool(np.allclose(layers[-1], last, atol=1e-4)))

# %% [markdown]
# ## Which layer separates the topics
#
# Per layer: the share of sentences whose topic a 5-nearest-neighbour vote (cosine) gets right,
# in 5-fold stratified cross-validation, with one standard deviation across folds as error bars.
# The dashed line is chance (always guessing the most frequent topic). A layer well above chance
# already groups the sentences by topic; where the curve flattens, later layers add little for
# this task (they may still matter for others, such as paraphrase detection).

# %%
analysis = sv.layer_analysis(texts, labels, model=minilm, pooling="mean")
for name, accuracy in zip(analysis.layer_names, analysis.knn_accuracy):
    print(f"{name:10s} k-NN accuracy {accuracy:.3f}")
print(f"chance {analysis.chance:.3f}; best: {analysis.layer_names[analysis.best_layer]}")
print(analysis.describe())

# %%
fig = sv.layer_accuracy_chart(
    analysis.knn_accuracy,
    chance=analysis.chance,
    fold_accuracy=analysis.fold_accuracy,
    layer_names=analysis.layer_names,
    provenance=analysis.describe(),
)
fig.show()

# %% [markdown]
# ## How alike the layers are
#
# Linear CKA compares two layers' sentence vectors up to rotation and scale: 1 means the same
# geometry, values near 0 unrelated ones. Neighbouring layers are usually alike; a block
# structure shows where the representation changes most.

# %%
fig = sv.cka_heatmap(analysis.cka, layer_names=analysis.layer_names, provenance=analysis.describe())
fig.show()
off_diagonal = analysis.cka[~np.eye(len(analysis.cka), dtype=bool)]
print(f"CKA between different layers: {off_diagonal.min():.3f} to {off_diagonal.max():.3f}")
print(f"first vs last layer: {analysis.cka[0, -1]:.3f}")

# %% [markdown]
# The same analysis on the second model, for comparison. For a random-weight stand-in this is
# a baseline: shared words alone give an untrained network some topic accuracy, and a
# pretrained model earns its meaning by beating it.

# %%
small_analysis = sv.layer_analysis(texts, labels, model=small, pooling="mean")
print(
    f"{small_label}: best layer {small_analysis.layer_names[small_analysis.best_layer]}, k-NN "
    f"accuracy {small_analysis.knn_accuracy.max():.3f} (all-MiniLM-L6-v2: "
    f"{analysis.knn_accuracy.max():.3f}; chance {small_analysis.chance:.3f})"
)
fig = sv.layer_accuracy_chart(
    small_analysis.knn_accuracy,
    chance=small_analysis.chance,
    fold_accuracy=small_analysis.fold_accuracy,
    layer_names=small_analysis.layer_names,
    provenance=small_analysis.describe(),
    title=f"Which layer separates the topics: {small_label}",
)
fig.show()

# %% [markdown]
# ## Two models, the same sentences
#
# `sv.compare(texts, models=[a, b])` embeds the sentences with both models (mean pooling here
# for both) and reports:
#
# - **neighbour overlap**: per sentence, the share of its 10 nearest neighbours (cosine) that
#   both models agree on; chance is about 10 / (N - 1);
# - **linear CKA** between the two embeddings (1: the same up to rotation and scale).
#
# Each embedding is projected to 2-D on its own (UMAP, fixed seed); model B's layout is then
# rotated, scaled and shifted onto model A's (orthogonal Procrustes). Points are coloured by
# topic; hover shows each sentence and its overlap; clicking a legend entry hides that topic in
# both panels.

# %%
comparison = sv.compare(texts, models=[minilm, small], pooling="mean", labels=labels)
print(
    f"mean neighbour overlap {comparison.mean_overlap:.3f} (k={comparison.k}; chance about "
    f"{comparison.k / (len(texts) - 1):.3f}), linear CKA {comparison.cka:.3f}"
)
print(comparison.projection)

# %%
fig = sv.comparison_scatter(
    comparison.coords_a,
    comparison.coords_b,
    texts,
    overlap=comparison.neighbor_overlap,
    labels=comparison.labels,
    names=(f"A: {comparison.names[0]}", f"B: {small_label}"),
    cka=comparison.cka,
    provenance=comparison.describe(),
    method_description=comparison.projection,
)
fig.show()

# %% [markdown]
# ### Linked selection
#
# `CompareExplorer` shows the same two panels as a live widget: draw a box or lasso (or click a
# point) in either panel and the same sentences light up in both, with a table of the selected
# sentences and their neighbour overlap (`.selected` holds their row numbers,
# `.to_pandas(selected_only=True)` the table). A group that sits together in one model's
# layout and scatters in the other's is where the two models disagree. Passing
# `comparison=` reuses the comparison above instead of embedding again.

# %%
from smallbert_viz.widgets import CompareExplorer

explorer = CompareExplorer(texts, comparison=comparison)
explorer.select(np.argsort(comparison.neighbor_overlap, kind="stable")[:5])  # as a lasso would
explorer

# %% [markdown]
# ## Where the models disagree most
#
# The sentences with the lowest neighbour overlap: their neighbourhoods differ most between
# the two models.

# %%
order = np.argsort(comparison.neighbor_overlap, kind="stable")
for i in order[:5]:
    print(f"{comparison.neighbor_overlap[i]:.2f}  [{labels[i]}] {texts[i]}")
