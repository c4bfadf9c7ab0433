"""Every user-facing string is translated: Simplified Chinese by default, English on request.

The checks read the source as makemessages would (Python by its syntax tree, templates by their tags), so
they need no GNU gettext:
- each catalogue entry has a translation, not fuzzy, with the same placeholders as its English;
- each string marked for translation in an app (`_("...")`, `gettext_lazy`, `ngettext`, `{% translate %}`)
  is in that app's catalogue, `<app>/locale/zh_Hans/LC_MESSAGES/django.po`;
- the places where a user reads a text (a refusal's message, a model's or admin's label, a command's
  output) are given a marked string, not a bare English literal.
"""

from __future__ import annotations

import ast
import gettext
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from core.translations import (
    command_language,
    is_project_path,
    model_label_texts,
    project_app_configs,
    translation_catalogues,
    translations_compile,
)

BASE = Path(settings.BASE_DIR).resolve()
LOCALE = "zh_Hans"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdifr]|\{(\w*)\}")

# The gettext functions, by where their context, singular and plural arguments are.
MARKERS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
# Calls whose message a person reads, with the position of the message argument.
MESSAGE_CALLS = {
    "ApplicationError": 1,
    "ConflictError": 1,
    "ForbiddenError": 1,
    "NotFoundError": 0,
    "InvalidIdentityNumber": 1,
    "InvalidEmployerCode": 1,
    "ImportFileError": 1,
    "CellError": 1,
    "RowError": 3,
    "ValidationError": 0,
    "DjangoValidationError": 0,
    "CommandError": 0,
    "message_user": 1,
}
# Keyword arguments and class attributes that are labels a person reads in the admin or a command's help.
LABEL_NAMES = {"verbose_name", "verbose_name_plural", "short_description", "description", "help", "label"}
MODEL_FIELD_LABELS = {"help_text"}
# Class attributes a person reads: the labels, a DRF permission's refusal, an exception's default text.
CLASS_TEXTS = LABEL_NAMES | {"message", "default_detail"}
TEMPLATE_TAG = re.compile(r"""{%\s*(?:translate|trans)\s+(["'])(.*?)\1(?:\s+context\s+(["'])(.*?)\3)?""")
BLOCK_TAG = re.compile(r"{%\s*blocktranslate\b([^%]*)%}(.*?){%\s*endblocktranslate\s*%}", re.S)


@dataclass(frozen=True)
class Marked:
    """A string marked for translation, where it is."""

    msgid: str
    plural: str | None
    context: str | None
    where: str


def project_apps():
    return project_app_configs()


def _shown(path: Path) -> str:
    return str(path.relative_to(BASE)) if path.is_relative_to(BASE) else str(path)


def _python_files(folder: Path):
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_bare_text(node: ast.expr | None) -> bool:
    """A literal (or f-string) with words in it, which no translation reaches."""
    if isinstance(node, ast.JoinedStr):
        return any(_is_bare_text(part) for part in node.values if isinstance(part, ast.Constant))
    text = _literal(node) if node is not None else None
    return bool(text and re.search(r"[A-Za-z]{2}", text))


def python_marked(path: Path) -> tuple[list[Marked], list[str]]:
    """The marked strings of a module, and the marker calls whose text is not a literal (which no
    extraction finds: the text must be marked where it is written)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    marked, opaque = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in MARKERS:
            continue
        where = f"{_shown(path)}:{node.lineno}"
        context_at, singular_at, plural_at = MARKERS[_name(node.func)]
        texts = [
            _literal(node.args[at]) if at is not None and at < len(node.args) else None
            for at in (context_at, singular_at, plural_at)
        ]
        if texts[1] is None or (context_at is not None and texts[0] is None):
            opaque.append(where)
            continue
        marked.append(Marked(texts[1], texts[2], texts[0], where))
    return marked, opaque


def _block_msgid(options: str, body: str) -> str:
    if "trimmed" in options:
        body = " ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    return re.sub(r"{{\s*(\w+)\s*}}", r"%(\1)s", body)


def template_marked(path: Path) -> list[Marked]:
    text = path.read_text()
    where = str(_shown(path))
    found = [Marked(m.group(2), None, m.group(4), where) for m in TEMPLATE_TAG.finditer(text)]
    found += [
        Marked(_block_msgid(m.group(1), m.group(2)), None, None, where) for m in BLOCK_TAG.finditer(text)
    ]
    return found


def app_marked(config) -> tuple[list[Marked], list[str]]:
    folder = Path(config.path)
    marked, opaque = [], []
    for path in _python_files(folder):
        found, unreadable = python_marked(path)
        marked += found
        opaque += unreadable
    for path in sorted((folder / "templates").rglob("*.html")):
        marked += template_marked(path)
    return marked, opaque


def bare_texts(path: Path) -> list[str]:
    """Where a user-facing text is a bare English literal instead of a marked string."""
    tree = ast.parse(path.read_text(), filename=str(path))
    models_module = path.name == "models.py" or "models" in path.parts or "admin" in path.parts
    found = []
    for node in ast.walk(tree):
        where = f"{_shown(path)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Call):
            name = _name(node.func)
            at = MESSAGE_CALLS.get(name or "")
            message = node.args[at] if at is not None and at < len(node.args) else None
            message = next((k.value for k in node.keywords if k.arg in ("message", "detail")), message)
            if at is not None and _is_bare_text(message):
                found.append(f"{where} {name}(...) message")
            labels = LABEL_NAMES | (MODEL_FIELD_LABELS if models_module else set())
            found += [
                f"{where} {k.arg}="
                for k in node.keywords
                if k.arg in labels
                and _is_bare_text(k.value)
                # A view's summary and description are the OpenAPI documentation's, not a user's text.
                and name not in ("extend_schema", "OpenApiParameter", "OpenApiExample", "OpenApiResponse")
            ]
            output = name == "write" and _name(getattr(node.func, "value", node.func)) in ("stdout", "stderr")
            if output and node.args and _is_bare_text(node.args[0]):
                found.append(f"{where} command output")
        elif isinstance(node, ast.ClassDef):
            choices = any(_name(base) in ("TextChoices", "IntegerChoices", "Choices") for base in node.bases)
            for statement in node.body:
                if not isinstance(statement, ast.Assign):
                    continue
                targets = [_name(target) for target in statement.targets]
                value = statement.value
                if any(target in CLASS_TEXTS for target in targets) and _is_bare_text(value):
                    found.append(f"{_shown(path)}:{statement.lineno} {targets[0]} =")
                if choices and isinstance(value, ast.Tuple) and _is_bare_text(value.elts[-1]):
                    found.append(f"{_shown(path)}:{statement.lineno} choice label")
    return found


def _catalogue(config) -> polib.POFile | None:
    path = Path(config.path) / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
    return polib.pofile(str(path)) if path.exists() else None


def _placeholders(text: str) -> set[str]:
    return {match.group(0) for match in PLACEHOLDER.finditer(text)}


def test_every_catalogue_entry_has_a_translation_with_the_same_placeholders():
    problems = []
    catalogues = translation_catalogues()
    assert catalogues, "no translation catalogue found"
    for path in catalogues:
        catalogue = polib.pofile(str(path), check_for_duplicates=True)
        assert "nplurals=1" in catalogue.metadata.get("Plural-Forms", ""), path
        for entry in catalogue:
            if entry.obsolete:
                continue
            where = f"{_shown(path)}:{entry.linenum} {entry.msgid!r}"
            translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
            if "fuzzy" in entry.flags or not all(t.strip() for t in translations):
                problems.append(f"{where}: not translated (or fuzzy)")
                continue
            english = _placeholders(entry.msgid) | _placeholders(entry.msgid_plural or "")
            if any(_placeholders(t) != english for t in translations):
                problems.append(f"{where}: placeholders differ")
    assert problems == []


def test_every_marked_string_is_in_its_apps_catalogue():
    missing, opaque = [], []
    for config in project_apps():
        marked, unreadable = app_marked(config)
        opaque += unreadable
        catalogue = _catalogue(config)
        known = {(e.msgctxt, e.msgid, e.msgid_plural or None) for e in catalogue or () if not e.obsolete}
        missing += [f"{m.where} {m.msgid!r}" for m in marked if (m.context, m.msgid, m.plural) not in known]
    assert missing == [], f"add these to <app>/locale/{LOCALE}/LC_MESSAGES/django.po"
    # core.translations marks the labels Django derives from names, checked by the test below.
    opaque = [where for where in opaque if not where.startswith("core/translations.py:")]
    assert opaque == [], "gettext of a variable: mark the literal where it is written"


def test_every_label_django_derives_from_a_name_is_in_its_apps_catalogue():
    """Models and fields without a verbose_name are labelled from their names (core.translations)."""
    missing = []
    for config in project_apps():
        catalogue = _catalogue(config)
        known = {entry.msgid for entry in catalogue or () if not entry.msgctxt and not entry.obsolete}
        missing += [f"{config.label}: {text!r}" for text in model_label_texts(config) if text not in known]
    assert missing == [], f"add these to <app>/locale/{LOCALE}/LC_MESSAGES/django.po"


@pytest.mark.django_db
def test_the_admin_labels_models_and_fields_in_chinese(admin_client):
    page = admin_client.get("/admin/insurance/insuredperson/add/").content.decode()

    assert "增加 参保人员" in page
    assert "户籍所在省份" in page
    english = admin_client.get("/admin/insurance/insuredperson/add/", HTTP_ACCEPT_LANGUAGE="en").content
    assert "Add insured person" in english.decode()


def test_user_facing_texts_are_marked_for_translation():
    found = [
        text
        for config in project_apps()
        for path in _python_files(Path(config.path))
        for text in bare_texts(path)
    ]
    assert found == [], "wrap these in gettext / gettext_lazy and translate them"


@pytest.mark.parametrize(
    "source",
    [
        'raise ApplicationError("code", "A refusal.")',
        'raise ApplicationError("code", f"A refusal of {x}.")',
        'raise NotFoundError("No such person.")',
        'raise ValidationError("Enter a period.")',
        'self.stdout.write("Done.")',
        'name = models.CharField(verbose_name="Name")',
        'class Status(models.TextChoices):\n    OPEN = "open", "Open"',
        'class Meta:\n    verbose_name = "insured person"',
    ],
)
def test_a_bare_english_text_is_found(source, tmp_path):
    module = tmp_path / "models.py"
    module.write_text(source)

    assert len(bare_texts(module)) == 1


@pytest.mark.parametrize(
    "source",
    [
        'raise ApplicationError("code", _("A refusal."))',
        'raise ApplicationError("code", _("A refusal of %(x)s.") % {"x": x})',
        "raise NotFoundError(message)",
        'self.stdout.write(_("Done."))',
        'name = models.CharField(verbose_name=_("Name"))',
        'class Status(models.TextChoices):\n    OPEN = "open", _("Open")',
    ],
)
def test_a_marked_text_is_not_reported(source, tmp_path):
    module = tmp_path / "models.py"
    module.write_text(source)

    assert bare_texts(module) == []


# Chinese first, English on request; the code is the same in both


@pytest.mark.django_db
def test_a_refusal_has_the_same_code_in_chinese_and_english_and_a_message_in_each(client):
    chinese = client.post("/api/v1/auth/login", {}, content_type="application/json")
    english = client.post(
        "/api/v1/auth/login", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert chinese.status_code == english.status_code == 400
    assert chinese["Content-Language"] == "zh-hans"
    assert english["Content-Language"] == "en"
    chinese, english = chinese.json()["error"], english.json()["error"]
    assert chinese["code"] == english["code"] == "invalid"
    assert chinese["message"] == "请求中有字段无效。"
    assert english["message"] == "The request has invalid fields."
    # DRF's own messages come in Chinese too, from its zh_Hans catalogue.
    assert chinese["fields"] == {"username": ["该字段是必填项。"], "password": ["该字段是必填项。"]}
    assert english["fields"] == {
        "username": ["This field is required."],
        "password": ["This field is required."],
    }


@pytest.mark.django_db
def test_an_unsupported_language_falls_back_to_chinese(client):
    response = client.post(
        "/api/v1/auth/login", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert response.json()["error"]["message"] == "请求中有字段无效。"


@pytest.mark.django_db
def test_the_admin_switches_language_and_keeps_the_choice(client):
    page = client.get("/admin/login/").content.decode()
    assert "登录" in page
    assert 'name="language" value="en"' in page

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/"
    page = client.get("/admin/login/").content.decode()
    assert "Log in" in page
    assert 'name="language" value="zh-hans"' in page
    assert "简体中文" in page


@pytest.mark.django_db
def test_the_signed_in_admin_has_the_language_switch_in_its_user_links(admin_client):
    page = admin_client.get("/admin/").content.decode()

    assert 'class="language-switch"' in page
    assert 'name="language" value="en"' in page
    assert "业务管理后台" in page  # the index title set in config/urls.py


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "C.UTF-8"}, "zh-hans"),
        ({"LC_ALL": "fr_FR.UTF-8"}, "zh-hans"),
        ({"LANGUAGE": "fr:en", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "zh-hans"),
    ],
)
def test_a_command_speaks_the_shells_language_when_the_platform_has_it(monkeypatch, environment, language):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)

    assert command_language() == language


# Compiled with Python alone


PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Insured person"
msgstr "参保人"

#, fuzzy
msgid "Account"
msgstr "个人账户"
"""


def test_catalogues_compile_without_gnu_gettext_leaving_fuzzy_entries_out(tmp_path, settings):
    messages = tmp_path / "locale" / LOCALE / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(PO)
    settings.LOCALE_PATHS = [tmp_path / "locale"]

    compiled = translations_compile()

    assert messages / "django.po" in compiled
    with (messages / "django.mo").open("rb") as stream:
        catalogue = gettext.GNUTranslations(stream)
    assert catalogue.gettext("Insured person") == "参保人"
    assert catalogue.gettext("Account") == "Account"
    assert messages / "django.po" not in translations_compile()  # up to date: left alone
    assert messages / "django.po" in translations_compile(force=True)


def test_the_compile_command_reports_what_it_compiled(tmp_path, settings):
    messages = tmp_path / "locale" / LOCALE / "LC_MESSAGES"
    messages.mkdir(parents=True)
    (messages / "django.po").write_text(PO)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    output = io.StringIO()

    with translation.override("en"):
        call_command("compile_translations", stdout=output)
        call_command("compile_translations", stdout=output)

    assert output.getvalue().splitlines()[-1] == "Every translation catalogue is up to date."
    assert f"Compiled {messages / 'django.mo'}" in output.getvalue()


@pytest.mark.parametrize("folder", [".venv", ".data", "node_modules"])
def test_a_library_inside_the_checkout_is_not_the_projects(folder, tmp_path, settings):
    settings.BASE_DIR = tmp_path
    library = tmp_path / folder / "lib" / "site" / "admin"
    library.mkdir(parents=True)
    (tmp_path / "accounts").mkdir()

    assert not is_project_path(library)
    assert is_project_path(tmp_path / "accounts")
    assert not is_project_path(tmp_path.parent)
