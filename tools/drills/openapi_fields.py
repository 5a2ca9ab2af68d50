"""The text fields of every JSON request body in Covenant's OpenAPI document, read with a small YAML subset
parser (block maps, `- ` lists, flow maps and lists, `>-` folded text) so the leak drill needs no third-party
package. `python3 openapi_fields.py [FILE]` prints them."""
import re, sys


def parse_yaml(text):
    """Parses the subset of YAML the OpenAPI document uses into dicts, lists and strings."""
    lines = []
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        lines.append((len(raw) - len(raw.lstrip(" ")), raw.strip()))
    value, _ = _block(lines, 0, lines[0][0])
    return value


def _block(lines, index, indent):
    if lines[index][1].startswith("- "):
        return _list(lines, index, indent)
    result = {}
    while index < len(lines) and lines[index][0] == indent and not lines[index][1].startswith("- "):
        key, _, rest = lines[index][1].partition(":")
        key, rest = key.strip().strip('"'), rest.strip()
        index += 1
        if rest in ("", ">-", ">", "|", "|-"):
            if index < len(lines) and lines[index][0] > indent:
                if rest:  # folded text: skip its lines
                    while index < len(lines) and lines[index][0] > indent:
                        index += 1
                    result[key] = ""
                else:
                    result[key], index = _block(lines, index, lines[index][0])
            else:
                result[key] = None
        else:
            result[key] = _flow(rest)
    return result, index


def _list(lines, index, indent):
    items = []
    while index < len(lines) and lines[index][0] == indent and lines[index][1].startswith("- "):
        items.append(_flow(lines[index][1][2:].strip()))
        index += 1
    return items, index


def _flow(text):
    """A flow value: `{ a: b, c: [d, e] }`, `[x, y]`, a quoted or a plain scalar."""
    value, rest = _flow_value(text.strip(), 0)
    return value


def _flow_value(text, i):
    while i < len(text) and text[i] == " ":
        i += 1
    if i < len(text) and text[i] == "{":
        result, i = {}, i + 1
        while True:
            while text[i] in " ,":
                i += 1
            if text[i] == "}":
                return result, i + 1
            colon = text.index(":", i)
            key = text[i:colon].strip().strip('"')
            result[key], i = _flow_value(text, colon + 1)
    if i < len(text) and text[i] == "[":
        result, i = [], i + 1
        while True:
            while text[i] in " ,":
                i += 1
            if text[i] == "]":
                return result, i + 1
            item, i = _flow_value(text, i)
            result.append(item)
    if i < len(text) and text[i] in "\"'":
        end = text.index(text[i], i + 1)
        return text[i + 1:end], end + 1
    match = re.compile(r"[^,}\]]*").match(text, i)
    return match.group(0).strip(), match.end()


def string_fields(schema, schemas, prefix=""):
    """Paths of every string in a schema: `a`, `a.b` for nested objects, `a[0]` for arrays of strings."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        return string_fields(schemas.get(schema["$ref"].rsplit("/", 1)[-1], {}), schemas, prefix)
    kind = schema.get("type")
    if kind == "string":
        return [(prefix, schema.get("enum"))]
    if kind == "array":
        return string_fields(schema.get("items", {}), schemas, prefix + "[0]")
    found = []
    for name, inner in (schema.get("properties") or {}).items():
        found += string_fields(inner, schemas, f"{prefix}.{name}" if prefix else name)
    return found


def json_operations(document):
    """(method, path template, operationId, [(field path, enum or None)]) for every JSON request body."""
    schemas = document.get("components", {}).get("schemas", {})
    operations = []
    for path, methods in document.get("paths", {}).items():
        for method, operation in (methods or {}).items():
            body = (operation or {}).get("requestBody") or {}
            schema = ((body.get("content") or {}).get("application/json") or {}).get("schema")
            if schema is not None:
                operations.append((method.upper(), path, operation.get("operationId"),
                                   string_fields(schema, schemas)))
    return operations


if __name__ == "__main__":
    with open(sys.argv[1] if len(sys.argv) > 1 else "Sources/App/Resources/openapi.yaml") as file:
        document = parse_yaml(file.read())
    for method, path, operation_id, fields in json_operations(document):
        print(f"{method:6} {path:50} {operation_id:32} {', '.join(f for f, _ in fields) or '-'}")
