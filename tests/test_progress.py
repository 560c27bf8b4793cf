"""Stage lines and the report's stage bar: shown when asked (or when long), quiet otherwise."""

from __future__ import annotations

import pytest

from smallbert_viz import progress
from smallbert_viz.progress import StageBar, stage_line

pytestmark = pytest.mark.filterwarnings("ignore:.*longer than max_length:UserWarning")


def test_stage_line_before_and_after(capsys):
    with stage_line("sampling 10 rows (Spark job)"):
        pass
    out, err = capsys.readouterr()
    assert out == ""  # outside a Jupyter kernel the lines go to stderr
    lines = err.splitlines()
    assert lines[0] == "smallbert-viz: sampling 10 rows (Spark job) ..."
    assert lines[1].startswith("smallbert-viz: sampling 10 rows (Spark job): done in ")
    assert lines[1].endswith(" s") and len(lines) == 2


def test_stage_line_quiet_and_on_error(capsys):
    with stage_line("hidden", show=False):
        pass
    assert capsys.readouterr().err == ""
    with pytest.raises(RuntimeError), stage_line("failing step"):
        raise RuntimeError("boom")
    err = capsys.readouterr().err
    assert "failing step ..." in err and "done" not in err  # no "done" for a failed step


def test_stage_bar_times_every_stage(capsys):
    with StageBar(2, desc="job", show=False) as bar:
        with bar.stage("first"):
            pass
        with bar.stage("second", "second, with detail"):
            pass
    assert list(bar.timings) == ["first", "second"]
    assert all(t >= 0 for t in bar.timings.values())
    assert capsys.readouterr().err == ""

    with StageBar(2, desc="job", show=True) as bar:
        with bar.stage("first"):
            pass
        with bar.stage("second", "second, with detail"):
            pass
    err = capsys.readouterr().err
    assert "job: second, with detail" in err and "2/2" in err and "job: done in" in err


def test_report_stages_shown_when_asked(standin_model, capsys):
    from smallbert_viz.corpus import sample_corpus
    from smallbert_viz.reporting.build import STAGES, build_content

    texts = sample_corpus().texts[:12]
    content = build_content(texts, model=standin_model, attention_for=[0], progress=True)
    err = capsys.readouterr().err
    assert list(content.timings) == list(STAGES)
    assert "report of 12 sentences" in err
    assert "projecting 12 points with UMAP" in err  # the stage line the UMAP fit shows
    assert f"{len(STAGES)}/{len(STAGES)}" in err

    quiet = build_content(texts, model=standin_model, attention_for=[0])  # None: small N
    assert "report of" not in capsys.readouterr().err
    assert list(quiet.timings) == list(STAGES)


def test_report_progress_default_turns_on_at_the_threshold(standin_model, capsys, monkeypatch):
    from smallbert_viz.corpus import sample_corpus
    from smallbert_viz.reporting.build import build_content

    monkeypatch.setattr("smallbert_viz.reporting.build.REPORT_PROGRESS_MIN_TEXTS", 6)
    build_content(sample_corpus().texts[:6], model=standin_model, attention_for=[0])
    err = capsys.readouterr().err
    assert "report of 6 sentences" in err and "projecting 6 points with PCA" in err
    with pytest.raises(TypeError, match="'progress' parameter of report must be a bool or None"):
        build_content(["a", "b"], model=standin_model, progress="yes")
    assert progress.REPORT_PROGRESS_MIN_TEXTS == 2_000
