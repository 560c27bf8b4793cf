"""``Attention``: per-head attention probabilities of one text (or text pair), with helpers.

Plain numpy: no TensorFlow here. Every helper returns a numpy array or a new ``Attention``; the
object itself is immutable (its arrays are read-only).

Conventions: ``probs[layer, head, i, j]`` is how much token ``i`` (the query, "from", a row)
attends to token ``j`` (the key, "to", a column); every row sums to 1. Layers and heads count
from 0, and negative indices count from the end as in Python.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .._validation import check_int
from ..provenance import Provenance

#: Tokens that ``mask_special`` removes and ``merge_wordpieces`` never merges into.
SPECIAL_TOKENS = frozenset({"[CLS]", "[SEP]"})
#: Prefix of a wordpiece that continues the previous one.
CONTINUATION = "##"


def _readonly(array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Attention:
    """Attention probabilities of every layer and head for one input.

    Attributes
    ----------
    tokens : tuple of str, length T
        The wordpieces, including ``[CLS]`` and ``[SEP]``, without padding (or words after
        :meth:`merge_wordpieces`).
    segment_ids : ndarray of shape (T,), int32
        0 for the first text and its ``[CLS]``/``[SEP]``, 1 for the second text of a pair.
    probs : ndarray of shape (num_layers, num_heads, T, T), float32
        Softmax attention probabilities; row ``i`` = the attending token, column ``j`` = the
        attended one; rows sum to 1.
    model_name : str
        The model's short name (``model.info.name``).
    provenance : Provenance
        The model, that these are attention probabilities, and every step applied since
        (``str(provenance)`` is the figure subtitle).
    text, text_pair : str, str or None
        The input text(s).
    """

    tokens: tuple[str, ...]
    segment_ids: np.ndarray
    probs: np.ndarray
    model_name: str
    provenance: Provenance
    text: str
    text_pair: str | None = None

    def __post_init__(self) -> None:
        tokens = tuple(str(t) for t in self.tokens)
        probs = np.asarray(self.probs, np.float32)
        segments = np.asarray(self.segment_ids, np.int32)
        n = len(tokens)
        if probs.ndim != 4 or probs.shape[2:] != (n, n):
            raise ValueError(
                f"probs must have shape (num_layers, num_heads, {n}, {n}) for {n} tokens. "
                f"Got shape {probs.shape} instead."
            )
        if segments.shape != (n,):
            raise ValueError(
                f"segment_ids must have shape ({n},) for {n} tokens. Got {segments.shape} instead."
            )
        # One provenance type: a description given as a str becomes a Provenance.
        object.__setattr__(self, "provenance", Provenance.coerce(self.provenance, "Attention"))
        object.__setattr__(self, "tokens", tokens)
        object.__setattr__(self, "probs", _readonly(probs))
        object.__setattr__(self, "segment_ids", _readonly(segments))

    # -- sizes and indexing ------------------------------------------------------------------

    @property
    def num_layers(self) -> int:
        return int(self.probs.shape[0])

    @property
    def num_heads(self) -> int:
        return int(self.probs.shape[1])

    @property
    def num_tokens(self) -> int:
        return len(self.tokens)

    def __repr__(self) -> str:
        pair = f", text_pair={self.text_pair!r}" if self.text_pair is not None else ""
        return (
            f"Attention({self.model_name!r}, layers={self.num_layers}, heads={self.num_heads}, "
            f"tokens={self.num_tokens}, text={self.text!r}{pair})"
        )

    def _layer_index(self, layer: int, owner: str) -> int:
        n = self.num_layers
        return check_int("layer", layer, owner, low=-n, high=n - 1) % n

    def _head_index(self, head: int, owner: str) -> int:
        n = self.num_heads
        return check_int("head", head, owner, low=-n, high=n - 1) % n

    def head(self, layer: int, head: int) -> np.ndarray:
        """One head's map: ndarray of shape (T, T)."""
        li = self._layer_index(layer, "Attention.head")
        hi = self._head_index(head, "Attention.head")
        return self.probs[li, hi]

    def layer(self, layer: int) -> np.ndarray:
        """Every head of one layer: ndarray of shape (num_heads, T, T)."""
        return self.probs[self._layer_index(layer, "Attention.layer")]

    def mean_over_heads(self, layer: int | None = None) -> np.ndarray:
        """Head-averaged maps: shape (num_layers, T, T), or (T, T) for one ``layer``."""
        if layer is None:
            return self.probs.mean(axis=1, dtype=np.float64).astype(np.float32)
        li = self._layer_index(layer, "Attention.mean_over_heads")
        return self.probs[li].mean(axis=0, dtype=np.float64).astype(np.float32)

    def mean_over_layers(self) -> np.ndarray:
        """Each head averaged over layers: ndarray of shape (num_heads, T, T)."""
        return self.probs.mean(axis=0, dtype=np.float64).astype(np.float32)

    def rollout(self) -> np.ndarray:
        """Attention rollout (Abnar & Zuidema, 2020): ndarray of shape (T, T).

        Per layer, average the heads, add the identity (the residual connection) and
        renormalise the rows; then multiply the layers, last on the left:
        ``R = A_L' @ ... @ A_1'``. Row ``i`` says how much of the top-layer token ``i`` flows
        from each input token; rows sum to 1.
        """
        n = self.num_tokens
        result = np.eye(n)
        for layer_map in self.probs.astype(np.float64).mean(axis=1):
            mixed = layer_map + np.eye(n)
            mixed /= mixed.sum(axis=1, keepdims=True)
            result = mixed @ result
        return result.astype(np.float32)

    # -- new Attention objects ---------------------------------------------------------------

    def _replace(self, note: str, **changes) -> Attention:
        return dataclasses.replace(self, provenance=self.provenance.then(note), **changes)

    def word_groups(self) -> list[list[int]]:
        """Token indices of each word: a ``##`` piece joins the token before it.

        Pieces never join a special token or cross from one segment to the other.
        """
        groups: list[list[int]] = []
        for i, token in enumerate(self.tokens):
            joins = (
                groups
                and token.startswith(CONTINUATION)
                and self.tokens[i - 1] not in SPECIAL_TOKENS
                and self.segment_ids[i] == self.segment_ids[i - 1]
            )
            if joins:
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups

    def merge_wordpieces(self) -> Attention:
        """A new Attention over words: ``##`` pieces merged into the token before them.

        For words ``g`` (rows) and ``h`` (columns): ``merged[g, h]`` = mean over the pieces
        ``i`` of ``g`` of the sum over the pieces ``j`` of ``h`` of ``probs[i, j]``: attention
        *to* a word is the total attention to its pieces, attention *from* a word the average of
        its pieces' rows, so rows still sum to 1. Tokens are joined without ``##``
        (``pain ##kill ##er`` -> ``painkiller``); a word keeps its first piece's segment id.
        """
        groups = self.word_groups()
        n = self.num_tokens
        # assign[i, g] = 1 if token i is in word g; rows: average = counts^-1 * assign^T.
        assign = np.zeros((n, len(groups)), np.float64)
        for g, members in enumerate(groups):
            assign[members, g] = 1.0
        average = assign.T / assign.sum(axis=0)[:, None]  # [G, T]
        merged = np.einsum("gi,lhij,jk->lhgk", average, self.probs.astype(np.float64), assign)
        tokens = tuple(
            self.tokens[m[0]] + "".join(self.tokens[i].removeprefix(CONTINUATION) for i in m[1:])
            for m in groups
        )
        segments = self.segment_ids[[m[0] for m in groups]]
        return self._replace(
            "wordpieces merged into words (rows averaged, columns summed)",
            tokens=tokens,
            segment_ids=segments,
            probs=merged.astype(np.float32),
        )

    def mask_special(self, renormalize: bool = True) -> Attention:
        """A new Attention without the ``[CLS]`` and ``[SEP]`` rows and columns.

        With ``renormalize`` (default) each remaining row is divided by its sum so that it sums
        to 1 again: the share of attention among the text's own tokens. Without it the rows keep
        their raw values and sum to less than 1.
        """
        if not isinstance(renormalize, bool | np.bool_):
            raise TypeError(
                "The 'renormalize' parameter of Attention.mask_special must be a bool. "
                f"Got {renormalize!r} ({type(renormalize).__name__}) instead."
            )
        keep = np.array([t not in SPECIAL_TOKENS for t in self.tokens], bool)
        probs = self.probs[:, :, keep][:, :, :, keep].astype(np.float64)
        note = "[CLS]/[SEP] removed"
        if renormalize:
            sums = probs.sum(axis=-1, keepdims=True)
            probs = np.divide(probs, sums, out=np.zeros_like(probs), where=sums > 0)
            note += ", rows renormalised to sum 1"
        return self._replace(
            note,
            tokens=tuple(t for t, k in zip(self.tokens, keep, strict=True) if k),
            segment_ids=self.segment_ids[keep],
            probs=probs.astype(np.float32),
        )
