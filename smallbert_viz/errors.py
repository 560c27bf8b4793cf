"""The exceptions smallbert-viz raises.

    SmallBertVizError
     +-- ModelLoadError          a model could not be found, downloaded or read
     |    +-- ModelNotFoundError  a handle/path that does not exist or cannot be reached
     |    +-- NotABertEncoderError a directory that loads but is not a TF Hub BERT encoder
     +-- AttentionMismatchError  the attention forward pass disagrees with the encoder

Bad arguments raise the built-in ``TypeError`` / ``ValueError`` with a message that names the bad
value and the fix (see ``smallbert_viz._validation``).
"""

from __future__ import annotations


class SmallBertVizError(Exception):
    """Base class of every error raised on purpose by smallbert-viz."""


class ModelLoadError(SmallBertVizError, OSError):
    """A model could not be found, downloaded or read."""


class ModelNotFoundError(ModelLoadError):
    """A handle or path does not exist, or could not be downloaded."""


class NotABertEncoderError(ModelLoadError):
    """A SavedModel loaded, but it is not a TF Hub BERT encoder or preprocessor."""


class AttentionMismatchError(SmallBertVizError, RuntimeError):
    """The attention forward pass does not reproduce the encoder's own outputs."""
