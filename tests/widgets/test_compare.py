"""CompareExplorer: a selection in one panel highlights the same sentences in both.

Events are sent on the EventFigureWidget's own traits as the front end sends them; the
expected highlight is computed independently from each trace's customdata (its row ids).
"""

from __future__ import annotations

import numpy as np
import pytest

from smallbert_viz.widgets.compare import CompareExplorer

from .events import EVIL, click, deselect, error_text, select

TEXTS = [
    "Preheat the oven to 200 degrees before you put the bread in.",
    "The striker scored twice in the second half to win the match.",
    "The rocket lifted off from the launch pad just after dawn.",
    "The central bank raised interest rates by a quarter point.",
    "Stir the sauce slowly so that it does not burn.",
    "The goalkeeper saved a penalty in the last minute.",
    "Astronauts repaired the solar panel during a spacewalk.",
    "Markets fell after the inflation report came out.",
    "Knead the dough for ten minutes until it is smooth.",
    EVIL + " the referee showed a red card.",
    "The telescope photographed a distant galaxy.",
    "Bond yields rose for the third week in a row.",
]
LABELS = ["food", "sport", "space", "money"] * 3


@pytest.fixture(scope="module")
def comparison(standin_factory):
    from smallbert_viz import load_model
    from smallbert_viz.explain import compare

    enc_a, pre_a = standin_factory(2, 128, 2)
    enc_b, pre_b = standin_factory(4, 256, 4)
    a, b = load_model(enc_a, preprocessor=pre_a), load_model(enc_b, preprocessor=pre_b)
    return compare(TEXTS, models=[a, b], k=3, labels=LABELS)


def panel_rows(fw, panel):
    """Per trace of one panel ("x" for A, "x2" for B): (trace index, its row ids)."""
    return [
        (i, np.asarray(t.customdata).reshape(-1))
        for i, t in enumerate(fw.data)
        if (t.xaxis or "x") == panel
    ]


def highlighted(fw, panel):
    """Rows whose points are in selectedpoints, over every trace of the panel."""
    out = set()
    for i, rows in panel_rows(fw, panel):
        sel = fw.data[i].selectedpoints
        if sel is not None:
            out.update(rows[np.asarray(sel, np.int64)].tolist())
    return out


def test_lasso_in_one_panel_highlights_the_same_sentences_in_both(comparison):
    ex = CompareExplorer(TEXTS, comparison=comparison)  # labels come from the comparison
    fw = ex.figure_widget
    assert ex.labels == LABELS and len(fw.data) == 8  # 4 labels x 2 panels
    # A lasso in panel B over two of its traces: the first point of one, both of another's.
    (t1, rows1), (t2, rows2) = panel_rows(fw, "x2")[:2]
    select(fw, [(t1, 0), (t2, 0), (t2, 2)])
    expected = {int(rows1[0]), int(rows2[0]), int(rows2[2])}
    assert ex.selected == sorted(expected)
    assert highlighted(fw, "x") == expected and highlighted(fw, "x2") == expected
    # Every trace has a selectedpoints list, so points outside the selection are dimmed.
    assert all(t.selectedpoints is not None for t in fw.data)
    # The table lists exactly them, with their own neighbour overlap.
    df = ex.to_pandas(selected_only=True)
    assert df["row"].tolist() == sorted(expected)
    np.testing.assert_array_equal(
        df["neighbor_overlap"], comparison.neighbor_overlap[sorted(expected)]
    )
    assert f"selected: {len(expected)}" in ex.selection_count.value
    assert "<img" not in ex.selection_table.value and "&lt;img" in ex.selection_table.value
    # The static copy (export, notebook HTML) keeps the linked highlight.
    static = ex.figure
    assert [t.selectedpoints for t in static.data] == [t.selectedpoints for t in fw.data]

    # A new lasso in panel A replaces it; a double-click clears both panels.
    (t3, rows3) = panel_rows(fw, "x")[3]
    select(fw, [(t3, 1)])
    assert ex.selected == [int(rows3[1])]
    assert highlighted(fw, "x2") == {int(rows3[1])}
    deselect(fw)
    assert ex.selected == [] and all(t.selectedpoints is None for t in fw.data)
    assert ex.selection_table.value == ""
    assert error_text(ex) == ""


def test_click_selects_one_sentence_in_both_panels_without_labels(comparison):
    ex = CompareExplorer(TEXTS, comparison=comparison, labels=None)
    ex2 = CompareExplorer(TEXTS, [str(i) for i in range(len(TEXTS))], comparison=comparison)
    assert len(ex2.figure_widget.data) == 2 * len(TEXTS)
    # Labels given by the comparison are used unless others are passed.
    assert ex.labels == LABELS
    fw = ex.figure_widget
    _, rows_b = panel_rows(fw, "x2")[0]
    click(fw, 1, 0)
    row = int(np.asarray(fw.data[1].customdata).reshape(-1)[0])
    assert ex.selected == [row]
    assert highlighted(fw, "x") == {row} == highlighted(fw, "x2")
    assert error_text(ex) == ""


def test_overlap_colours_without_labels_and_the_selection_api(standin_factory):
    from smallbert_viz import load_model

    enc, pre = standin_factory(2, 128, 2)
    model = load_model(enc, preprocessor=pre)
    texts = TEXTS[:6]
    # The same model twice, mean vs cls pooling: computed here from models=.
    ex = CompareExplorer(texts, models=[model, model], pooling=["mean", "cls"], k=2)
    fw = ex.figure_widget
    assert len(fw.data) == 2 and fw.data[0].marker.coloraxis == "coloraxis"
    ex.select([4, 1])
    assert ex.selected == [1, 4]
    assert list(fw.data[0].selectedpoints) == [1, 4] == list(fw.data[1].selectedpoints)
    assert "mean neighbour overlap" in ex.selection_count.value
    ex.clear_selection()
    assert fw.data[0].selectedpoints is None
    with pytest.raises(ValueError, match=r"'rows' parameter of CompareExplorer.select .* Got 6"):
        ex.select([6])
    text = ex.provenance_text
    assert text.startswith("A: ") and "Procrustes" in text


def test_bad_input_is_rejected_in_the_house_form(comparison):
    with pytest.raises(TypeError, match="exactly one of 'models'.*Got neither"):
        CompareExplorer(TEXTS)
    with pytest.raises(ValueError, match=r"'texts' parameter of CompareExplorer must have one"):
        CompareExplorer(TEXTS[:5], comparison=comparison)
    with pytest.raises(TypeError, match="'comparison' parameter of CompareExplorer must be a"):
        CompareExplorer(TEXTS, comparison={"coords_a": []})
