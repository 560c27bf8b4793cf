"""Model loading: TF Hub handles, local SavedModels, offline conversions and stand-ins."""

from .handles import DEFAULT_NAME, SMALL_BERT_NAMES, TFHUB_PREPROCESSOR
from .loader import load_model

__all__ = ["DEFAULT_NAME", "SMALL_BERT_NAMES", "TFHUB_PREPROCESSOR", "load_model"]
