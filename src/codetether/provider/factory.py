"""Make the provider object for a spec: the shared HTTP client, or a class of its own for the odd ones out."""

from __future__ import annotations

import importlib
from typing import Any

from codetether.provider.catalog import ProviderSpec
from codetether.secrets.model import ProviderSecret

# Dialect -> "module:Class" for providers that are not one JSON POST per request (imported only when used).
OWN_CLASSES = {"gemini-web": "codetether.provider.gemini_web:GeminiWebProvider",
               "local-cuda": "codetether.provider.local_cuda:LocalCudaProvider"}


def make_provider(spec: ProviderSpec, secret: ProviderSecret, **options: Any) -> Any:
    """A ready provider (complete, list_models, aclose); options such as max_attempts go to the constructor."""
    target = OWN_CLASSES.get(spec.dialect)
    if target is None:
        from codetether.provider.client import Provider

        return Provider(spec, secret, **options)
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)(spec, secret, **options)
