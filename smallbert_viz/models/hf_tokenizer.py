"""The Hugging Face BERT tokenizer as TensorFlow ops, for converted models (same ids, exactly).

A model converted from Hugging Face was trained with the ``tokenizers`` library's BERT pipeline
(``tokenizer.json``): ``BertNormalizer`` (drop control/format/private-use characters, whitespace
to a space, spaces around CJK ideographs, NFD + drop nonspacing marks, lower-case; no NFKC) ->
``BertPreTokenizer`` (split on whitespace, punctuation isolated) -> ``WordPiece`` (greedy
longest match, a word over 100 characters is ``[UNK]``), with the special tokens (``[CLS]``,
``[MASK]``...) matched literally in the raw text first. TF Text's ``BertTokenizer`` differs
(NFKC case folding: "Ａｂｃ" -> "abc", "ﬁ" -> "fi", "Straße" -> "strasse"; control characters
split on instead of dropped), so the converted preprocessor does not use it.

Every step before WordPiece acts on one character at a time, so it is a table: for each code
point, the text it becomes, with a space where the pre-tokenizer splits. The table is made by
running the ``tokenizers`` library itself on every code point (``python -m
smallbert_viz.models.hf_tokenizer``) and ships as ``smallbert_viz/data/bert_uncased_chars.json.gz``
(no ``tokenizers`` needed at run time; a test regenerates it and compares). In the graph:
special tokens -> private sentinels, ``unicode_decode``, interval search + hash table per code
point, ``reduce_join``, whitespace split, long words -> ``[UNK]``, TF Text ``WordpieceTokenizer``.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

TABLE_NAME = "bert_uncased_chars.json.gz"
# The tokenizer.json settings the table reproduces.
NORMALIZER = {
    "type": "BertNormalizer",
    "clean_text": True,
    "handle_chinese_chars": True,
    "strip_accents": None,
    "lowercase": True,
}
IDENTITY, DROP, SPACE, ISOLATE, MAP = range(5)
# Private-use code points (dropped by the normalizer) stand for literal special tokens.
SENTINEL_BASE = 0x10FFF0
MAX_WORD_CHARS = 100


def table_path() -> Path:
    return Path(str(files("smallbert_viz") / "data" / TABLE_NAME))


def make_table(tokenizer_json: str | os.PathLike) -> dict[str, Any]:
    """Run ``tokenizers`` on every code point: the per-character table (needs ``tokenizers``)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer_json))
    spec = json.loads(Path(tokenizer_json).read_text(encoding="utf8"))
    check_tokenizer_json(spec)
    norm, pre = tok.normalizer, tok.pre_tokenizer
    kinds: list[int] = []
    mapped: list[tuple[int, str]] = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:  # surrogates never reach the tokenizer
            kinds.append(DROP)
            continue
        ch = chr(cp)
        out = norm.normalize_str(ch)
        # "a" on both sides shows whether the pre-tokenizer splits before/after the character.
        pieces = [p for p, _ in pre.pre_tokenize_str("a" + out + "a")]
        result = " ".join(pieces)[1:-1]
        if result == ch:
            kinds.append(IDENTITY)
        elif result == "":
            kinds.append(DROP)
        elif result == " ":
            kinds.append(SPACE)
        elif result == f" {ch} ":
            kinds.append(ISOLATE)
        else:
            kinds.append(MAP)
            mapped.append((cp, result))
    intervals = [[0, kinds[0]]]
    for cp in range(1, len(kinds)):
        if kinds[cp] != kinds[cp - 1]:
            intervals.append([cp, kinds[cp]])
    import tokenizers

    return {
        "made_with": f"tokenizers {tokenizers.__version__}",
        "normalizer": NORMALIZER,
        "intervals": intervals,
        "map": mapped,
    }


@cache
def load_table() -> dict[str, Any]:
    with gzip.open(table_path(), "rt", encoding="utf8") as fh:
        return json.load(fh)


def check_tokenizer_json(spec: dict[str, Any]) -> None:
    """Raise ValueError unless ``tokenizer.json`` is the BERT pipeline the table reproduces."""
    model = spec.get("model") or {}
    problems = []
    if spec.get("normalizer") != NORMALIZER:
        problems.append(f"normalizer {spec.get('normalizer')!r} (expected {NORMALIZER!r})")
    if (spec.get("pre_tokenizer") or {}).get("type") != "BertPreTokenizer":
        problems.append(f"pre_tokenizer {spec.get('pre_tokenizer')!r}")
    if (model.get("type"), model.get("continuing_subword_prefix"), model.get("unk_token")) != (
        "WordPiece",
        "##",
        "[UNK]",
    ) or model.get("max_input_chars_per_word", MAX_WORD_CHARS) != MAX_WORD_CHARS:
        problems.append("a model other than WordPiece('##', '[UNK]', 100 characters)")
    if problems:
        raise ValueError(
            "This tokenizer.json is not the uncased BERT tokenizer the converter reproduces: "
            + "; ".join(problems)
        )


def special_tokens(spec: dict[str, Any]) -> list[str]:
    """The added special tokens matched literally in raw text, longest first."""
    tokens = [t["content"] for t in spec.get("added_tokens", []) if t.get("special")]
    if len(tokens) > 15:
        raise ValueError(f"too many special tokens ({len(tokens)}) for the sentinel range")
    return sorted(tokens, key=len, reverse=True)


class HFBertTokenizeOps:
    """Builds the graph: strings [N] -> int64 wordpiece ids, RaggedTensor [N, words, pieces]."""

    def __init__(self, vocab_table: Any, specials: list[str]) -> None:
        import tensorflow as tf
        import tensorflow_text as text

        table = load_table()
        self.starts = tf.constant([s for s, _ in table["intervals"]], tf.int32)
        self.kinds = tf.constant([k for _, k in table["intervals"]], tf.int32)
        keys = [cp for cp, _ in table["map"]]
        values = [out for _, out in table["map"]]
        for i, token in enumerate(specials):
            keys.append(SENTINEL_BASE + i)
            values.append(f" {token} ")
        self.specials = list(specials)
        self.map_table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys, tf.int32), tf.constant(values, tf.string)
            ),
            default_value="",
        )
        self.sentinel_base = SENTINEL_BASE
        self.wordpiece = text.WordpieceTokenizer(
            vocab_table,
            suffix_indicator="##",
            max_bytes_per_word=4 * MAX_WORD_CHARS,
            token_out_type=tf.int64,
            unknown_token="[UNK]",
            split_unknown_characters=False,
        )

    def __call__(self, strings: Any) -> Any:
        import tensorflow as tf

        # Literal special tokens first, as tokenizers does; sentinels already in the text go.
        strings = tf.strings.regex_replace(strings, "[\\x{10FFF0}-\\x{10FFFF}]", "")
        for i, token in enumerate(self.specials):
            sentinel = chr(self.sentinel_base + i)
            strings = tf.strings.regex_replace(strings, _re2_literal(token), sentinel)
        cps = tf.strings.unicode_decode(
            strings, "UTF-8", errors="replace", replacement_char=0xFFFD
        )
        flat = cps.flat_values
        kind = tf.gather(self.kinds, tf.searchsorted(self.starts, flat, side="right") - 1)
        sentinel = flat >= self.sentinel_base
        kind = tf.where(sentinel, MAP, kind)
        own = tf.strings.unicode_encode(flat[:, None], "UTF-8")
        pieces = tf.where(
            kind == IDENTITY,
            own,
            tf.where(
                kind == ISOLATE,
                " " + own + " ",
                tf.where(
                    kind == SPACE,
                    " ",
                    tf.where(kind == MAP, self.map_table.lookup(flat), ""),
                ),
            ),
        )
        joined = tf.strings.reduce_join(cps.with_flat_values(pieces), axis=1)
        words = tf.strings.split(joined, sep=" ")
        words = tf.ragged.boolean_mask(words, tf.strings.length(words) > 0)
        long = tf.strings.length(words.flat_values, unit="UTF8_CHAR") > MAX_WORD_CHARS
        words = words.with_flat_values(tf.where(long, "[UNK]", words.flat_values))
        return self.wordpiece.tokenize(words)


def _re2_literal(token: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in token)


def main(argv: list[str] | None = None) -> int:
    """Regenerate the shipped table from the offline model's tokenizer.json (needs tokenizers)."""
    from .offline import package_model_dir

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else package_model_dir() / "tokenizer.json"
    target = Path(args[1]) if len(args) > 1 else table_path()
    table = make_table(source)
    with gzip.open(target, "wt", encoding="utf8", compresslevel=9) as fh:
        json.dump(table, fh, ensure_ascii=False, separators=(",", ":"))
    print(f"{len(table['intervals'])} intervals, {len(table['map'])} mapped -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
