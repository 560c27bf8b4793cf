# %% [markdown]
# # Attention: where does each token look?
#
# Per-head attention probabilities for one sentence and for a sentence pair, recomputed from the
# encoder's own weights (and checked against the encoder's output). Rows are the attending
# token, columns the attended one; each row sums to 1.

# %% [markdown]
# **Plots that survive export.** plotly's default notebook renderer sends a figure only as the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank in the export. The first code cell asks plotly to send each figure twice: as the MIME type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works offline). For a smaller export that needs the network, use `"plotly_mimetype+notebook_connected"`.

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

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
# ## One sentence
#
# `model.attention(text)` returns an `Attention`: `tokens` (wordpieces with `[CLS]`/`[SEP]`;
# "painkillers" becomes `pain ##kill ##ers`) and `probs` of shape (layers, heads, T, T).

# %%
sentence = "The antibiotics weren't painkillers, so the headache stayed."
att = model.attention(sentence)
print(att)
print(att.tokens)
row_sums = att.probs.sum(axis=-1)
print(att.probs.shape, f"rows sum to {row_sums.min():.4f} .. {row_sums.max():.4f}")

# %% [markdown]
# Every layer x head at once (rows = layers, columns = heads). Many heads attend to `[CLS]`, `[SEP]` or the next token.

# %%
fig = sv.attention_grid(
    att.probs,
    list(att.tokens),
    provenance=att.provenance,
    title=f"Every layer x head ({model.info.name})",
)
fig.show()

# %% [markdown]
# ## Summaries: words, no special tokens, averages
#
# `merge_wordpieces()` joins `##` pieces into words (attention *to* a word is the sum over its
# pieces, *from* a word the mean, so rows still sum to 1); `mask_special()` drops `[CLS]`/`[SEP]`
# and renormalises. Each step is appended to the provenance line shown under the figure.

# %%
words = att.merge_wordpieces().mask_special()
print(words.tokens)
fig = sv.attention_heatmap(
    words.mean_over_heads(-1),
    list(words.tokens),
    provenance=words.provenance,
    title=f"Last layer, mean over heads, words only ({model.info.name})",
)
fig.show()

# %% [markdown]
# The same map as lines from each word to the words it attends to (a bertviz-style head view; weights below 0.05 are hidden):

# %%
fig = sv.head_view(
    words.mean_over_heads(-1),
    list(words.tokens),
    provenance=words.provenance,
    min_weight=0.05,
    title=f"Last layer, mean over heads ({model.info.name})",
)
fig.show()

# %% [markdown]
# ## A sentence pair
#
# With a second text the input is `[CLS] A [SEP] B [SEP]`; `segment_ids` tell the two apart. The
# share of each layer's attention that crosses from one sentence to the other:

# %%
pair = model.attention(
    "Where can I open a bank account?", "The river bank flooded after the storm."
)
seg = pair.segment_ids
cross = seg[:, None] != seg[None, :]
for layer, maps in enumerate(pair.mean_over_heads()):
    print(f"layer {layer}: {maps[cross].sum() / maps.sum():.2f} of attention crosses sentences")
fig = sv.attention_heatmap(
    pair.mean_over_heads(-1),
    list(pair.tokens),
    provenance=pair.provenance,
    title=f"Sentence pair, last layer, mean over heads ({model.info.name})",
)
fig.show()

# %% [markdown]
# ## Interactive: `AttentionExplorer`
#
# Type any text (and an optional second one), switch between the grid, one head and the head
# view, merge wordpieces, hide special tokens. In an export it shows as a static plot.

# %%
from smallbert_viz.widgets import AttentionExplorer

last = model.info.num_layers - 1
AttentionExplorer(sentence, model=model, view="single head", layer=last, head="mean", units="words")
