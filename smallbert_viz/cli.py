"""The ``smallbert-viz`` command line: a thin shell over the Python API.

smallbert-viz embed FILE -o OUT.npy [--model NAME] [--pooling cls|pooled|mean] [--column C]
smallbert-viz demo [-o DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .embedding import POOLINGS


def _model_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=None,
        help="small BERT short name (L-8_H-128_A-2, default), 'all-MiniLM-L6-v2', a TF Hub/"
        "Kaggle handle, or a local SavedModel directory",
    )
    parser.add_argument("--preprocessor", default=None, help="preprocessor handle or directory")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smallbert-viz",
        description="Sentence embeddings, similarity, projections and attention of TF Hub BERTs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    emb = sub.add_parser("embed", help="embed a text/CSV/TSV file into a .npy array")
    emb.add_argument("file", help=".txt (one text per line) or .csv/.tsv with a text column")
    emb.add_argument("-o", "--output", required=True, help="output .npy file")
    _model_arg(emb)
    emb.add_argument("--pooling", choices=POOLINGS, default=None, help="default: the model's own")
    emb.add_argument("--column", default=None, help="text column of a CSV/TSV (default 'text')")
    emb.add_argument("--normalize", action="store_true", help="unit-length vectors")
    emb.add_argument("--max-length", type=int, default=128)
    emb.add_argument("--batch-size", type=int, default=None)

    demo = sub.add_parser("demo", help="embed the bundled sample corpus (the README's main job)")
    demo.add_argument("-o", "--output-dir", default="out", help="folder for the results")
    return parser


def _embed(args: argparse.Namespace) -> int:
    from .corpus import read_corpus
    from .models.loader import load_model

    corpus = read_corpus(args.file, column=args.column)
    model = load_model(args.model, preprocessor=args.preprocessor)
    vectors = model.embed(
        corpus.texts,
        pooling=args.pooling,
        normalize=args.normalize,
        batch_size=args.batch_size,
        max_length=args.max_length,
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    import numpy as np

    np.save(out, vectors)
    prov = model.provenance(args.pooling, normalize=args.normalize, max_length=args.max_length)
    meta = out.with_suffix(".json")
    meta.write_text(
        json.dumps(
            {"source": corpus.source, "shape": list(vectors.shape), **prov.to_dict()}, indent=2
        ),
        encoding="utf8",
    )
    print(f"{vectors.shape[0]} x {vectors.shape[1]} vectors -> {out} (provenance: {meta})")
    print(prov.describe())
    return 0


def _demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .corpus import sample_corpus
    from .models.loader import load_model_with_fallback

    corpus = sample_corpus()
    model, note = load_model_with_fallback()
    print(note)
    vectors = model.embed(corpus.texts)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "demo_embeddings.npy", vectors)
    prov = model.provenance()
    meta = {"note": note, "source": corpus.source, "labels": corpus.labels, **prov.to_dict()}
    (out_dir / "demo_embeddings.json").write_text(json.dumps(meta, indent=2), encoding="utf8")
    print(f"{len(corpus)} sentences -> {out_dir / 'demo_embeddings.npy'}")
    print(prov.describe())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smallbert-viz`` command."""
    from .errors import SmallBertVizError

    args = _parser().parse_args(argv)
    try:
        if args.command == "embed":
            return _embed(args)
        return _demo(args)
    except (SmallBertVizError, OSError, ValueError, TypeError) as exc:
        print(f"smallbert-viz {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
