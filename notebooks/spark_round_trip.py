# %% [markdown]
# # Spark round trip: sentences → embeddings → a projected sample → widgets
#
# A Spark DataFrame of sentences (the bundled sample corpus) gets an `embedding` column from
# `smallbert_viz.spark.embed`, computed in Spark's Python workers (the model is shipped to them
# as one archive and loaded once per worker). `smallbert_viz.spark.project` then fits UMAP on a
# sample on the driver and places every row with the fitted model inside Spark. A sample comes
# back to the notebook for the usual figures and widgets.
#
# Runs on `local[2]` with the offline pretrained model `all-MiniLM-L6-v2` in about a minute; on a
# cluster, only the `session(...)` line changes (and `PYSPARK_PYTHON` for the executors).

# %%
import plotly.io as pio

pio.renderers.default = "plotly_mimetype+notebook"  # figures also survive nbconvert --to html

# %%
from smallbert_viz import load_model, sample_corpus
from smallbert_viz import spark as sbv_spark

spark = sbv_spark.session("local[2]", conf={"spark.ui.showConsoleProgress": "false"})
spark.sparkContext.setLogLevel("ERROR")
corpus = sample_corpus()
df = spark.createDataFrame(
    [(i, text, label) for i, (text, label) in enumerate(zip(corpus.texts, corpus.labels))],
    "id long, text string, label string",
).repartition(2)
df.printSchema()

# %% [markdown]
# ## Embed in the workers
#
# `embed_with_report` counts the rows and null texts on the input first (one cheap job); the
# embeddings themselves are lazy. `persist()` keeps them, since the projection reads them twice
# (once for the sample, once to place every row).

# %%
model = load_model("all-MiniLM-L6-v2")  # on the driver: provenance and the explorer's queries
embedded, report = sbv_spark.embed_with_report(df, "text", model=model)
embedded = embedded.persist()
print(report.describe())
embedded.select("text", "embedding").show(3, truncate=60)
print("model loads in workers:", report.model_loads)

# %% [markdown]
# ## Project: fit on a sample, place every row
#
# UMAP is fitted on 200 of the rows on the driver; every row (the other ones too) is placed with
# the fitted model's `transform` in Spark. Approximate by design: see the `project` docstring.

# %%
projected = sbv_spark.project(embedded, sample_size=200, n_neighbors=15, seed=42)
sample = projected.orderBy("id").toPandas()  # small here; on a big table, .sample() first
print(len(sample), "rows with x/y;", int(sample["x"].isna().sum()), "without")

# %%
import numpy as np

from smallbert_viz.figures import projection_scatter

provenance = model.provenance()
projection_scatter(
    sample[["x", "y"]].to_numpy(),
    sample["text"].tolist(),
    labels=sample["label"].tolist(),
    provenance=provenance,
    title="UMAP fitted on 200 sentences, every sentence placed in Spark",
)

# %% [markdown]
# ## Explore the sample with the widgets
#
# The vectors computed by Spark go straight into `ProjectionExplorer` (PCA layout here, instant;
# type a sentence to see its neighbours, which the driver's model embeds).

# %%
from smallbert_viz.widgets import ProjectionExplorer

vectors = np.stack(sample["embedding"].to_numpy()).astype(np.float32)
explorer = ProjectionExplorer(
    sample["text"].tolist(),
    sample["label"].tolist(),
    model=model,
    embeddings=vectors,
    pooling=model.default_pooling,  # how Spark embedded them
    method="pca",
    provenance=provenance,
)
explorer

# %%
# The same vectors as the single-process path, within float32 rounding:
print(float(np.abs(vectors[:20] - model.embed(sample["text"].tolist()[:20])).max()))
spark.stop()
