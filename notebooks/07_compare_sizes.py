# %% [markdown]
# # Small BERT sizes on the same sentences
#
# The 24 TF Hub small BERTs range from 2 to 12 layers (L) and hidden sizes 128 to 768 (H), with
# A = H/64 attention heads. This notebook puts a few sizes side by side on the same sentences:
#
# 1. **Cost**: parameters, embedding size, embedding speed, attention grid shape.
# 2. **Meaning**: do they organise the sentences the same way as a pretrained reference
#    (correlation of the similarity matrices, shared nearest neighbours) and along the topics?
#
# The small BERTs come from TF Hub. Without network access and an empty TF Hub cache they are
# **unavailable**; the notebook says so and then builds **random-weight stand-ins** of the same
# sizes: the real TF Hub file format and architecture with seeded random weights. Stand-ins show
# what a size *costs*, never what it *means*. When the real models are cached or downloadable,
# the same cells compare the real ones.

# %% [markdown]
# **Plots that survive export.** plotly's default notebook renderer sends a figure only as the plotly MIME type, which `jupyter nbconvert --to html` drops: the cell comes out blank in the export. The first code cell asks plotly to send each figure twice: as the MIME type (JupyterLab, VS Code) and as HTML with plotly.js inlined once (about 4.9 MB, works offline). For a smaller export that needs the network, use `"plotly_mimetype+notebook_connected"`.

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

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
from smallbert_viz.models.standin import build_standin

# %% [markdown]
# ## The sentences
#
# Four per topic from the sample corpus, and 64 for timing.

# %%
corpus = sv.sample_corpus()
texts, labels, counts = [], [], {}
for text, label in zip(corpus.texts, corpus.labels):
    if counts.get(label, 0) < 4:
        counts[label] = counts.get(label, 0) + 1
        texts.append(text)
        labels.append(label)
timing_texts = corpus.texts[:64]
print(len(texts), "sentences,", len(counts), "topics")

# %% [markdown]
# ## Load the sizes
#
# `load_model(name)` for each size; `ModelNotFoundError` means it is neither in the TF Hub cache
# nor downloadable. The pretrained offline model all-MiniLM-L6-v2 is always loaded as the
# reference.

# %%
SIZES = ["L-2_H-128_A-2", "L-4_H-256_A-4", "L-8_H-128_A-2"]
PRETRAINED, STANDIN = "pretrained", "RANDOM-WEIGHT stand-in"

models, kinds = {}, {}
models["all-MiniLM-L6-v2"] = sv.load_model("all-MiniLM-L6-v2")
kinds["all-MiniLM-L6-v2"] = PRETRAINED
unavailable = []
for name in SIZES:
    try:
        models[name] = sv.load_model(name)
        kinds[name] = PRETRAINED
        print(f"{name}: loaded from {models[name].info.encoder_handle}")
    except ModelNotFoundError as exc:
        unavailable.append(name)
        print(f"{name}: UNAVAILABLE ({str(exc).split(' (')[0]})")
print()
print("unavailable:", ", ".join(unavailable) if unavailable else "none, all real models loaded")

# %% [markdown]
# ## Random-weight stand-ins for the unavailable sizes
#
# `build_standin(folder, L, H, A)` writes an encoder and a preprocessor in the TF Hub format with
# seeded random weights and the same uncased vocabulary. Their folder names say
# `random-weights`, and so does every label and provenance line below.

# %%
logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide "Assets written to ..." lines
standin_root = Path(tempfile.mkdtemp(prefix="smallbert-viz-standins-"))
for name in unavailable:
    L, H, A = (int(part.split("-")[1]) for part in name.split("_"))
    encoder, preprocessor = build_standin(
        standin_root / f"random-weights-L{L}-H{H}-A{A}", L, H, A, seed=0
    )
    label = f"{name} ({STANDIN})"
    models[label] = sv.load_model(encoder, preprocessor=preprocessor)
    kinds[label] = STANDIN
    print(f"built {label}: {models[label].info.name}")

# %% [markdown]
# ## Cost
#
# Embedding speed is the median of three runs over the same 64 sentences after one warm-up run,
# in this kernel on this machine: compare the models with each other, not with other machines.
# The attention grid is layers x heads; each panel is tokens x tokens.

# %%
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
        params=m.info.num_parameters,
        dims=m.info.hidden_size,
        grid=grid,
        ms=ms_per_sentence(m, timing_texts),
    )
print(
    f"{'model':44s} {'kind':22s} {'parameters':>12s} {'dims':>5s} {'ms/sentence':>11s}  attention grid (L, A, T, T)"
)
for label, c in cost.items():
    print(
        f"{label:44s} {kinds[label]:22s} {c['params']:12,d} {c['dims']:5d} {c['ms']:11.2f}  {c['grid']}"
    )

# %%
names = list(models)
colors = ["#1f77b4" if kinds[n] == PRETRAINED else "#d62728" for n in names]
fig = make_subplots(
    rows=1,
    cols=3,
    subplot_titles=(
        "parameters (millions)",
        "embedding dimensions",
        "ms per sentence (median of 3)",
    ),
)
for col, values in enumerate(
    (
        [cost[n]["params"] / 1e6 for n in names],
        [cost[n]["dims"] for n in names],
        [cost[n]["ms"] for n in names],
    ),
    start=1,
):
    fig.add_bar(x=names, y=values, marker_color=colors, showlegend=False, row=1, col=col)
fig.update_layout(
    title=dict(
        text="Architecture cost of the models named on the x axes"
        + "<br><sup>blue: pretrained; red: RANDOM-WEIGHT stand-in (cost only, no meaning)</sup>",
        font_size=13,
    ),
    height=480,
    margin_t=110,
)
fig.update_xaxes(tickangle=30, tickfont_size=9)
fig.show()

# %% [markdown]
# ## Meaning: the same sentences, the same pooling
#
# Every model embeds the same sentences with mean pooling (the small BERTs' default is `[CLS]`,
# but without fine-tuning the mean is the fairer sentence vector, and it is the reference's own).
# Against the reference all-MiniLM-L6-v2:
#
# - **similarity correlation**: Spearman correlation of the two similarity matrices (pairs above
#   the diagonal);
# - **neighbour overlap**: share of each sentence's 5 nearest neighbours that both models agree on
#   (chance: 5 of the N - 1 other sentences, 5/(N - 1));
# - **same topic**: share of each sentence's 3 nearest neighbours with the same topic (chance:
#   the share of the other sentences that have its topic), a check against the labels rather
#   than against another model.
#
# The cell prints both chance levels for these sentences.
#
# A random-weight stand-in is a **baseline**: an untrained network still maps the same wordpiece
# to the same vector, so shared words alone give it some agreement. A pretrained model earns its
# meaning by beating that baseline.

# %%
reference = "all-MiniLM-L6-v2"
topic = np.array(labels)
upper = np.triu_indices(len(texts), k=1)
emb = {n: m.embed(texts, pooling="mean", progress=False) for n, m in models.items()}
sims = {n: sv.similarity_matrix(e).matrix for n, e in emb.items()}
nn5 = {n: sv.nearest_neighbors(e, k=5).indices for n, e in emb.items()}
nn3 = {n: sv.nearest_neighbors(e, k=3).indices for n, e in emb.items()}
others = len(texts) - 1
chance_overlap = 5 / others
chance_topic = float(np.mean([(np.sum(topic == t) - 1) / others for t in topic]))
print(f"chance: 5-NN overlap {chance_overlap:.2f}, same topic {chance_topic:.2f}\n")

agreement = {}
for n in names:
    rho = spearmanr(sims[n][upper], sims[reference][upper]).statistic
    overlap = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(nn5[n], nn5[reference])])
    same_topic = float((topic[nn3[n]] == topic[:, None]).mean())
    agreement[n] = dict(rho=float(rho), overlap=float(overlap), topic=same_topic)
print(f"{'model':44s} {'kind':22s} {'similarity rho':>14s} {'NN overlap':>10s} {'same topic':>10s}")
for n, a in agreement.items():
    print(f"{n:44s} {kinds[n]:22s} {a['rho']:14.2f} {a['overlap']:10.2f} {a['topic']:10.2f}")

# %%
order = sv.cluster_order(sv.similarity_matrix(emb[reference]))
fig = make_subplots(
    rows=1,
    cols=len(names),
    horizontal_spacing=0.03,
    subplot_titles=[f"{n}<br>[{kinds[n]}]" for n in names],
)
for col, n in enumerate(names, start=1):
    z = sims[n][np.ix_(order, order)]
    fig.add_heatmap(
        z=z,
        coloraxis="coloraxis",
        row=1,
        col=col,
        hovertemplate="#%{x} x #%{y}: %{z:.3f}<extra></extra>",
        x=[int(k) for k in order],
        y=[int(k) for k in order],
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
    height=420,
    margin_t=130,
)
fig.show()

# %%
fig = go.Figure()
for key, title in (
    ("rho", "similarity correlation with " + reference),
    ("overlap", "5-NN overlap with " + reference),
    ("topic", "same-topic share of 3 NN"),
):
    fig.add_bar(
        name=title, x=[f"{n} [{kinds[n]}]" for n in names], y=[agreement[n][key] for n in names]
    )
fig.add_hline(
    y=chance_topic,
    line_dash="dot",
    annotation_text="same-topic chance",
    annotation_position="top right",
)
fig.update_layout(
    barmode="group",
    height=460,
    yaxis_range=[min(0, *(a["rho"] for a in agreement.values())), 1.05],
    title=dict(
        text="Agreement of each model with the pretrained reference "
        + reference
        + "<br><sup>stand-ins are RANDOM-WEIGHT baselines</sup>",
        font_size=13,
    ),
    xaxis_tickangle=20,
    legend=dict(orientation="h", y=-0.35),
)
fig.show()

# %% [markdown]
# ## What this run shows

# %%
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
