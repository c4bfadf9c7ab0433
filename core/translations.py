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
from typing import Any

import polib
from django.apps import AppConfig, apps
from django.conf import settings
from django.db.models import Model
from django.utils import translation
from django.utils.translation import gettext_lazy

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


def _derived_labels(model: type[Model]) -> list[tuple[Any, str, str]]:
    """(owner, attribute, English text) of each label Django derives from a name: a model's verbose names
    when its Meta gives none, a field's when the field gives none ("birth_date" -> "birth date")."""
    opts = model._meta
    labels: list[tuple[Any, str, str]] = []
    with translation.override(None):  # the English texts, also once they are translatable
        if "verbose_name" not in opts.original_attrs:
            labels.append((opts, "verbose_name", str(opts.verbose_name)))
        if "verbose_name_plural" not in opts.original_attrs:
            # Django's own would be the (translated) name and an "s".
            labels.append((opts, "verbose_name_plural", f"{opts.verbose_name}s"))
        for field in (*opts.local_fields, *opts.local_many_to_many):
            if getattr(field, "_verbose_name", None) is None and field.verbose_name:
                labels.append((field, "verbose_name", str(field.verbose_name)))
    return labels


def model_label_texts(config: AppConfig) -> list[str]:
    """The derived labels of an app's models, which its catalogue translates (tests/test_translations.py)."""
    return sorted({text for model in config.get_models() for _, _, text in _derived_labels(model)})


def model_labels_translate() -> None:
    """Make the labels Django derives from names translatable, so that the admin shows every model and
    field in the reader's language without a verbose_name written on each of them. Only the label in use
    changes (a field's `verbose_name`, a model's `_meta.verbose_name`), not what a field or Meta was given
    (`_verbose_name`, `original_attrs`), which is what migrations record: no migration follows."""
    for config in project_app_configs():
        for model in config.get_models():
            for owner, attribute, text in _derived_labels(model):
                setattr(owner, attribute, gettext_lazy(text))


def translations_compile(*, force: bool = False) -> list[Path]:
    """Compile each catalogue whose `.mo` is missing or older than its `.po`; return the `.po` files
    compiled. Fuzzy and untranslated entries are left out, as msgfmt does. Each `.mo` is written beside
    and then moved over the old one, so that a running server never reads half a file; the file beside
    is the process's own, so that processes compiling at once (the suite's workers) each move a whole one."""
    compiled = []
    for po_path in translation_catalogues():
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalogue = polib.pofile(str(po_path), check_for_duplicates=True)
        partial = mo_path.with_suffix(f".mo.{os.getpid()}.partial")
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
