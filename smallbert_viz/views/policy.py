"""The defaults every view shares: one place to change how a view looks or what it computes."""

from __future__ import annotations

from smallbert_viz.analysis.projection import DEFAULT_UMAP_MIN_ROWS, default_method
from smallbert_viz.embedding_spec import DEFAULT_MAX_LENGTH

#: The seed of every view's UMAP layout and heatmap sample (named in their provenance).
#: ``smallbert_viz.project`` itself defaults to ``seed=None`` (parallel, faster, not
#: bit-reproducible); the views fix it so that a view shows the same layout every time.
DEFAULT_SEED = 42
#: The heatmap shows every sentence up to this many, above it a seeded random sample.
HEATMAP_MAX_ROWS = 1000
#: A projection is shown from this many sentences on.
PROJECTION_MIN_TEXTS = 4
#: UMAP parameters of the views.
UMAP_N_NEIGHBORS = 15
UMAP_MIN_DIST = 0.1
#: Above this many sentences the views fit UMAP on a seeded random sample of
#: ``PROJECTION_SAMPLE_SIZE`` of them and place the others by their nearest sample points
#: (``project(..., sample_size=)``; the projection's provenance says so, with its measured
#: 10-NN preservation). Far below ``analysis.projection.SAMPLE_ABOVE``: a view wants a layout
#: in seconds, not the finest one (benchmarks/bench_report.py --scale measures it).
PROJECTION_SAMPLE_ABOVE = 20_000
PROJECTION_SAMPLE_SIZE = 10_000
#: Attention is computed on the text as it was embedded: the same wordpiece limit.
ATTENTION_MAX_LENGTH = DEFAULT_MAX_LENGTH
#: Up to this many layer x head panels the attention view is the full grid; above it
#: (e.g. 6 x 12 for all-MiniLM-L6-v2) the last layer averaged over heads.
ATTENTION_GRID_MAX_PANELS = 32
#: Neighbours listed per sentence.
NEIGHBORS_SHOWN = 10
#: A report stores at most this many neighbour entries (sentences x neighbours): up to
#: ``NEIGHBOR_ENTRIES_MAX / NEIGHBORS_SHOWN`` sentences each keeps ``NEIGHBORS_SHOWN``, above it
#: fewer (never below ``NEIGHBORS_STORED_MIN``), so that a report of 10^6 sentences stays within
#: 100 MB: a neighbour id of 10^6 rows takes about 3.3 bytes in the page (20 bits, base64).
NEIGHBOR_ENTRIES_MAX = 5_000_000
NEIGHBORS_STORED_MIN = 5
#: A report stores each neighbour's cosine on this grid (within half of it: the four decimals
#: the page shows), as differences along each sentence's sorted row: about a byte per score.
NEIGHBOR_SCORE_STEP = 1e-4
#: Neighbours compared per point by the layout-trust views (``projection_trust``'s k); at most
#: ``NEIGHBORS_SHOWN`` so a view's neighbour graph serves both.
TRUST_K = 10
#: Cosine similarity from which two sentences are listed as near-duplicates.
DUPLICATE_THRESHOLD = 0.9
#: Near-duplicate pairs listed in the report (all are counted).
DUPLICATES_SHOWN = 50
#: Keywords per group: computed (``cluster_keywords``' top) and written on a projection.
KEYWORDS_TOP = 5
KEYWORDS_ON_PLOT = 3
#: Without labels, keywords describe k-means clusters: one per this many sentences, 2 to
#: ``KEYWORD_MAX_CLUSTERS`` of them (``keyword_cluster_count``).
KEYWORD_SENTENCES_PER_CLUSTER = 25
KEYWORD_MAX_CLUSTERS = 8
#: Which layer knows what: k-NN vote size and stratified folds (every label needs at least
#: ``LAYER_FOLDS`` sentences, else the views skip the analysis and say why).
LAYER_K = 5
LAYER_FOLDS = 5

__all__ = [
    "ATTENTION_GRID_MAX_PANELS",
    "ATTENTION_MAX_LENGTH",
    "DEFAULT_SEED",
    "DEFAULT_UMAP_MIN_ROWS",
    "DUPLICATES_SHOWN",
    "DUPLICATE_THRESHOLD",
    "HEATMAP_MAX_ROWS",
    "KEYWORDS_ON_PLOT",
    "KEYWORDS_TOP",
    "KEYWORD_MAX_CLUSTERS",
    "KEYWORD_SENTENCES_PER_CLUSTER",
    "LAYER_FOLDS",
    "LAYER_K",
    "NEIGHBORS_SHOWN",
    "NEIGHBORS_STORED_MIN",
    "NEIGHBOR_ENTRIES_MAX",
    "NEIGHBOR_SCORE_STEP",
    "PROJECTION_MIN_TEXTS",
    "PROJECTION_SAMPLE_ABOVE",
    "PROJECTION_SAMPLE_SIZE",
    "UMAP_MIN_DIST",
    "TRUST_K",
    "UMAP_N_NEIGHBORS",
    "attention_uses_grid",
    "default_method",
    "keyword_cluster_count",
    "neighbors_stored",
    "projection_sample_size",
    "projection_title",
    "projection_sample_rule",
    "similarity_title",
]


def attention_uses_grid(num_layers: int, num_heads: int) -> bool:
    """Whether the attention view is the full layer x head grid (else one averaged map)."""
    return num_layers * num_heads <= ATTENTION_GRID_MAX_PANELS


def similarity_title(metric: str, n_shown: int, n_total: int, clustered: bool) -> str:
    """The one title of a similarity heatmap."""
    what = f"{metric.capitalize()} similarity of "
    what += (
        f"a random sample of {n_shown:,} of {n_total:,} sentences"
        if n_shown < n_total
        else f"{n_total:,} sentences"
    )
    return what + (", clustered order" if clustered else ", input order")


def projection_title(method: str, n_components: int = 2) -> str:
    """The one title of a projection scatter."""
    dims = "" if n_components == 2 else f" ({n_components}-D)"
    return f"Sentence embeddings, {method.upper()} projection{dims}"


def projection_sample_size(n: int) -> int | None:
    """Rows the views fit UMAP on for ``n`` sentences: None (all) up to
    ``PROJECTION_SAMPLE_ABOVE``, else ``PROJECTION_SAMPLE_SIZE``."""
    return PROJECTION_SAMPLE_SIZE if n > PROJECTION_SAMPLE_ABOVE else None


def projection_sample_rule() -> str:
    """The views' sampling rule in words, for provenance."""
    return (
        f"the views fit UMAP on a seeded random sample of {PROJECTION_SAMPLE_SIZE:,} "
        f"sentences above {PROJECTION_SAMPLE_ABOVE:,}"
    )


def keyword_cluster_count(n: int) -> int:
    """Clusters the keyword views describe when a corpus has no labels (at most ``n``)."""
    return min(n, KEYWORD_MAX_CLUSTERS, max(2, n // KEYWORD_SENTENCES_PER_CLUSTER))


def neighbors_stored(n: int) -> int:
    """Neighbours per sentence a report of ``n`` sentences stores in its page (see
    ``NEIGHBOR_ENTRIES_MAX``): ``NEIGHBORS_SHOWN`` up to 500,000 sentences, 5 at 10^6."""
    fit = NEIGHBOR_ENTRIES_MAX // max(n, 1)
    return max(NEIGHBORS_STORED_MIN, min(NEIGHBORS_SHOWN, fit))
