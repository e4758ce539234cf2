"""Every UPSCALER_EXPLORER_* variable: read when asked, validated, and a bad value named in a one-line error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import settings
from explorer.errors import ImageError, SettingsError

REPO = Path(__file__).resolve().parents[1]

WHOLE_NUMBERS = {
    "AUTO_TILE_PIXELS": (settings.auto_tile_pixels, 2048 * 2048),
    "MODEL_CACHE_MB": (settings.model_cache_mb, max(1024, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20 // 4)),
    "APP_MAX_PIXELS": (settings.app_max_pixels, 2048 * 2048),
    "APP_MAX_OUTPUT_PIXELS": (settings.app_max_output_pixels, 8192 * 8192),
    "APP_CONCURRENCY": (settings.app_concurrency, 2),
    "APP_MAX_QUEUE": (settings.app_max_queue, 32),
}


@pytest.mark.parametrize("name", sorted(WHOLE_NUMBERS))
def test_whole_numbers_default_override_and_refuse_bad_values(monkeypatch, name):
    read, default = WHOLE_NUMBERS[name]
    variable = f"UPSCALER_EXPLORER_{name}"
    monkeypatch.delenv(variable, raising=False)
    assert read() == default
    monkeypatch.setenv(variable, " 7 ")
    assert read() == 7
    for bad, says in (("lots", "is not a whole number"), ("2.5", "is not a whole number"), ("0", "at least 1")):
        monkeypatch.setenv(variable, bad)
        with pytest.raises(SettingsError, match=f"^{variable}=.*{says}.*or unset it") as caught:
            read()
        assert "\n" not in str(caught.value)


def test_the_image_limit_is_an_image_error(monkeypatch):
    monkeypatch.delenv(settings.MAX_PIXELS_ENV, raising=False)
    assert settings.max_pixels() is None
    monkeypatch.setenv(settings.MAX_PIXELS_ENV, "-5")
    with pytest.raises(ImageError, match=f"{settings.MAX_PIXELS_ENV}=-5 must be at least 1"):
        settings.max_pixels()


@pytest.mark.parametrize(("value", "offline"), [("On", True), ("1", True), ("off", False), ("", False)])
def test_offline_accepts_the_usual_words(monkeypatch, value, offline):
    monkeypatch.setenv("UPSCALER_EXPLORER_OFFLINE", value)
    assert settings.is_offline() is offline


def test_offline_refuses_a_word_it_does_not_know(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_OFFLINE", "sometimes")
    with pytest.raises(SettingsError, match="UPSCALER_EXPLORER_OFFLINE='sometimes' is not valid: set it to 1, true"):
        settings.is_offline()


def test_source_and_cdn_are_checked(monkeypatch):
    monkeypatch.setenv("UPSCALER_EXPLORER_SOURCE", " NPM ")
    assert settings.source() == "npm"
    monkeypatch.setenv("UPSCALER_EXPLORER_SOURCE", "ftp")
    with pytest.raises(SettingsError, match="UPSCALER_EXPLORER_SOURCE='ftp' is not valid: set it to 'auto', 'npm'"):
        settings.source()
    monkeypatch.setenv("UPSCALER_EXPLORER_CDN", "http://localhost:9/npm/")
    assert settings.cdn_bases() == ("http://localhost:9/npm",)
    monkeypatch.setenv("UPSCALER_EXPLORER_CDN", " http://localhost:9/a/ , https://localhost:8/b")
    assert settings.cdn_bases() == ("http://localhost:9/a", "https://localhost:8/b")
    for bad in ("cdn.example.com", "http://localhost:9/a,ftp://x", ","):
        monkeypatch.setenv("UPSCALER_EXPLORER_CDN", bad)
        with pytest.raises(SettingsError, match=f"UPSCALER_EXPLORER_CDN={bad!r} is not valid: set it to one or more"):
            settings.cdn_bases()
    monkeypatch.delenv("UPSCALER_EXPLORER_CDN")
    assert settings.cdn_bases() == settings.DEFAULT_CDNS and len(settings.DEFAULT_CDNS) >= 2


def test_npm_registry_is_read_from_npms_own_setting(monkeypatch):
    for name in ("npm_config_registry", "NPM_CONFIG_REGISTRY"):
        monkeypatch.delenv(name, raising=False)
    assert settings.npm_registry() is None
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/registry/")
    assert settings.npm_registry() == "http://127.0.0.1:9/registry"
    monkeypatch.setenv("npm_config_registry", "not a url")
    with pytest.raises(SettingsError, match="npm_config_registry='not a url' is not valid"):
        settings.npm_registry()


def test_folders_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("UPSCALER_EXPLORER_CARDS", str(tmp_path))
    assert settings.cards_dir() == tmp_path
    monkeypatch.delenv("UPSCALER_EXPLORER_CARDS")
    assert settings.cards_dir() == REPO / "model_cards"
    monkeypatch.setenv("UPSCALER_EXPLORER_CACHE", str(tmp_path / "cache"))
    assert settings.cache_dir() == tmp_path / "cache"


def test_bad_values_never_break_the_import(tmp_path):
    bad = {f"UPSCALER_EXPLORER_{name}": "lots" for name in WHOLE_NUMBERS}
    bad |= {"UPSCALER_EXPLORER_MAX_PIXELS": "lots", "UPSCALER_EXPLORER_OFFLINE": "maybe", "UPSCALER_EXPLORER_CDN": "x"}
    env = {**os.environ, **bad, "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    code = "import explorer, explorer.app, explorer.cli, explorer.engine.runner, explorer.engine.upscaler; print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
