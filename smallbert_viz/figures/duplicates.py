"""A table of near-duplicate pairs, as ``near_duplicates(...).rows`` lists them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from smallbert_viz._validation import check_int
from smallbert_viz.figures._common import apply_layout, escape_text, safe_wrapped

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from smallbert_viz.provenance import Provenance

KINDS = ("lexical", "semantic")
#: Sentences in the table are cut to this many characters.
TEXT_MAX_CHARS = 300


def duplicates_table(
    rows: Sequence[tuple[int, int, float, str]],
    texts: Sequence[str],
    *,
    max_rows: int = 500,
    provenance: Provenance | str | None = None,
    title: str | None = None,
    method_description: str | None = None,
) -> go.Figure:
    """Table of near-duplicate pairs: both sentences, their similarity and the pair's kind.

    Parameters
    ----------
    rows : sequence of (i, j, score, kind)
        As ``NearDuplicates.rows`` gives them (most similar first); ``kind`` is
        ``"lexical"`` or ``"semantic"``.
    texts : list of str
        The corpus the row numbers refer to; sentences are shown escaped, cut to 300
        characters.
    max_rows : int
        Pairs shown, the first ones of ``rows``; the subtitle says how many there are.
    provenance : Provenance or str, optional
        One line (``Provenance.describe()``) shown as the subtitle.
    title : str, optional
        Default ``"Near-duplicate sentences"``.
    method_description : str, optional
        How the pairs were found (e.g. ``"cosine >= 0.9, exact neighbours"``).

    Returns
    -------
    plotly.graph_objects.Figure
        One ``go.Table`` with columns ``#i``, ``sentence i``, ``#j``, ``sentence j``,
        ``similarity``, ``kind``.
    """
    import plotly.graph_objects as go

    owner = "duplicates_table"
    max_rows = check_int("max_rows", max_rows, owner, low=1)
    if isinstance(texts, str):
        raise TypeError(
            f"The 'texts' parameter of {owner} must be a list of str, one per sentence of the "
            "corpus. Got a single str instead; wrap it in a list."
        )
    texts = [str(t) for t in texts]
    shown = []
    for r, row in enumerate(rows):
        if r == max_rows:
            break
        try:
            i, j, score, kind = row
            i, j, score = int(i), int(j), float(score)
        except (TypeError, ValueError):
            raise ValueError(
                f"The 'rows' parameter of {owner} must hold (i, j, score, kind) tuples, as "
                f"NearDuplicates.rows gives them. Row {r} is {row!r} instead."
            ) from None
        if not (0 <= i < len(texts) and 0 <= j < len(texts)) or kind not in KINDS:
            raise ValueError(
                f"The 'rows' parameter of {owner} must hold row numbers in [0, {len(texts) - 1}] "
                f"and a kind in {KINDS}. Row {r} is {row!r} instead; pass the texts the pairs "
                "were found in."
            )
        shown.append((i, j, score, kind))
    total = len(rows)
    n_lexical = sum(1 for row in rows if row[3] == "lexical")

    def wrap(i: int) -> str:
        return safe_wrapped(texts[i], width=60, max_chars=TEXT_MAX_CHARS)

    columns = [
        [i for i, _, _, _ in shown],
        [wrap(i) for i, _, _, _ in shown],
        [j for _, j, _, _ in shown],
        [wrap(j) for _, j, _, _ in shown],
        [score for _, _, score, _ in shown],
        [kind for _, _, _, kind in shown],
    ]
    fig = go.Figure(
        go.Table(
            columnwidth=[40, 300, 40, 300, 70, 70],
            header={
                "values": ["#i", "sentence i", "#j", "sentence j", "similarity", "kind"],
                "align": "left",
                "font": {"size": 12},
                "fill": {"color": "#eef1f5"},
            },
            cells={
                "values": columns,
                "align": "left",
                "format": [None, None, None, None, ".3f", None],
                "font": {"size": 11},
            },
        )
    )
    note = (
        f"{total:,} pairs ({n_lexical:,} lexical, {total - n_lexical:,} semantic)"
        + (f"; the first {len(shown):,} shown" if len(shown) < total else "")
        + (f"; {method_description}" if method_description else "")
    )
    fig.update_layout(width=1100, height=700)
    return apply_layout(
        fig,
        title=title or "Near-duplicate sentences",
        provenance=provenance,
        extra_subtitle=escape_text(note),
    )
