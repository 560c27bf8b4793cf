"""The ``smallbert-viz`` command line: a thin shell over the Python API.

smallbert-viz embed FILE -o OUT.npy|OUT.parquet [--model NAME] [--precision float32|bfloat16]
    [--pooling cls|pooled|mean] [--column C] [--chunk-size N] [--restart]
    (again after an interruption: resumes)
smallbert-viz report FILE [-o report.html] [--model NAME] [--precision float32|bfloat16]
    [--column C] [--labels COLUMN]
    [--pooling cls|pooled|mean] [--attention-for I [I ...]] [--seed N] [--title T]
smallbert-viz demo [-o DIR]
Every command takes --verbose (TensorFlow's own log lines), --no-cache (embed again) and
--progress/--no-progress (progress bars and stage lines; default: for long steps only).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from .embed_to_disk import DEFAULT_CHUNK_SIZE
from .embedding import POOLINGS
from .models.precision import PRECISIONS
from .views.policy import DEFAULT_SEED


def _model_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=None,
        help="small BERT short name (L-8_H-128_A-2, default), 'all-MiniLM-L6-v2', a TF Hub/"
        "Kaggle handle, or a local SavedModel directory",
    )
    parser.add_argument("--preprocessor", default=None, help="preprocessor handle or directory")
    parser.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="float32",
        help="float32 (default, exact) or bfloat16: TensorFlow's oneDNN bf16 math, faster on "
        "CPUs with bf16 units (AVX512-BF16, AMX), vectors close to float32; a warning says when "
        "it has no effect here (measured)",
    )


def _switches(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show TensorFlow's own start-up and log lines (hidden by default; same as "
        "SMALLBERT_VIZ_VERBOSE=1)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="embed every text again instead of reusing the on-disk embedding cache (same as "
        "SMALLBERT_VIZ_EMBED_CACHE=0)",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bars and stage lines on stderr (default: for long steps only)",
    )


@contextlib.contextmanager
def _switches_applied(args: argparse.Namespace) -> Iterator[None]:
    """--verbose and --no-cache as the environment variables the library reads, for one run."""
    from ._quiet import VERBOSE_ENV_VAR
    from .embedding_cache import CACHE_SWITCH_ENV_VAR

    wanted = {VERBOSE_ENV_VAR: "1"} if args.verbose else {}
    if args.no_cache:
        wanted[CACHE_SWITCH_ENV_VAR] = "0"
    saved = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smallbert-viz",
        description="Sentence embeddings, similarity, projections and attention of TF Hub BERTs.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    emb = sub.add_parser(
        "embed",
        help="embed a text/CSV/TSV file into a .npy array or a Parquet file, a chunk at a time; "
        "run it again after an interruption to resume",
    )
    emb.add_argument("file", help=".txt (one text per line) or .csv/.tsv with a text column")
    emb.add_argument(
        "-o",
        "--output",
        required=True,
        help="output .npy or .parquet file (written as OUT.partial with OUT.journal.json until "
        "done)",
    )
    _model_arg(emb)
    emb.add_argument("--pooling", choices=POOLINGS, default=None, help="default: the model's own")
    emb.add_argument("--column", default=None, help="text column of a CSV/TSV (default 'text')")
    emb.add_argument("--normalize", action="store_true", help="unit-length vectors")
    emb.add_argument("--max-length", type=int, default=128)
    emb.add_argument("--batch-size", type=int, default=None)
    emb.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="texts embedded and saved together: the unit of resumption (default "
        f"{DEFAULT_CHUNK_SIZE})",
    )
    emb.add_argument(
        "--no-text",
        action="store_true",
        help="Parquet output: leave out the text column (only the embedding column)",
    )
    emb.add_argument(
        "--restart",
        action="store_true",
        help="discard an interrupted run's OUT.partial and journal instead of resuming it",
    )
    _switches(emb)
    emb.add_argument(
        "--spark",
        metavar="MASTER",
        default=None,
        help="embed with Apache Spark on MASTER (e.g. local[2] or a cluster URL); reads "
        ".parquet/.csv/.tsv and writes -o as a Parquet folder",
    )

    rep = sub.add_parser("report", help="write a standalone offline HTML report of a text file")
    rep.add_argument("file", help=".txt (one sentence per line) or .csv/.tsv with a text column")
    rep.add_argument("-o", "--output", default="report.html", help="output .html file")
    _model_arg(rep)
    rep.add_argument("--column", default=None, help="text column of a CSV/TSV (default 'text')")
    rep.add_argument("--labels", default=None, help="label column of a CSV/TSV (colours, counts)")
    rep.add_argument("--pooling", choices=POOLINGS, default=None, help="default: the model's own")
    rep.add_argument("--normalize", action="store_true", help="unit-length vectors")
    rep.add_argument(
        "--attention-for",
        type=int,
        nargs="+",
        default=None,
        metavar="I",
        help="sentence numbers (from 0) whose attention is stored; default a few",
    )
    rep.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"the views' seed (default {DEFAULT_SEED})"
    )
    rep.add_argument("--title", default=None, help="report title")
    rep.add_argument(
        "--coords",
        default=None,
        help="a layout computed elsewhere, one row per sentence: .npy (N x 2 or 3) or "
        ".parquet/.csv with x, y[, z] columns (e.g. spark.project's output); nothing is projected",
    )
    _switches(rep)

    demo = sub.add_parser(
        "demo", help="embed the bundled sample corpus and write the demo report (README's main job)"
    )
    demo.add_argument("-o", "--output-dir", default="out", help="folder for the results")
    _switches(demo)
    return parser


def _embed(args: argparse.Namespace) -> int:
    from .embed_to_disk import embed_to_disk
    from .models.loader import load_model

    if args.spark:
        from .spark import run_embed_spark

        run_embed_spark(
            args.file,
            args.column,
            args.output,
            args.spark,
            args.model,
            args.pooling,
            args.normalize,
            args.batch_size,
            preprocessor=args.preprocessor,
            max_length=args.max_length,
            progress=args.progress,
        )
        return 0
    from .corpus import iter_corpus_texts

    next(iter_corpus_texts(args.file, column=args.column), None)  # its errors before loading
    model = load_model(args.model, preprocessor=args.preprocessor, precision=args.precision)
    try:
        result = embed_to_disk(
            args.file,
            args.output,
            model=model,
            pooling=args.pooling,
            normalize=args.normalize,
            max_length=args.max_length,
            batch_size=args.batch_size,
            chunk_size=DEFAULT_CHUNK_SIZE if args.chunk_size is None else args.chunk_size,
            column=args.column,
            include_text=not args.no_text,
            restart=args.restart,
            progress=args.progress,
        )
    except KeyboardInterrupt:
        print(
            "smallbert-viz embed: interrupted; run the same command again to resume from the "
            "last finished chunk, or add --restart to start over.",
            file=sys.stderr,
        )
        return 130
    resumed = (
        f", {result.resumed_texts:,} of them from the interrupted run"
        if result.resumed_texts
        else ""
    )
    print(
        f"{result.n_texts} x {result.hidden_size} vectors{resumed} -> {result.path} "
        f"(provenance: {result.metadata_path})"
    )
    print(result.provenance.describe())
    return 0


def load_for_views(name: str | None, preprocessor: str | None, precision: str = "float32"):
    """The named model, or the TF Hub small BERT with the offline fallback; says which."""
    from .models.loader import load_model

    model = load_model(name, preprocessor=preprocessor, fallback=True, precision=precision)
    print(model.note or f"Using {model.info.name} ({model.info.encoder_handle}).")
    return model


def _read_coords(path: str):
    """``--coords``: an array from .npy, a DataFrame from .parquet or .csv."""
    import numpy as np

    suffix = Path(path).suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if suffix in (".parquet", ".csv"):
        import pandas as pd

        return pd.read_parquet(path) if suffix == ".parquet" else pd.read_csv(path)
    raise ValueError(
        f"The '--coords' option of smallbert-viz report must name a .npy, .parquet or .csv "
        f"file. Got {path!r} instead."
    )


def _report(args: argparse.Namespace) -> int:
    from .corpus import read_corpus
    from .reporting import report

    corpus = read_corpus(args.file, column=args.column, label_column=args.labels)
    if len(corpus) < 2:
        raise ValueError(
            f"{args.file!r} holds {len(corpus)} sentence(s); a report needs at least 2 (one per "
            "line in a .txt file, one per row in a CSV/TSV)."
        )
    coords = None if args.coords is None else _read_coords(args.coords)
    model = load_for_views(args.model, args.preprocessor, args.precision)
    path = report(
        corpus.texts,
        corpus.labels,
        model=model,
        coords=coords,
        path=args.output,
        pooling=args.pooling,
        normalize=args.normalize,
        attention_for=args.attention_for,
        seed=args.seed,
        title=args.title,
        progress=args.progress,
    )
    print(f"{len(corpus)} sentences from {corpus.source} -> {path}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import numpy as np

    from .corpus import sample_corpus
    from .embedding_spec import EmbeddingSpec

    corpus = sample_corpus()
    model = load_for_views(None, None)
    spec = EmbeddingSpec.of(model, owner="smallbert-viz demo")
    vectors = spec.embed(corpus.texts, progress=args.progress)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "demo_embeddings.npy", vectors)
    prov = spec.provenance()
    meta = {"note": model.note, "source": corpus.source, "labels": corpus.labels, **prov.to_dict()}
    (out_dir / "demo_embeddings.json").write_text(json.dumps(meta, indent=2), encoding="utf8")
    print(f"{len(corpus)} sentences -> {out_dir / 'demo_embeddings.npy'}")
    print(prov.describe())
    from .reporting import report

    path = report(
        corpus.texts,
        corpus.labels,
        model=model,
        embeddings=vectors,  # the same model and settings: no second pass
        pooling=spec.pooling,
        path=out_dir / "demo_report.html",
        title=f"smallbert-viz demo: {len(corpus)} sample sentences, {model.info.name}",
        progress=args.progress,
    )
    print(f"demo report: {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``smallbert-viz`` command."""
    from .errors import SmallBertVizError

    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "spark", None) and getattr(args, "precision", "float32") != "float32":
        parser.error(
            f"--precision {args.precision} does not reach the Spark workers (each loads its own "
            "model in float32). Drop --precision, or embed without --spark."
        )
    try:
        with _switches_applied(args):
            if args.command == "embed":
                return _embed(args)
            if args.command == "report":
                return _report(args)
            return _demo(args)
    except (SmallBertVizError, OSError, ValueError, TypeError) as exc:
        print(f"smallbert-viz {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
