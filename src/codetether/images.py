"""Images in a prompt: files (`run -f shot.png`, a path in the TUI), piped bytes, the clipboard; and which
providers can take them."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from codetether.errors import UsageError
from codetether.provider.model import ImagePart

MAX_BYTES = 20 * 1024 * 1024  # the largest image the OpenAI and Anthropic APIs accept
# Providers that turn a conversation into text (no image input on their wire).
TEXT_ONLY_DIALECTS = frozenset({"gemini-web", "local-cuda"})
MAX_PER_MESSAGE = 10
_EXT = r"(?:png|jpe?g|gif|webp)"
# A path as typed, pasted or dropped into a terminal: 'quoted', "quoted", or with backslash-escaped spaces.
_PATHS = re.compile(rf"""'([^'\n]+\.{_EXT})'|"([^"\n]+\.{_EXT})"|((?:\\.|[^\s'"\\])+\.{_EXT})(?=$|[\s,;:!?)])""",
                    re.IGNORECASE)
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
          (b"GIF89a", "image/gif"))


def sniff(data: bytes) -> str | None:
    """The image type of these bytes by their signature, or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_from_bytes(data: bytes, name: str) -> ImagePart:
    mime = sniff(data)
    if mime is None:
        raise UsageError(f"{name} is not a PNG, JPEG, GIF or WebP image")
    if len(data) > MAX_BYTES:
        raise UsageError(f"{name} is {len(data) / 1048576:.1f} MB; images are sent up to "
                         f"{MAX_BYTES // 1048576} MB", "Shrink it (or crop it) first.")
    return ImagePart(f"data:{mime};base64,{base64.b64encode(data).decode()}", mime)


def image_file(path: Path) -> ImagePart | None:
    """The file as an image part when it is one (by its first bytes); None for any other file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
            if sniff(head) is None:
                return None
            data = head + fh.read()
    except OSError as exc:
        raise UsageError(f"cannot attach {path}: {exc.strerror or exc}") from None
    return image_from_bytes(data, str(path))


def check_provider_takes_images(provider: Any, model_id: str) -> None:
    """A clear refusal, before anything is sent, for providers whose wire has no image input."""
    dialect = getattr(getattr(provider, "spec", None), "dialect", "")
    if dialect in TEXT_ONLY_DIALECTS:
        raise UsageError(f"{model_id} cannot take images ({provider.spec.id} sends text only); nothing was sent",
                         "Leave the image out, or use a model that sees images, e.g. --model openai/gpt-4o or "
                         "anthropic/claude-sonnet-4-20250514.")


def images_in_text(text: str, base: Path) -> tuple[list[ImagePart], list[str]]:
    """The image files a prompt names by path (also `@shot.png`, `file://...`, `~/...`): parts and names."""
    images: list[ImagePart] = []
    names: list[str] = []
    for match in _PATHS.finditer(text):
        raw = next(group for group in match.groups() if group)
        name = re.sub(r"\\(.)", r"\1", raw).removeprefix("@")
        if name.startswith("file://"):
            name = unquote(name.removeprefix("file://"))
        path = Path(name).expanduser()
        path = path if path.is_absolute() else base / path
        if name in names or not path.is_file():
            continue
        image = image_file(path)
        if image is not None:
            images.append(image)
            names.append(name)
        if len(images) == MAX_PER_MESSAGE:
            break
    return images, names
