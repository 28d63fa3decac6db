"""Validate stage: turn loaded YAML into a typed model, every error tied to a line."""

from __future__ import annotations

import difflib
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from handoutgen.errors import ErrorList, HandoutgenError, Location, SourceError
from handoutgen.load import Loaded, dotted
from handoutgen.model import PATTERN_HELP

M = TypeVar("M", bound=BaseModel)


def _field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every field name in ``model`` and the models nested in it (for typo hints)."""
    seen = set() if seen is None else seen
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for info in model.model_fields.values():
        for candidate in _nested_models(info.annotation):
            names |= _field_names(candidate, seen)
    return names


def _nested_models(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()):
        found += _nested_models(arg)
    return found


def _message(error: ErrorDetails, known: set[str]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(error["loc"][-1])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown key '{key}'{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern: str = error.get("ctx", {}).get("pattern", "")
        return f"'{error['input']}' is not valid: {PATTERN_HELP.get(pattern, error['msg'])}"
    message = error["msg"].removeprefix("Value error, ")
    if kind in {"string_type", "list_type", "dict_type", "model_type", "date_type", "date_from_datetime_parsing"}:
        got = type(error.get("input")).__name__
        message = f"{message} (got {got})"
    return message


def validate(loaded: Loaded, model: type[M]) -> M:
    """Build ``model`` from ``loaded``; raise ErrorList naming file, line and field of each problem."""
    try:
        return model.model_validate(loaded.data)
    except ValidationError as exc:
        known = _field_names(model)
        errors: list[HandoutgenError] = []
        for error in exc.errors(include_url=False):
            # A field that may be text, a list or an object names the branch as a "<tag>" (model.py):
            # the location is the field as written, without it.
            loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("<")))
            field = dotted(loc[:-1] if error["type"] == "extra_forbidden" else loc)
            errors.append(
                SourceError(
                    _message(error, known),
                    Location(loaded.path, loaded.line_of(loc), field or None),
                )
            )
        errors.sort(key=lambda e: e.location.line or 0)
        raise ErrorList(errors) from None
