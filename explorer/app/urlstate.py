"""Settings in the page address, so a view can be shared and restored.

``?model=esrgan-slim/4x&patch_size=64&padding=4&tab=upscale``: when the page
loads, :func:`settings_from_query` reads these (bad values fall back to the
defaults, with a note saying why); when a setting changes, the browser runs
:data:`UPDATE_URL_JS`, which rewrites the address in place with
``history.replaceState`` (no reload, no new history entry).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from explorer.app.common import DEFAULT_CHOICE, page_message
from explorer.engine.registry import get_spec
from explorer.engine.tiling import parse_patch_settings
from explorer.errors import ExplorerError

__all__ = ["RESTORED_JS", "TABS", "UPDATE_URL_JS", "USE_MODEL_URL_JS", "UrlSettings", "settings_from_query", "tab_url_js"]

TABS = ("upscale", "recommend", "models", "compare", "code", "benchmarks")
"""Tab ids, in page order (``?tab=`` takes one of them)."""


@dataclass(frozen=True)
class UrlSettings:
    """What the address can hold.

    Attributes
    ----------
    model : str
        Short model id (``esrgan-slim/4x``).
    patch_size : int
        0 for the whole image.
    padding : int
    tab : str
        One of :data:`TABS`.
    problems : tuple of str
        Why a value in the address was not used.
    """

    model: str = DEFAULT_CHOICE
    patch_size: int = 0
    padding: int = 0
    tab: str = TABS[0]
    problems: tuple[str, ...] = field(default=(), compare=False)


def settings_from_query(query: Mapping[str, str]) -> UrlSettings:
    """Read the settings from the page's query parameters.

    Parameters
    ----------
    query : mapping
        The query parameters (``gr.Request.query_params``).

    Returns
    -------
    UrlSettings
        Valid settings; what could not be used is explained in ``problems``.
    """
    problems: list[str] = []
    model = DEFAULT_CHOICE
    if query.get("model"):
        try:
            model = get_spec(query["model"]).short_id
        except ExplorerError as error:
            problems.append(f"{page_message(error)} Showing {DEFAULT_CHOICE} instead.")
    try:
        patch, padding = parse_patch_settings(query.get("patch_size"), query.get("padding"), zero_is_whole=True)
    except ExplorerError as error:
        problems.append(f"The address's settings were not used: {page_message(error)}")
        patch, padding = None, None
    tab = query.get("tab") or TABS[0]
    if tab not in TABS:
        problems.append(f"There is no tab {tab!r}; the tabs are {', '.join(TABS)}.")
        tab = TABS[0]
    return UrlSettings(model=model, patch_size=patch or 0, padding=padding or 0, tab=tab, problems=tuple(problems))


_REWRITE = (
    "const pretty = url.search.replace(/%2F/gi, '/'); "
    "window.history.replaceState(window.history.state, '', url.pathname + pretty + url.hash);"
)
# Nothing is written before the page has applied the address (restore_settings ran): the
# first tab's select event fires as the page mounts and would overwrite ?tab= otherwise.
_READY = "window.__explorerRestored"

UPDATE_URL_JS = f"""
(model, patchSize, padding) => {{
  if (!{_READY}) {{ return []; }}
  const url = new URL(window.location.href);
  if (model) {{ url.searchParams.set("model", model); }}
  const patch = Number(patchSize) || 0;
  if (patch > 0) {{
    url.searchParams.set("patch_size", String(patch));
    url.searchParams.set("padding", String(Number(padding) || 0));
  }} else {{
    url.searchParams.delete("patch_size");
    url.searchParams.delete("padding");
  }}
  {_REWRITE}
  return [];
}}
"""
"""Browser code run when a setting changes: rewrite the address's query in place (``/`` kept readable)."""

RESTORED_JS = f"() => {{ {_READY} = true; return []; }}"
"""Browser code run once the address has been applied: from then on changes are written back."""


def tab_url_js(tab: str) -> str:
    """Browser code run when tab ``tab`` is chosen: put ``tab=<id>`` in the address."""
    if tab not in TABS:
        raise ValueError(f"Unknown tab {tab!r}; expected one of {TABS}.")
    return (
        f"() => {{ if (!{_READY}) {{ return []; }} const url = new URL(window.location.href); "
        f'url.searchParams.set("tab", "{tab}"); {_REWRITE} return []; }}'
    )


USE_MODEL_URL_JS = f"""
(model) => {{
  const url = new URL(window.location.href);
  if (model) {{ url.searchParams.set("model", model); }}
  url.searchParams.set("tab", "upscale");
  {_REWRITE}
  return [];
}}
"""
"""Browser code run after "Try X in Upscale": the model and the Upscale tab go into the address."""
