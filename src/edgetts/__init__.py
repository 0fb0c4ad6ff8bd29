"""edgetts: a compiled edge runtime for neural (VITS/Piper) text-to-speech."""

import importlib.metadata

from .backends import available_backends
from .config import SUPPORTED_SAMPLE_RATES, SynthesisConfig, VoiceConfig
from .errors import (
    BackendError,
    BackendUnavailableError,
    EdgeTTSError,
    ExtraNotInstalledError,
    ModelLoadError,
    PhonemizerError,
    VariantError,
    VariantMismatchError,
    VariantNotFoundError,
    VoiceConfigError,
    VoiceError,
    VoiceNotFoundError,
)
from .phonemize import Sentence, phonemize
from .speech import Audio
from .timestamps import PhonemeTime, WordTime
from .tts import EdgeTTS
from .voice import Voice, installed_voices

__version__ = importlib.metadata.version("edgetts")

__all__ = [
    "SUPPORTED_SAMPLE_RATES",
    "Audio",
    "BackendError",
    "BackendUnavailableError",
    "EdgeTTS",
    "EdgeTTSError",
    "ExtraNotInstalledError",
    "ModelLoadError",
    "PhonemeTime",
    "PhonemizerError",
    "Sentence",
    "SynthesisConfig",
    "VariantError",
    "VariantMismatchError",
    "VariantNotFoundError",
    "Voice",
    "VoiceConfig",
    "VoiceConfigError",
    "VoiceError",
    "VoiceNotFoundError",
    "WordTime",
    "__version__",
    "available_backends",
    "installed_voices",
    "phonemize",
]
