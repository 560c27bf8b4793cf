"""``report()``: one self-contained, offline HTML file of a corpus, built in stages.

:func:`build_content` runs the stages of :mod:`smallbert_viz.reporting.stages` (each a call into
the views layer, so the report shows what the magic and the explorers show for the same
sentences) and :mod:`smallbert_viz.reporting.render` turns the result into HTML.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from smallbert_viz import _truncation
from smallbert_viz._validation import check_float, check_int
from smallbert_viz.progress import REPORT_PROGRESS_MIN_TEXTS, StageBar
from smallbert_viz.provenance import Provenance
from smallbert_viz.reporting import stages
from smallbert_viz.reporting.content import ReportContent
from smallbert_viz.views import policy
from smallbert_viz.views.policy import (
    DEFAULT_SEED,
    DUPLICATES_SHOWN,
    NEIGHBORS_SHOWN,
    UMAP_MIN_DIST,
    UMAP_N_NEIGHBORS,
    default_method,
    projection_sample_size,
)

OWNER = stages.OWNER
#: The stages timed in ``ReportContent.timings`` and counted by the progress bar. "layers" and
#: "contributions" run beside "similarity" to "trust, ..." (and the wordpiece counts beside the
#: neighbour search): their times are what is left to wait for when their turn comes.
STAGES = (
    "embed",
    "summary and neighbours",
    "similarity",
    "projection",
    "trust, keywords, near-duplicates",
    "layers",
    "contributions",
    "attention",
)


def _counted(job: Any, *args: Any) -> Any:
    """``job(*args)`` in the worker thread without truncation warnings (the summary counts)."""
    with _truncation.counted_by_caller():
        return job(*args)


def build_content(
    texts: Sequence[str],
    labels: Sequence[str] | None = None,
    *,
    model: Any = None,
    embeddings: np.ndarray | None = None,
    pooling: str | None = None,
    normalize: bool = False,
    seed: int = DEFAULT_SEED,
    attention_for: Sequence[int] | None = None,
    pair: tuple[int, int] | None = None,
    n_neighbors: int = UMAP_N_NEIGHBORS,
    min_dist: float = UMAP_MIN_DIST,
    max_length: int = 128,
    title: str | None = None,
    note: str | None = None,
    provenance: Provenance | str | None = None,
    progress: bool | None = None,
    coords: Any = None,
) -> ReportContent:
    """Compute the analyses and figures of a report (see :func:`report` for the parameters)."""
    from smallbert_viz.views.coords import resolve_coords
    from smallbert_viz.views.inputs import check_labels, check_texts, resolve_corpus, resolve_model

    given = None
    if coords is not None:  # texts (and labels) may come with the coordinates' DataFrame
        layout = resolve_coords(coords, texts, labels, owner=OWNER)
        texts, labels, given = layout.texts, layout.labels, layout.projection
        if embeddings is None and model is not None:  # e.g. spark.embed's 'embedding' column
            embeddings = layout.embeddings
    n = len(check_texts(texts, OWNER, min_texts=2))
    check_labels(labels, n, OWNER)  # input errors before any model is loaded
    seed = check_int("seed", seed, OWNER, low=0, high=2**32 - 1)
    n_neighbors = check_int("n_neighbors", n_neighbors, OWNER, low=2)
    min_dist = check_float("min_dist", min_dist, OWNER, low=0.0)
    if pair is not None:
        pair = stages.check_indices(pair, n, "pair")
        if len(pair) != 2:
            raise ValueError(
                f"The 'pair' parameter of {OWNER} must be two different sentence indices. Got "
                f"{pair!r} instead."
            )
    if attention_for is not None:
        attention_for = stages.check_indices(
            attention_for, n, "attention_for", stages.MAX_ATTENTION
        )
    if note is not None and not isinstance(note, str):
        raise TypeError(f"The 'note' parameter of {OWNER} must be a str. Got {type(note).__name__}.")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(
            f"The 'progress' parameter of {OWNER} must be a bool or None. Got {progress!r} instead."
        )
    # One bar over the stages, each with its time; by default only for large corpora.
    show = progress if progress is not None else n >= REPORT_PROGRESS_MIN_TEXTS
    bar = StageBar(len(STAGES), desc=f"report of {n:,} sentences", show=show)
    with bar, contextlib.ExitStack() as stack:
        # The summary counts cut sentences itself: no truncation warnings, in this thread or
        # the worker's (a thread-local switch: warnings.catch_warnings is process-wide).
        with bar.stage("embed"), _truncation.counted_by_caller():
            corpus = resolve_corpus(
                texts,
                labels,
                # Attention and token contributions need a model even when embeddings are given.
                model=resolve_model(model, OWNER),
                embeddings=embeddings,
                pooling=pooling,
                normalize=normalize,
                max_length=max_length,
                provenance=provenance,
                owner=OWNER,
                min_texts=2,
            )
        note = " ".join(x for x in (note, corpus.note) if x) or None
        umap = given is None and default_method(n) == "umap"
        # The model-driven sections (wordpiece counts, layers, contributions) run in a second
        # thread beside the neighbour search and the projection, which leave a core idle
        # (the seeded UMAP fit is single-threaded); TensorFlow releases the GIL while it works.
        # One worker: the model is used by one thread at a time. Their stages below time
        # only the wait for them.
        beside = ThreadPoolExecutor(max_workers=1, thread_name_prefix="report-model")
        stack.callback(beside.shutdown, wait=True, cancel_futures=True)
        summary_job = beside.submit(_counted, stages.summary, corpus)
        with bar.stage("summary and neighbours"):
            # One graph for all: UMAP's n_neighbors - 1 columns when it projects, else those
            # shown; the tables, trust and the pair read its first NEIGHBORS_SHOWN.
            graph = stages.neighbors(corpus, stages.graph_size(n, n_neighbors, umap))
            nb = stages.first_neighbors(graph, NEIGHBORS_SHOWN)
            summary = summary_job.result()
        layers_job = beside.submit(_counted, stages.layers, corpus, seed)
        pair_job = beside.submit(_counted, stages.pair, corpus, nb, pair)
        with bar.stage("similarity"):
            sim = stages.similarity(corpus, seed)
        what = "placing the given coordinates" if given is not None else (
            f"projecting {n:,} points with {default_method(n).upper()}"
        )
        sample = projection_sample_size(n) if given is None and umap else None
        if sample is not None:
            what += f" (fitted on a sample of {sample:,})"
        with bar.stage("projection", what):
            proj, fig_proj = stages.projection(
                corpus, seed, n_neighbors, min_dist, graph=graph, given=given
            )
        with bar.stage("trust, keywords, near-duplicates"):
            tv = stages.trust(corpus, proj, nb)
            kv = stages.keywords(corpus, proj, seed)
            fig_proj = stages.annotated_projection(fig_proj, tv, kv)
            dv = stages.duplicates(corpus, nb)
        with bar.stage("layers"):
            lv, layers_note = layers_job.result()
        with bar.stage("contributions"):
            pv, score = pair_job.result()
        with bar.stage("attention"), _truncation.counted_by_caller():
            if attention_for is None:
                attention_for = tuple(dict.fromkeys([pv.i, pv.j, 0]))[:3]
            figures = {
                "similarity": sim.figure,
                "projection": fig_proj,
                "contributions": pv.figure,
            }
            figures.update(stages.attention(corpus, attention_for))
    if lv.analysis is not None:
        figures.update({"layer-accuracy": lv.accuracy_figure, "layer-cka": lv.cka_figure})
    timings = bar.timings

    stored = policy.neighbors_stored(n)
    info = corpus.spec.model.info
    return ReportContent(
        title=title or f"smallbert-viz report: {n:,} sentences, {info.name}",
        texts=corpus.texts,
        labels=corpus.labels,
        provenance=stages.analyses_provenance(
            stages.report_provenance(corpus, nb, proj, seed, graph), tv, kv, dv, lv, layers_note
        ),
        provenance_line=corpus.provenance.describe(),
        note=note,
        summary=summary,
        figures=figures,
        heatmap_rows=sim.shown_rows.astype(np.int64),
        heatmap_matrix=sim.matrix,
        coords=np.asarray(proj.coords, dtype=np.float32),
        # Fewer per sentence in the page for very large corpora (views.policy.neighbors_stored).
        neighbor_indices=nb.indices[:, :stored],
        neighbor_scores=nb.scores[:, :stored],
        attention_for=tuple(attention_for),
        pair=(pv.i, pv.j, score),
        sections=stages.sections(corpus, sim, pv, score, pair is not None, seed)
        | stages.analyses_sections(tv, kv, dv, lv, layers_note),
        timings=timings,
        cpu_timings=dict(bar.cpu_timings),
        trust=tv.trust,
        keyword_source=kv.source,
        keywords=kv.table,
        duplicates=dv.result.rows[:DUPLICATES_SHOWN],
        duplicate_counts=dv.result.counts,
        layers_skipped=lv.skipped,
    )


def report(
    texts: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    *,
    model: Any = None,
    embeddings: np.ndarray | None = None,
    pooling: str | None = None,
    normalize: bool = False,
    seed: int = DEFAULT_SEED,
    path: str | os.PathLike = "report.html",
    attention_for: Sequence[int] | None = None,
    pair: tuple[int, int] | None = None,
    n_neighbors: int = UMAP_N_NEIGHBORS,
    min_dist: float = UMAP_MIN_DIST,
    max_length: int = 128,
    title: str | None = None,
    note: str | None = None,
    provenance: Provenance | str | None = None,
    progress: bool | None = None,
    coords: Any = None,
) -> Path:
    """Write one self-contained, offline HTML report of ``texts`` and return its path.

    The page shows the provenance, a corpus summary, the clustered similarity heatmap, the
    projection coloured by label or by layout trust with each group's keywords at its centre,
    the keyword list, near-duplicate pairs, which layer separates the labels (when labels are
    given), each sentence's nearest neighbours, per-head attention of a few sentences and one
    pair's token contributions: the same figures as the magic and the
    explorers show for the same sentences (see :mod:`smallbert_viz.views`). Clicking a point, a
    heatmap cell or a table row selects a sentence and shows its neighbours and (if
    precomputed) its attention.

    Parameters
    ----------
    texts : list of str, length N >= 2, or None
        None only with ``coords`` a DataFrame holding a ``text`` column.
    labels : list of str of length N, optional
        Colours the projection; counted in the summary. With ``coords`` a DataFrame, its
        ``label`` column when not given.
    model : BertModel, str, path or None
        A loaded model, a name/handle/path for :func:`smallbert_viz.load_model`, or None: the TF
        Hub small BERT when reachable, else the offline model (the report says which and why).
        The report always needs a model (attention, token contributions, wordpiece counts),
        also when ``embeddings`` are given.
    embeddings : ndarray of shape (N, H), optional
        Precomputed sentence embeddings, to skip embedding ``texts`` again: ``model.embed(texts,
        pooling=pooling, normalize=normalize, max_length=max_length)`` of this very model. Pass
        the ``pooling`` that made them; the first rows are checked against the model (a
        mismatch is an error giving the cosine and the fix) unless ``provenance`` names them.
        With ``coords`` a DataFrame with an ``embedding`` column and ``model`` given, that
        column is used.
    pooling : {"cls", "pooled", "mean"}, optional
        Default: the model's own.
    normalize : bool
        Unit-length embeddings (cosine similarity is unchanged; UMAP with cosine too).
    seed : int
        The views' seed: UMAP layout and the heatmap sample above 1,000 sentences.
    path : str or path
        Output file; parent folders are created.
    attention_for : list of int, optional
        Sentences whose attention is stored, at most 12. Default: the contribution pair and
        sentence 0.
    pair : (int, int), optional
        The pair whose token contributions are shown; default the most similar pair of
        different texts.
    n_neighbors, min_dist : UMAP parameters.
    max_length : int
        Wordpieces per sentence including [CLS]/[SEP] (embeddings and attention).
    title : str, optional
    note : str, optional
        A line shown at the top of the page (the offline fallback adds its own).
    provenance : Provenance or str, optional
        Names precomputed embeddings yourself instead of having them checked.
    progress : bool, optional
        Show a ``tqdm.auto`` bar over the stages (embed, neighbours, similarity, projection,
        contributions, attention) with each stage's time. None (default): only from
        ``smallbert_viz.progress.REPORT_PROGRESS_MIN_TEXTS`` sentences on.
    coords : Projection, ndarray of shape (N, 2) or (N, 3), or DataFrame, optional
        A layout computed elsewhere (e.g. :func:`smallbert_viz.spark.project`'s output read
        back with ``pd.read_parquet``: columns text, x, y[, z][, label]), read by
        :func:`smallbert_viz.views.coords.resolve_coords`. The report then projects nothing,
        shows these coordinates and its provenance says they were given; neighbours, trust
        and the rest still come from the embeddings.

    Large corpora: neighbours are approximate above ``nearest_neighbors``' cut-over (the
    provenance gives the measured recall), and one neighbour graph feeds the tables, UMAP,
    trust and the most similar pair. Above ``views.policy.PROJECTION_SAMPLE_ABOVE`` sentences
    UMAP is fitted on a seeded sample of ``PROJECTION_SAMPLE_SIZE`` and the others are placed
    by their nearest sample points (the provenance says so, with the measured 10-NN
    preservation). The page holds the texts once and every per-sentence
    array packed (int32 ids, float32 coordinates, neighbour cosines on a grid of
    ``views.policy.NEIGHBOR_SCORE_STEP``; compressed, unpacked by the browser), stores
    ``views.policy.neighbors_stored(N)`` neighbours per sentence (10 up to 500,000 sentences,
    5 at 10^6; page and provenance say how many), draws the scatter with WebGL, draws the
    figures below the projection when they are scrolled near or the browser is idle, and
    shows the sentence table a page at a time with a search over all texts.

    Returns
    -------
    pathlib.Path
        The absolute path of the written file.
    """
    from smallbert_viz.reporting.render import render_html

    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            f"The 'path' parameter of {OWNER} must be a str or path. Got {type(path).__name__}."
        )
    out = Path(path).expanduser()
    if out.is_dir():
        raise IsADirectoryError(
            f"The 'path' parameter of {OWNER} is a folder ({str(out)!r}). Pass a file name such "
            "as report.html."
        )
    content = build_content(
        texts,
        labels,
        model=model,
        embeddings=embeddings,
        pooling=pooling,
        normalize=normalize,
        seed=seed,
        attention_for=attention_for,
        pair=pair,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        max_length=max_length,
        title=title,
        note=note,
        provenance=provenance,
        progress=progress,
        coords=coords,
    )
    page = render_html(content)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    return out.resolve()
