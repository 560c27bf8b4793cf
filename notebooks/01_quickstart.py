# %% [markdown]
# # Quickstart: sentences in, vectors and a similarity map out
#
# Load a small BERT, turn a few sentences into vectors, and see which sentences the model puts
# close together. Every output names the model that made it.

# %% [markdown]
# **Plots that survive export.** plotly's default notebook renderer sends a figure only as the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank in the export. The first code cell asks plotly to send each figure twice: as the MIME type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works offline). For a smaller export that needs the network, use `"plotly_mimetype+notebook_connected"`.

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

import numpy as np

import smallbert_viz as sv

# %% [markdown]
# ## Load a model
#
# `sv.load_model(fallback=True)` loads the TF Hub small BERT `L-8_H-128_A-2` when it is in the TF Hub cache or can be downloaded, and otherwise the offline pretrained `all-MiniLM-L6-v2` (a real sentence encoder with the same BERT architecture, shipped as a Python package). `model.note` says when and why it was substituted; every figure below names the model actually used. The repr shows its size.

# %%

model = sv.load_model(fallback=True)
print(model.note or f"Using {model.info.name} ({model.info.encoder_handle}).")
model

# %% [markdown]
# ## Embed
#
# `model.embed` takes a string or a list of strings and returns float32 vectors, one row per
# text, in input order. *Pooling* is how the token vectors become one sentence vector; the default
# is the model's own: the `[CLS]` vector for the small BERTs, the mean of the token vectors for
# all-MiniLM-L6-v2. `model.provenance().describe()` is the line that figures show as subtitle.

# %%
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

# %% [markdown]
# ## Compare
#
# `similarity_matrix` gives the cosine similarity of every pair (a `SimilarityMatrix` whose
# `.matrix` has shape (N, N)); `similarity_heatmap` draws it. Hover a cell to read both sentences.

# %%
sim = sv.similarity_matrix(vectors, metric="cosine")
fig = sv.similarity_heatmap(
    sim.matrix,
    sentences,
    provenance=model.provenance().describe(),
    title=f"Cosine similarity of six sentences ({model.info.name})",
)
fig.show()

# %% [markdown]
# The most similar pair of different sentences, read straight from the matrix:

# %%
scores = sim.matrix.copy()
np.fill_diagonal(scores, -np.inf)
i, j = np.unravel_index(np.argmax(scores), scores.shape)
print(f"cosine {scores[i, j]:.3f}\n  {sentences[i]}\n  {sentences[j]}")

# %% [markdown]
# ## One sentence, another pooling
#
# A single string gives a single vector of shape (H,). `pooling=` picks `"cls"`, `"pooled"`
# (the encoder's pooled output) or `"mean"`; the provenance line records the choice.

# %%
one = model.embed("A single sentence gives a single vector.", progress=False)
cls_vectors = model.embed(sentences, pooling="cls", progress=False)
print(one.shape, cls_vectors.shape)
print(model.provenance("cls").describe())

# %% [markdown]
# ## Next
#
# - `02_similarity`: clustered similarity of a labelled corpus, neighbours, and which token
#   pairs make a similarity.
# - `03_projection`: PCA and UMAP maps, nearest neighbours of a new sentence.
# - `04_attention`: every attention head, word-level maps, sentence pairs.
# - `05_magic`: the `%embed` magic.
# - `06_reports`: one offline HTML file to share.
# - `07_compare_sizes`: small BERT sizes on the same sentences.
