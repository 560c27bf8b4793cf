# %% [markdown]
# # The `%embed` magic
#
# One line from sentences to a similarity heatmap, the attention of the first sentence and
# (from four sentences on) a 2-D map. The magic picks the model like
# `sv.load_model(fallback=True)` and prints which one it used; `--model NAME` chooses one.
#
# It shows its figures both as the plotly MIME type and as HTML (plotly.js once per session,
# offline), so they survive `jupyter nbconvert --to html` without changing plotly's global
# renderer.

# %%
# %load_ext smallbert_viz

# %% [markdown]
# ## Quoted sentences on one line
#
# Shell quoting rules: `"it's"` is one sentence.

# %%
# %embed "A cat sat on the mat." "A dog lay on the rug." "Stocks fell sharply today."

# %% [markdown]
# ## `%%embed`: one sentence per line, with labels
#
# `label<TAB>sentence` lines give labels (they colour the map). The separator is a real TAB
# character; paste the lines from a spreadsheet or TSV file, since pressing Tab in the editor may
# open completion instead. `-o res` stores the result in the variable `res`.

# %%
# %%embed -o res
# animals	A cat sat on the mat.
# animals	The dog chased a squirrel up the tree.
# animals	Owls hunt mice at night.
# finance	Stocks fell sharply today.
# finance	The central bank held interest rates.
# finance	Bond yields rose after the jobs report.
# cooking	Simmer the sauce for twenty minutes.
# cooking	Knead the dough until it is smooth.
# cooking	Roast the vegetables with olive oil.

# %% [markdown]
# ## What `-o` gives you
#
# An `EmbedResult`: the texts, labels, embeddings (float32, read-only), the provenance, the
# projection and the figures it showed.

# %%
print(res)
print(res.embeddings.shape, res.pooling)
print(res.describe())
print(sorted(res.figures))
print(res.similarity().matrix.round(2)[:3])

# %% [markdown]
# ## Python values: `{var}`
#
# An unquoted `{expr}` is evaluated in the notebook: a list (or any sequence of str) gives one
# sentence per item, a str one sentence. Inside quotes, braces are plain text. `--view` limits
# the output to one view.

# %%
headlines = [
    "Heavy rain is expected across the north tomorrow.",
    "A late goal settled the derby.",
    "Forecasters warn of strong winds along the coast.",
    "The home side lost on penalties.",
]

# %%
# %embed {headlines} --view similarity -o weather

# %%
print(weather.texts[0], "|", weather.describe())

# %% [markdown]
# ## A report from the result
#
# `res.report(path)` writes the standalone HTML report of the same sentences with the same model
# and pooling (see `06_reports`).

# %%
path = res.report("out/magic_report.html")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# ## The explorers from the result
#
# `res.explore()` opens the linked explorers (projection, similarity, attention) on the same
# embeddings, model and pooling, without embedding again. Click a point or a cell to see that
# sentence's attention; a lasso fills the table and `ex.projection_view.selected`.

# %%
ex = res.explore(projection={"method": "pca"})
ex
