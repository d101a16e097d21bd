"""A small JSON Schema validator: the subset ``trace_schema.json`` uses.

Keywords: ``type`` (object, array, string, integer, number, boolean, null),
``required``, ``properties``, ``additionalProperties`` (false or a schema),
``items``, ``enum``, ``const``, ``minimum``, ``oneOf``. Unknown keywords
(``$schema``, ``$id``, ``title``) are ignored. mcusim has no dependency on
the ``jsonschema`` package; where it is installed it gives the same verdicts
on these files.
"""

from __future__ import annotations

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def errors(value, schema: dict, path: str = "$") -> list[str]:
    """Every violation of `schema` by `value`, as "path: what" strings (empty: valid)."""
    out: list[str] = []
    if "type" in schema and not _is(value, schema["type"]):
        return [f"{path}: expected {schema['type']}, got {type(value).__name__}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{path}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{path}: {value!r} is not one of {schema['enum']!r}")
    if "minimum" in schema and _is(value, "number") and value < schema["minimum"]:
        out.append(f"{path}: {value!r} < minimum {schema['minimum']!r}")
    if isinstance(value, dict):
        for key in schema.get("required", ()):
            if key not in value:
                out.append(f"{path}: missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                out += errors(v, props[key], f"{path}.{key}")
            elif extra is False:
                out.append(f"{path}: unexpected property {key!r}")
            elif isinstance(extra, dict):
                out += errors(v, extra, f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            out += errors(v, schema["items"], f"{path}[{i}]")
    if "oneOf" in schema:
        results = [errors(value, s, path) for s in schema["oneOf"]]
        ok = sum(1 for r in results if not r)
        if ok != 1:
            best = min(results, key=len)
            out.append(f"{path}: matches {ok} of the oneOf schemas (exactly one expected)"
                       + (f"; nearest: {best[0]}" if ok == 0 and best else ""))
    return out


__all__ = ["errors"]
