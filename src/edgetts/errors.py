"""Exception hierarchy. Each class also derives from the builtin that fits it,
so ``except ValueError`` / ``except RuntimeError`` keep working for callers."""

from __future__ import annotations

__all__ = [
    "BackendError",
    "BackendUnavailableError",
    "EdgeTTSError",
    "ExtraNotInstalledError",
    "ModelLoadError",
    "PhonemizerError",
    "VariantError",
    "VariantMismatchError",
    "VariantNotFoundError",
    "VoiceConfigError",
    "VoiceError",
    "VoiceNotFoundError",
]


class EdgeTTSError(Exception):
    """Base class of every error edgetts raises on purpose."""


class VoiceError(EdgeTTSError):
    """A voice (model file or its JSON config) cannot be used."""


class VoiceNotFoundError(VoiceError, LookupError):
    """No voice with that name or path exists."""


class VoiceConfigError(VoiceError, ValueError):
    """The voice's ``.onnx.json`` is missing, malformed or unsupported."""


class ModelLoadError(VoiceError, RuntimeError):
    """The voice's ``.onnx`` is missing, truncated, corrupt or not a Piper model."""


class ExtraNotInstalledError(EdgeTTSError, ImportError):
    """A feature's optional packages (an extra, e.g. ``edgetts[eval]``) are not installed."""


class BackendUnavailableError(EdgeTTSError, ImportError):
    """A known backend (or device) was requested but is not installed here."""


class BackendError(EdgeTTSError, RuntimeError):
    """A backend failed while running a model."""


class PhonemizerError(EdgeTTSError, RuntimeError):
    """espeak-ng could not be loaded or failed on a text."""


class VariantError(EdgeTTSError, RuntimeError):
    """An optimised variant in the model store cannot be used."""


class VariantNotFoundError(VariantError, LookupError):
    """The voice has no stored variant of that name."""


class VariantMismatchError(VariantError):
    """The variant was built from another version of the voice's model."""
