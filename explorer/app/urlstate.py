"""Settings in the page address, so a view can be shared and restored.

``?model=esrgan-slim/4x&patch_size=64&padding=4&reference=1&precision=fast&tab=upscale``:
every setting that shapes a result, and the tab. When the page loads,
:func:`settings_from_query` reads these (bad values fall back to the defaults,
with a note saying why); when a setting changes, :func:`address_settings`
checks it by the server's own rules and the browser runs :data:`UPDATE_URL_JS`
with what passed, which rewrites the address in place with
``history.replaceState`` (no reload, no new history entry). A value the
server would refuse (patch size 3.5, 99999, below the server's smallest)
never enters the address: it keeps the last valid settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from explorer.app.common import DEFAULT_CHOICE, page_message
from explorer.engine.limits import WorkLimits
from explorer.engine.precision import PRECISIONS
from explorer.engine.registry import get_spec
from explorer.engine.tiling import parse_patch_settings
from explorer.errors import ExplorerError

__all__ = [
    "RESTORED_JS",
    "TABS",
    "UPDATE_URL_JS",
    "USE_MODEL_URL_JS",
    "UrlSettings",
    "address_settings",
    "settings_from_query",
    "tab_url_js",
]

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
    reference : bool
        Reference mode (``reference=1``).
    precision : str
        ``exact`` or ``fast`` (``precision=fast``).
    tab : str
        One of :data:`TABS`.
    problems : tuple of str
        Why a value in the address was not used.
    """

    model: str = DEFAULT_CHOICE
    patch_size: int = 0
    padding: int = 0
    reference: bool = False
    precision: str = PRECISIONS[0]
    tab: str = TABS[0]
    problems: tuple[str, ...] = field(default=(), compare=False)


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


def settings_from_query(query: Mapping[str, str], limits: WorkLimits | None = None) -> UrlSettings:
    """Read the settings from the page's query parameters.

    Parameters
    ----------
    query : mapping
        The query parameters (``gr.Request.query_params``).
    limits : WorkLimits, optional
        The server's limits: a patch size below its smallest is not used either.

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
        patch, padding = _checked(query.get("patch_size"), query.get("padding"), limits)
    except ExplorerError as error:
        problems.append(f"The address's settings were not used: {page_message(error)}")
        patch, padding = None, None
    reference = str(query.get("reference", "")).strip().lower()
    if reference not in _TRUE + _FALSE:
        problems.append(f"reference={reference!r} in the address is not 1 or 0: reference mode is off.")
    precision = str(query.get("precision") or PRECISIONS[0]).strip().lower()
    if precision not in PRECISIONS:
        problems.append(f"precision={precision!r} in the address is not {' or '.join(PRECISIONS)}: exact is used.")
        precision = PRECISIONS[0]
    tab = query.get("tab") or TABS[0]
    if tab not in TABS:
        problems.append(f"There is no tab {tab!r}; the tabs are {', '.join(TABS)}.")
        tab = TABS[0]
    return UrlSettings(
        model=model, patch_size=patch or 0, padding=padding or 0, reference=reference in _TRUE, precision=precision, tab=tab,
        problems=tuple(problems),
    )  # fmt: skip


def _checked(patch_size: object, padding: object, limits: WorkLimits | None) -> tuple[int | None, int | None]:
    """The patch settings by UpscalerJS's rules and the server's smallest patch; an ExplorerError says why not."""
    patch, pad = parse_patch_settings(patch_size, padding, zero_is_whole=True)
    if limits is not None:
        limits.check_patch_size(patch)
    return patch, pad


def address_settings(
    model: str | None,
    patch_size: object,
    padding: object,
    reference: bool,
    precision: str = PRECISIONS[0],
    limits: WorkLimits | None = None,
) -> dict | None:
    """What the address should hold for the page's settings, or None when one of them would be refused.

    Returns
    -------
    dict or None
        ``model`` (short id), ``patch_size`` and ``padding`` (0 for the whole
        image), ``reference`` and ``precision``, all valid; None keeps the
        address as it is.
    """
    try:
        spec = get_spec(model or "")
        patch, pad = _checked(patch_size, padding, limits)
    except ExplorerError:
        return None
    if precision not in PRECISIONS:
        return None
    return {
        "model": spec.short_id, "patch_size": patch or 0, "padding": (pad or 0) if patch else 0,
        "reference": bool(reference), "precision": precision,
    }  # fmt: skip


_REWRITE = (
    "const pretty = url.search.replace(/%2F/gi, '/'); "
    "window.history.replaceState(window.history.state, '', url.pathname + pretty + url.hash);"
)
# Nothing is written before the page has applied the address (restore_settings ran): the
# first tab's select event fires as the page mounts and would overwrite ?tab= otherwise.
_READY = "window.__explorerRestored"

UPDATE_URL_JS = f"""
(settings) => {{
  if (!{_READY} || !settings || !settings.model) {{ return []; }}
  const url = new URL(window.location.href);
  url.searchParams.set("model", settings.model);
  if (settings.patch_size > 0) {{
    url.searchParams.set("patch_size", String(settings.patch_size));
    url.searchParams.set("padding", String(settings.padding));
  }} else {{
    url.searchParams.delete("patch_size");
    url.searchParams.delete("padding");
  }}
  if (settings.reference) {{ url.searchParams.set("reference", "1"); }} else {{ url.searchParams.delete("reference"); }}
  if (settings.precision === "fast") {{ url.searchParams.set("precision", "fast"); }} else {{ url.searchParams.delete("precision"); }}
  {_REWRITE}
  return [];
}}
"""
"""Browser code run with :func:`address_settings`'s answer: rewrite the address's query in place (``/`` kept readable);
nothing when the answer is None (a setting the server would refuse)."""

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
