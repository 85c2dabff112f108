"""A `session/prompt`'s content blocks as one user message: text, resource links, embedded resources, images."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from acp.schema import (
    AudioContentBlock,
    BlobResourceContents,
    EmbeddedResourceContentBlock,
    ImageContentBlock,
    ResourceContentBlock,
    TextContentBlock,
)

from codetether.acp.errors import invalid_params
from codetether.provider.model import ImagePart


def prompt_message(blocks: list[Any]) -> tuple[str, list[ImagePart]]:
    """The user message for `blocks` as text and images; content no turn can take is a -32602 error naming it
    (images for a text-only provider are refused by the turn itself, as in every front end)."""
    parts: list[ImagePart] = []
    text: list[str] = []
    for block in blocks:
        if isinstance(block, TextContentBlock):
            text.append(block.text)
        elif isinstance(block, ResourceContentBlock):
            text.append(f"\n[Referenced: {_where(block.uri)}" + (f" ({block.name})" if block.name else "") + "]")
        elif isinstance(block, EmbeddedResourceContentBlock):
            resource = block.resource
            if isinstance(resource, BlobResourceContents):
                if not (resource.mime_type or "").startswith("image/"):
                    raise _refuse(f"the embedded resource {resource.uri} is binary ({resource.mime_type or 'no type'})"
                                  "; only text resources and images can be sent")
                parts.append(_image(resource.blob, resource.mime_type or ""))
            else:
                text.append(f'\n\n<file path="{_where(resource.uri)}">\n{resource.text}\n</file>')
        elif isinstance(block, ImageContentBlock):
            parts.append(_image(block.data, block.mime_type))
        elif isinstance(block, AudioContentBlock):
            raise _refuse("audio prompts are not supported (promptCapabilities.audio is false)")
    joined = "".join(text).strip()
    if not joined and not parts:
        raise _refuse("the prompt is empty; send at least one text block")
    return joined, parts


def _image(data: str, mime_type: str) -> ImagePart:
    if not mime_type.startswith("image/") or not data:
        raise _refuse("an image block needs base64 data and an image/* mimeType")
    return ImagePart(f"data:{mime_type};base64,{data}", mime_type)


def _where(uri: str) -> str:
    """A file:// URI as the path it names; any other URI as it is."""
    parsed = urlparse(uri)
    return str(Path(unquote(parsed.path))) if parsed.scheme == "file" else uri


def _refuse(why: str) -> Exception:
    return invalid_params(why)
