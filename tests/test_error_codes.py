"""Every stable error code is declared once, in the catalogue of the app that raises it (`<app>/errors.py`,
`ERRORS`), with the status it answers with; and every declared code is raised.

The raise sites are read from the source. A code constructor is an error class that takes a `code`
(ApplicationError and its subclasses, the imports' CellError), a record of a row's error with a `code`
field (RowError), or a helper that passes its own `code` parameter on to one (`_field_error`); a literal
given to one as its code, or as `code=`, is raised there, and so is the literal of a
`super().__init__("code", ...)` in an error class. Django's and DRF's exceptions take theirs as `code=`.
The admin site answers with forms, not codes, so it is not read.
"""

from __future__ import annotations

import ast
import importlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework import status as http

from core.errors import ErrorCode
from core.exceptions import _DRF_CODES

ROOT = Path(__file__).resolve().parent.parent
# Lower first (STYLE.md, "Layering between apps"): an app raises its own codes and those of the apps below.
APPS = ("core", "accounts", "insurance", "cards", "certification", "imports")
CATALOGUED = tuple(app for app in APPS if (ROOT / app / "errors.py").exists())
IMPORT = "import"  # the status of a site that an import reports, not a response
# Builders of the error envelope and of a job's failure: they take a code as data, and where it goes
# (the envelope's `code`, a job's `failure_code`) is no error class.
_CODE_TAKERS = {"error_body": (0, None), "_finish": (None, IMPORT)}
# Outside error classes (Django's and DRF's), which take a code by keyword.
_OUTSIDE_ERROR = ("Error", "Exception", "Failed", "Denied", "NotFound")


@dataclass(frozen=True)
class RaiseSite:
    app: str
    code: str
    status: int | str | None  # an HTTP status, IMPORT, or None where the site does not fix one
    where: str


@dataclass(frozen=True)
class _Constructor:
    position: int | None  # of the code among the positional arguments; None: by keyword only
    status: int | str | None


@dataclass
class _Class:
    bases: list[str]
    init_params: list[str] | None  # its own __init__'s, without self
    status: int | None
    fields: list[str]


def _sources(app: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "migrations" in parts or "admin" in parts or path.name == "admin.py":
            continue
        yield path, ast.parse(path.read_text(), filename=str(path))


def _name(node: ast.expr) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""


def _params(function: ast.FunctionDef) -> tuple[list[str], list[str]]:
    arguments = function.args
    return [a.arg for a in (*arguments.posonlyargs, *arguments.args)], [a.arg for a in arguments.kwonlyargs]


def _status(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return node.value
    if isinstance(node, ast.Attribute) and node.attr.startswith("HTTP_"):
        return int(getattr(http, node.attr))  # status.HTTP_409_CONFLICT
    return None


def _classes(trees: list[ast.Module]) -> dict[str, _Class]:
    classes = {}
    for node in (node for tree in trees for node in ast.walk(tree)):
        if isinstance(node, ast.ClassDef):
            cls = _Class([_name(base) for base in node.bases], None, None, [])
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    positional, keyword = _params(item)
                    cls.init_params = positional[1:] + keyword
                elif isinstance(item, ast.Assign | ast.AnnAssign):
                    names = [
                        _name(t) for t in (item.targets if isinstance(item, ast.Assign) else [item.target])
                    ]
                    if "status_code" in names:
                        cls.status = _status(item.value)
                    elif isinstance(item, ast.AnnAssign):
                        cls.fields += names
            classes[node.name] = cls
    return classes


class _Source:
    """The code constructors of all the apps, and what each call of one raises."""

    def __init__(self, trees: list[ast.Module]) -> None:
        self.classes = _classes(trees)
        self.constructors = {name: _Constructor(*taker) for name, taker in _CODE_TAKERS.items()}
        for name, cls in self.classes.items():
            chain = self._lineage(name)
            outside = chain[-1] not in self.classes
            if "ApplicationError" in chain or (outside and chain[-1].endswith(_OUTSIDE_ERROR)):
                own = next((self.classes[c].init_params for c in chain if self._has_init(c)), None)
                if own is not None and "code" in own:
                    self.constructors[name] = _Constructor(own.index("code"), self.class_status(name))
            elif name.endswith("Error") and "code" in cls.fields:  # a record of a row's error
                self.constructors[name] = _Constructor(cls.fields.index("code"), IMPORT)
        while self._find_helpers(trees):
            pass

    def _lineage(self, name: str) -> list[str]:
        chain = [name]
        while chain[-1] in self.classes and self.classes[chain[-1]].bases:
            base = self.classes[chain[-1]].bases[0]
            if (
                base in chain
            ):  # an outside class of the same name (class DatabaseWrapper(base.DatabaseWrapper))
                break
            chain.append(base)
        return chain

    def _has_init(self, name: str) -> bool:
        return name in self.classes and self.classes[name].init_params is not None

    def class_status(self, name: str) -> int | str | None:
        chain = self._lineage(name)
        if "ApplicationError" not in chain:
            return IMPORT  # an error outside the API's: an import's cell error
        return next(self.classes[c].status for c in chain if c in self.classes and self.classes[c].status)

    def _find_helpers(self, trees: list[ast.Module]) -> bool:
        """Functions that build an error from their own `code` parameter become constructors too."""
        found = False
        for node in (node for tree in trees for node in ast.walk(tree)):
            if not isinstance(node, ast.FunctionDef) or node.name in self.constructors:
                continue
            positional, keyword = _params(node)
            # error_class = ConflictError if conflict else ApplicationError; error_class(code, ...)
            chosen = {
                _name(assign.targets[0]): [
                    _name(e) for e in ast.walk(assign.value) if isinstance(e, ast.Name)
                ]
                for assign in ast.walk(node)
                if isinstance(assign, ast.Assign) and isinstance(assign.value, ast.IfExp | ast.Name)
            }
            statuses = set()
            for call in (call for call in ast.walk(node) if isinstance(call, ast.Call)):
                for name in chosen.get(_name(call.func), [_name(call.func)]):
                    constructor = self.constructors.get(name)
                    given = self.code_given(call, constructor) if constructor else None
                    if constructor and isinstance(given, ast.Name) and given.id == "code":
                        statuses.add(constructor.status)
            if statuses and "code" in positional + keyword:
                position = positional.index("code") if "code" in positional else None
                status = statuses.pop() if len(statuses) == 1 else None
                self.constructors[node.name] = _Constructor(position, status)
                found = True
        return found

    def constructor_of(
        self, call: ast.Call, enclosing: str | None
    ) -> tuple[_Constructor | None, int | str | None]:
        """The constructor a call makes an error with, and the status of what it makes."""
        func = call.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "__init__"
            and isinstance(func.value, ast.Call)
            and _name(func.value.func) == "super"
        ):
            if enclosing is None or not self.classes[enclosing].bases:
                return None, None
            parent = self.constructors.get(self.classes[enclosing].bases[0])
            return parent, self.class_status(enclosing) if parent else None
        name = _name(func)
        if name in self.constructors:
            return self.constructors[name], self.constructors[name].status
        if name.endswith(_OUTSIDE_ERROR):
            return _Constructor(None, None), None
        return None, None

    @staticmethod
    def code_given(call: ast.Call, constructor: _Constructor) -> ast.expr | None:
        keyword = next((k.value for k in call.keywords if k.arg == "code"), None)
        if keyword is not None:
            return keyword
        if constructor.position is not None and len(call.args) > constructor.position:
            return call.args[constructor.position]
        return None


class _Sites(ast.NodeVisitor):
    def __init__(self, source: _Source, app: str, where: str) -> None:
        self.source, self.app, self.where = source, app, where
        self.enclosing: list[str] = []
        self.sites: list[RaiseSite] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.enclosing.append(node.name)
        self.generic_visit(node)
        self.enclosing.pop()

    def visit_Call(self, node: ast.Call) -> None:
        constructor, status = self.source.constructor_of(node, self.enclosing[-1] if self.enclosing else None)
        given = self.source.code_given(node, constructor) if constructor else None
        if isinstance(given, ast.Constant) and isinstance(given.value, str):
            status_code = next((k.value for k in node.keywords if k.arg == "status_code"), None)
            if status_code is not None:
                status = _status(status_code)
            self.sites.append(RaiseSite(self.app, given.value, status, f"{self.where}:{node.lineno}"))
        self.generic_visit(node)


def raise_sites() -> list[RaiseSite]:
    """Every literal code given to a code constructor in the apps, and DRF's exceptions' codes (core's)."""
    modules = {app: list(_sources(app)) for app in APPS}
    source = _Source([tree for app in APPS for _, tree in modules[app]])
    sites = [
        RaiseSite("core", code, exception.status_code, "core/exceptions.py, _DRF_CODES")
        for exception, code in _DRF_CODES.items()
    ]
    for app in APPS:
        for path, tree in modules[app]:
            visitor = _Sites(source, app, str(path.relative_to(ROOT)))
            visitor.visit(tree)
            sites += visitor.sites
    return sites


SITES = raise_sites()
BY_APP: dict[str, dict[str, list[RaiseSite]]] = defaultdict(lambda: defaultdict(list))
for _site in SITES:
    BY_APP[_site.app][_site.code].append(_site)


def _catalogue(app: str) -> dict[str, ErrorCode]:
    errors = importlib.import_module(f"{app}.errors").ERRORS
    codes = [error.code for error in errors]
    assert len(codes) == len(set(codes)), f"{app}/errors.py declares a code twice"
    return {error.code: error for error in errors}


def _below(app: str) -> list[str]:
    return [lower for lower in APPS[: APPS.index(app) + 1] if lower in CATALOGUED]


def test_the_source_is_read():
    """The reading finds the kinds of raise site there are: a guard against a reader that finds nothing."""
    found = {(site.app, site.code, site.status) for site in SITES}
    assert {
        ("core", "not_found", 404),  # super().__init__ in NotFoundError
        ("core", "state_move_not_allowed", 409),  # super().__init__ in a ConflictError
        ("core", "throttled", 429),  # DRF's, through _DRF_CODES
        ("accounts", "username_taken", None),  # a helper that may make either of two classes
        ("accounts", "authentication_failed", None),  # DRF's AuthenticationFailed(code=...)
        ("insurance", "period_paid_elsewhere", 409),
        ("insurance", "person_not_found", 404),  # status_code= given
        ("imports", "file_too_large", 413),
        ("imports", "date_format", IMPORT),  # CellError
        ("imports", "row_too_many_cells", IMPORT),  # RowError
        ("imports", "scheme_unknown", IMPORT),  # a helper that passes its code on to CellError
        ("imports", "import_internal_error", IMPORT),  # a job's failure
    } <= found


@pytest.mark.parametrize("app", APPS)
def test_every_code_an_app_raises_is_declared_in_its_catalogue_or_one_below(app):
    declared = {code for lower in _below(app) for code in _catalogue(lower)}
    undeclared = {code: sites[0].where for code, sites in BY_APP[app].items() if code not in declared}
    assert undeclared == {}


@pytest.mark.parametrize("app", CATALOGUED)
def test_every_declared_code_is_raised_by_its_app(app):
    assert sorted(set(_catalogue(app)) - set(BY_APP[app])) == []


def test_no_code_is_declared_by_two_apps():
    apps_of = defaultdict(list)
    for app in CATALOGUED:
        for code in _catalogue(app):
            apps_of[code].append(app)
    assert {code: apps for code, apps in apps_of.items() if len(apps) > 1} == {}


def test_each_code_is_declared_with_the_status_it_is_raised_with():
    declared = {code: error for app in CATALOGUED for code, error in _catalogue(app).items()}
    wrong = {}
    for code, error in declared.items():
        sites = [site for app in APPS for site in BY_APP[app].get(code, [])]
        if not sites:
            continue  # a dead declaration, which the test above finds
        statuses = {site.status for site in sites if site.status not in (None, IMPORT)}
        # A code that only an import reports has no status; one that a response carries has its status.
        expected = statuses if statuses else ({None} if all(s.status == IMPORT for s in sites) else set())
        if expected and {error.status} != expected:
            wrong[code] = (error.status, sorted(map(str, expected)), sites[0].where)
    assert wrong == {}


def test_the_registry_holds_every_catalogue():
    from core.errors import declared_error_codes

    assert declared_error_codes() == {code: e for app in CATALOGUED for code, e in _catalogue(app).items()}
