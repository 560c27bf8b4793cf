# %% [markdown]
# # Projection: a map of the corpus
#
# PCA and UMAP squeeze the embeddings into two dimensions. Close points are sentences the
# model finds similar; the map is a summary, so we also measure how much of the neighbourhood
# structure it keeps.

# %% [markdown]
# **Plots that survive export.** plotly's default notebook renderer sends a figure only as the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank in the export. The first code cell asks plotly to send each figure twice: as the MIME type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works offline). For a smaller export that needs the network, use `"plotly_mimetype+notebook_connected"`.

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

import smallbert_viz as sv

# %% [markdown]
# ## Load a model and embed the sample corpus
#
# `sv.load_model(fallback=True)` loads the TF Hub small BERT `L-8_H-128_A-2` when it is in the TF Hub cache or can be downloaded, and otherwise the offline pretrained `all-MiniLM-L6-v2` (a real sentence encoder with the same BERT architecture, shipped as a Python package). `model.note` says when and why it was substituted; every figure below names the model actually used.

# %%

model = sv.load_model(fallback=True)
print(model.note or f"Using {model.info.name} ({model.info.encoder_handle}).")
model

# %%
corpus = sv.sample_corpus()
texts, labels = corpus.texts, corpus.labels
emb = model.embed(texts, progress=False)
prov = model.provenance()
print(emb.shape, "from", corpus.source)
print(prov)

# %% [markdown]
# ## PCA and UMAP
#
# `project` returns a `Projection`: `coords` of shape (N, 2) and every parameter that made them
# (`describe()`). PCA is exact and instant and reports the variance it keeps; UMAP follows local
# neighbourhoods. `seed=42` makes UMAP reproducible (single-threaded); results are cached, so
# re-running a cell does not recompute.

# %%
pca = sv.project(emb, method="pca")
umap = sv.project(emb, method="umap", seed=42)
print(pca.describe())
print(umap.describe())

# %%
fig = sv.projection_scatter(
    umap.coords,
    texts,
    labels=labels,
    provenance=prov,
    method_description=umap.describe(),
    title=f"UMAP of {len(texts)} sentences, coloured by topic ({model.info.name})",
)
fig.show()

# %% [markdown]
# ## How faithful is the map?
#
# `neighbor_preservation` is the share of each sentence's 10 nearest neighbours in the full
# embedding space that are also among its 10 nearest on the map (1.0: all kept).

# %%
for proj in (pca, umap):
    kept = sv.analysis.neighbor_preservation(emb, proj.coords, k=10)
    print(f"{proj.method.upper():4s} keeps {kept:.2f} of the 10 nearest neighbours")

# %% [markdown]
# ## Where does a new sentence land?
#
# Neighbours are searched in the full embedding space (not on the map) and highlighted on it.

# %%
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

# %% [markdown]
# ## Interactive: `ProjectionExplorer`
#
# Box or lasso select points to list them, type a query, change UMAP's parameters. With
# `background=False` UMAP is computed before the widget appears (here it comes from the cache);
# the default computes it in a thread and shows PCA meanwhile. In an export the widget shows as
# a static plot.

# %%
from smallbert_viz.widgets import ProjectionExplorer

explorer = ProjectionExplorer(
    texts,
    labels,
    model=model,
    embeddings=emb,
    pooling=model.default_pooling,
    provenance=prov,
    seed=42,
    background=False,
)
explorer.query(query, k=8)
explorer

# %% [markdown]
# Coordinates, selections and query results come back to Python (`explorer.selected` after a box selection):

# %%
print(explorer.projection.coords.shape, explorer.projection.method)
print("highlighted rows:", [int(r) for r in explorer.highlighted])
