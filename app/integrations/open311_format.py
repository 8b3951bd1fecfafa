"""Open311 GeoReport v2 answers and errors, as JSON or XML (incoming XML is never parsed)."""
import json
import xml.etree.ElementTree as ET
from typing import Any

from fastapi.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    """An error answered as [{"code", "description"}] with the same HTTP status."""

    def __init__(self, status: int, description: str):
        super().__init__(description)
        self.status = status
        self.description = description


def check_format(value: str) -> str:
    """The answer format of a path's `.{fmt}`, or a 400."""
    if value not in FORMATS:
        raise Open311Error(400, "형식은 .json 또는 .xml 이어야 합니다.")
    return value


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            node.append(_element(key, inner))
    elif isinstance(value, list):
        child_tag = {"values": "value", "attributes": "attribute", "formats": "format",
                     "endpoints": "endpoint"}.get(tag, "item")
        for inner in value:
            node.append(_element(child_tag, inner))
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
    return node


def render(fmt: str, data: Any, root: str, item: str | None = None, status: int = 200) -> Response:
    """JSON as is, or XML: a list becomes <root><item>..</item></root>, a dict <root>..</root>."""
    if fmt == "json":
        return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type=FORMATS["json"])
    if isinstance(data, list):
        node = ET.Element(root)
        for entry in data:
            node.append(_element(item or "item", entry))
    else:
        node = _element(root, data)
    body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(node, encoding="unicode").encode()
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def error(fmt: str, status: int, description: str) -> Response:
    """Open311 errors: a list of {code, description}, in the caller's format (JSON if unknown)."""
    return render(fmt if fmt in FORMATS else "json", [{"code": status, "description": description}], "errors",
                  "error", status=status)
