"""Turn pydantic validation errors into one readable line per problem.

Each line names the file, the field path (``zones[0].floor_area_m2``), the bad value and
what would be valid, e.g.::

    scenarios/x.toml: zones[0].floor_area_m2 = -5: must be > 0
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

_UNION_TAGS = {"synthetic", "epw"}


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in _UNION_TAGS and i > 0:
            continue  # discriminated-union tag inserted by pydantic, not a real key
        elif out and not str(part).isidentifier():
            out += f"[{str(part)!r}]"  # a dict key such as a map character: legend['#']
        else:
            out += ("." if out else "") + str(part)
    return out or "<top level>"


def _unwrap(tp: Any) -> list[Any]:
    """All model classes reachable from an annotation (through tuples, unions, Annotated)."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin in (tuple, list, typing.Union, types.UnionType):
        found = []
        for arg in typing.get_args(tp):
            found += _unwrap(arg)
        return found
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return []


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that owns the last key of ``loc`` (for listing valid keys)."""
    model: type[BaseModel] = root
    parts = loc[:-1]
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(part, int):
            i += 1
            continue
        field = model.model_fields.get(part)
        candidates = _unwrap(field.annotation) if field is not None else []
        if not candidates:
            return None
        if len(candidates) > 1:  # a tagged union: pydantic puts the tag next in loc
            tag = parts[i + 1] if i + 1 < len(parts) else None
            tagged = [
                c for c in candidates if getattr(c.model_fields.get("kind"), "default", None) == tag
            ]
            if not tagged:
                return None
            model, i = tagged[0], i + 2
            continue
        model, i = candidates[0], i + 1
    return model


def _value(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx", {})
    if kind == "greater_than":
        return f"must be > {ctx['gt']}"
    if kind == "greater_than_equal":
        return f"must be >= {ctx['ge']}"
    if kind == "less_than":
        return f"must be < {ctx['lt']}"
    if kind == "less_than_equal":
        return f"must be <= {ctx['le']}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    msg: str = err["msg"]
    return msg[0].lower() + msg[1:] if msg else kind


def format_validation_error(exc: ValidationError, root: type[BaseModel], source: str) -> str:
    """One line per problem: ``source: field.path = value: what is wrong / what is valid``."""
    lines = []
    errors = exc.errors(include_url=False)
    item_locs = [tuple(e["loc"]) for e in errors]
    for err in errors:
        loc = tuple(err["loc"])
        if err["type"] in ("too_short", "too_long") and any(
            len(other) > len(loc) and other[: len(loc)] == loc for other in item_locs
        ):
            continue  # a bad item already reported; its dropping is what shortened the list
        path = _path(loc)
        kind = err["type"]
        if kind == "extra_forbidden":
            owner = _model_at(root, loc)
            valid = ", ".join(sorted(owner.model_fields)) if owner else "see the schema"
            lines.append(f"{source}: {path}: unknown key; valid keys here: {valid}")
        elif kind == "missing":
            lines.append(f"{source}: {path}: required field is missing")
        elif kind == "value_error":
            where = f"{path}: " if loc else ""
            lines.append(f"{source}: {where}{_problem(err)}")
        elif kind == "union_tag_invalid":
            lines.append(
                f"{source}: {path}.kind = {_value(err['input'].get('kind'))}: "
                f"must be one of {ctx_tags(err)}"
            )
        else:
            lines.append(f"{source}: {path} = {_value(err.get('input'))}: {_problem(err)}")
    return "\n".join(lines)


def ctx_tags(err: Mapping[str, Any]) -> str:
    """Expected discriminator values of a tagged union error."""
    return str(err.get("ctx", {}).get("expected_tags", "a known kind"))
