"""The project's translation catalogues: where they are, compiling them, and the language of a command.

Each app keeps its own catalogue, `<app>/locale/<locale>/LC_MESSAGES/django.po`, which Django finds as an
installed app's. The compiled `.mo` files are build output (not in git): `make install` and the container
image compile them with `manage.py compile_translations`, which needs only Python (polib), where Django's
`compilemessages` needs GNU gettext's `msgfmt`, a system package that a fresh machine or the slim image
may not have.
"""

from __future__ import annotations

import os
from pathlib import Path

import polib
from django.apps import AppConfig, apps
from django.conf import settings
from django.utils import translation

# Folders inside the checkout that hold no project code: the virtualenv (a real folder in one checkout,
# a symlink out of it in another), local services' data, front-end packages.
NOT_PROJECT_FOLDERS = frozenset({".venv", "venv", ".data", "node_modules", "site-packages", ".git", ".tox"})


def is_project_path(path: Path) -> bool:
    """Whether `path` is the project's own: inside the checkout and in none of NOT_PROJECT_FOLDERS."""
    base = Path(settings.BASE_DIR).resolve()
    resolved = Path(path).resolve()
    return resolved.is_relative_to(base) and not NOT_PROJECT_FOLDERS & set(resolved.relative_to(base).parts)


def project_app_configs() -> list[AppConfig]:
    """The installed apps that are the project's own, not an installed library's."""
    base = Path(settings.BASE_DIR).resolve()
    return [
        config
        for config in apps.get_app_configs()
        if is_project_path(Path(config.path)) and Path(config.path).resolve() != base
    ]


def translation_catalogues() -> list[Path]:
    """The `.po` files of the project's own apps (not those of installed libraries) and LOCALE_PATHS."""
    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders += [Path(config.path) / "locale" for config in project_app_configs()]
    return sorted(po for folder in folders for po in folder.glob("*/LC_MESSAGES/*.po"))


def translations_compile(*, force: bool = False) -> list[Path]:
    """Compile each catalogue whose `.mo` is missing or older than its `.po`; return the `.po` files
    compiled. Fuzzy and untranslated entries are left out, as msgfmt does. Each `.mo` is written beside
    and then moved over the old one, so that a running server never reads half a file."""
    compiled = []
    for po_path in translation_catalogues():
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path), check_for_duplicates=True)
        partial = mo_path.with_suffix(".mo.partial")
        catalogue.save_as_mofile(str(partial))
        partial.replace(mo_path)
        compiled.append(po_path)
    return compiled


def command_language() -> str:
    """The language of a management command's output: the shell's locale (LANGUAGE, LC_ALL, LC_MESSAGES,
    LANG, in gettext's order) when it names a language the platform speaks, else the default (Chinese).
    `C` and `POSIX`, the locale of a bare container, name none."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in os.environ.get(variable, "").split(":"):
            code = value.split(".")[0].split("@")[0].replace("_", "-").lower()
            if not code or code in ("c", "posix"):
                continue
            try:
                return translation.get_supported_language_variant(code)
            except LookupError:
                continue
    return settings.LANGUAGE_CODE
