# %% [markdown]
# # Similarity: which sentences does the model put together, and why?
#
# A clustered similarity matrix of a labelled corpus, each sentence's nearest neighbours, and
# the token pairs behind one pair's score.

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
# `sv.load_model(fallback=True)` loads the TF Hub small BERT `L-8_H-128_A-2` when it is in the TF Hub cache or can be downloaded, and otherwise the offline pretrained `all-MiniLM-L6-v2` (a real sentence encoder with the same BERT architecture, shipped as a Python package). `model.note` says when and why it was substituted; every figure below names the model actually used.

# %%

model = sv.load_model(fallback=True)
print(model.note or f"Using {model.info.name} ({model.info.encoder_handle}).")
model

# %% [markdown]
# ## A small labelled corpus
#
# The bundled sample corpus has a few hundred sentences, each labelled with its topic. Six per
# topic keep the heatmap readable.

# %%
corpus = sv.sample_corpus()
per_topic = 6
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < per_topic:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
print(len(texts), "sentences:", counts)

# %% [markdown]
# ## Embed with mean pooling
#
# `pooling="mean"` averages the last layer's token vectors. It is all-MiniLM-L6-v2's own pooling,
# and with it a pair's cosine similarity splits *exactly* into token-pair contributions (last
# section). The provenance line records it.

# %%
emb = model.embed(texts, pooling="mean", progress=False)
prov = model.provenance("mean")
sim = sv.similarity_matrix(emb, metric="cosine")
print(emb.shape, sim.matrix.shape)
print(prov)

# %% [markdown]
# ## Reorder by clusters
#
# In input order the structure is hard to see. `cluster_order` runs hierarchical clustering on
# the similarities and returns a permutation that puts similar sentences next to each other.
# With `labels`, runs of one topic are outlined: blocks on the diagonal mean the model's
# clusters follow the topics. `threshold` greys out weaker pairs.

# %%
order = sv.cluster_order(sim)
fig = sv.similarity_heatmap(
    sim.matrix,
    texts,
    labels=labels,
    order=order,
    threshold=0.2,
    provenance=prov,
    title=f"Clustered cosine similarity, {len(texts)} sentences ({model.info.name})",
)
fig.show()

# %% [markdown]
# How well do the clusters follow the topics? For each sentence, the share of its 5 nearest
# neighbours with the same topic. Chance is the share of the other sentences that have its
# topic (printed too).

# %%
nn = sv.nearest_neighbors(emb, k=5, metric="cosine")
topic = np.array(labels)
same = topic[nn.indices] == topic[:, None]
chance = np.mean([(np.sum(topic == t) - 1) / (len(texts) - 1) for t in topic])
print(f"same-topic share of the 5 nearest neighbours: {same.mean():.2f} (chance {chance:.2f})")
row = 0
print(f"\nneighbours of #{row}: {texts[row]}")
for idx, score in zip(nn.indices[row], nn.scores[row]):
    print(f"  {score:.3f}  [{labels[idx]}] {texts[idx]}")

# %% [markdown]
# ## Why are two sentences similar?
#
# For mean pooling, with u = mean(a_i) and v = mean(b_j) over the token vectors of the two
# sentences, u . v = (1/nm) sum_ij a_i . b_j: a token x token matrix that sums to the dot product
# (divided by |u||v| for cosine). `token_vectors` gives the last layer's vectors of the real
# tokens, `[CLS]` and `[SEP]` included, exactly the ones mean pooling averages.

# %%
i, j = sv.most_similar_pair(nn, texts)  # the closest pair that is not a duplicate
a, b = sv.token_vectors(model, [texts[i], texts[j]])
contrib = sv.token_contributions(a.vectors, b.vectors, metric="cosine")
print(f"#{i}: {texts[i]}\n#{j}: {texts[j]}")
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

# %% [markdown]
# ## Interactive: `SimilarityExplorer`
#
# The same heatmap as a widget: switch metric and order, move the threshold, click a cell to see
# why that pair matches, token by token (`explain_pair`: exact for mean pooling, integrated
# Jacobians for `cls`/`pooled`, computed in the background). `select_pair(i, j)` does what a click
# does. In an exported notebook the widget shows as a static plot.

# %%
from smallbert_viz.widgets import SimilarityExplorer

explorer = SimilarityExplorer(
    texts, labels, model=model, embeddings=emb, pooling="mean", provenance=prov
)
explorer.select_pair(int(i), int(j))
explorer

# %% [markdown]
# The chosen pair and its explanation are plain Python objects (`wait_explained` waits for the
# background worker):

# %%
explorer.wait_explained()
e = explorer.explanation
print(explorer.pair, e.method, round(float(e.matrix.sum()) + e.offset, 5), round(e.score, 5))
