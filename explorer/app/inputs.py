"""Input components that hand the handlers what the user gave, so the project's checks explain it.

Gradio's own checks run before a handler and answer with a bare "Error"
(a value out of its range), round silently (3.5 becomes 4), or fail
with a multi-line "Could not preprocess" naming the server's upload path (a
file that is not an image). These components skip those checks: the values
reach :func:`explorer.engine.tiling.parse_patch_settings` and
:func:`explorer.app.pictures.read_image`, which say what is wrong in one line
and run nothing.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

__all__ = ["PixelNumber", "UploadImage"]


class PixelNumber(gr.Number):
    """A number box for a pixel count whose value reaches the handler as typed or sent: no range check, no rounding.

    The page uses number boxes, not sliders, for patch size and padding:
    Gradio's slider clamps a typed value into its range in the browser (a
    padding of 200 becomes 128 without a word), which no server check can see.
    """

    def get_block_name(self) -> str:
        """The browser shows it as Gradio's number box."""
        return "number"

    def preprocess(self, payload: Any) -> Any:
        """Pass the value on unchanged; the handler validates it."""
        return payload


class UploadImage(gr.Image):
    """An image input of ``type="filepath"`` that passes any uploaded file on without opening it.

    The handler reads it under the app's limits (empty files, text, HTML,
    decompression bombs and 0×0 images get one-line messages there).
    """

    def get_block_name(self) -> str:
        """The browser shows it as Gradio's image input."""
        return "image"

    def preprocess(self, payload: Any) -> Any:
        """The uploaded file's path, unopened (pasted images arrive as data URLs and are decoded as usual)."""
        if payload is not None and getattr(payload, "path", None) and not str(getattr(payload, "url", "") or "").startswith("data:"):
            return str(payload.path)
        return super().preprocess(payload)
