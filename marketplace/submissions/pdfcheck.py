"""Active content in a PDF, found by a real parser (pikepdf on qpdf) after decompression.

Searching raw bytes misses JavaScript inside compressed object streams and name-escaped keys
(/J#61vaScript); qpdf decodes both, so every dictionary is seen as a reader would see it.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

# Keys that carry script, launch, embedded files or forms that post data somewhere.
ACTIVE_KEYS = {
    "/JS": "JavaScript", "/JavaScript": "JavaScript", "/EmbeddedFiles": "an embedded file", "/EF": "an embedded file",
    "/RichMedia": "embedded media (RichMedia)", "/XFA": "an XFA form", "/Launch": "an action that launches a program",
}
# Action types (/S) nobody needs in a job aid: they run code, open files or send data.
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript", "/Launch": "an action that launches a program", "/SubmitForm": "a form that submits data",
    "/ImportData": "an action that imports data", "/RichMediaExecute": "embedded media (RichMedia)",
    "/Rendition": "a media rendition action", "/GoToE": "a link into an embedded file",
}
# Actions that run by themselves when the document or a page opens: only plain navigation is allowed there.
AUTOMATIC = ("/OpenAction", "/AA")
MAX_OBJECTS = 200_000


def _action_type(value) -> str | None:  # noqa: ANN001 - any pikepdf object
    if isinstance(value, pikepdf.Dictionary):
        kind = value.get("/S")
        return str(kind) if kind is not None else None
    return None


def _automatic(key: str, value) -> str | None:  # noqa: ANN001
    """A reason when an open or additional action does more than go to a page."""
    actions = value.values() if key == "/AA" and isinstance(value, pikepdf.Dictionary) else [value]
    for action in actions:
        kind = _action_type(action)
        if kind is not None and kind not in {"/GoTo"}:
            return f"an action that runs when it is opened ({kind.lstrip('/')})"
    return None


def _problem(obj) -> str | None:  # noqa: ANN001 - a pikepdf Dictionary or Stream
    keys = set(obj.keys())
    for key in keys & ACTIVE_KEYS.keys():
        return ACTIVE_KEYS[key]
    kind = obj.get("/Type")
    if kind is not None and str(kind) == "/EmbeddedFile":
        return "an embedded file"
    if str(obj.get("/Type", "")) == "/Filespec" and "/EF" in keys:
        return "an embedded file"
    action = obj.get("/S")
    if action is not None and str(action) in ACTIVE_ACTIONS:
        return ACTIVE_ACTIONS[str(action)]
    for key in AUTOMATIC:
        if key in keys:
            reason = _automatic(key, obj[key])
            if reason:
                return reason
    return None


def _walk(root, seen: set, found: list[str]) -> None:  # noqa: ANN001
    """Depth-first over dictionaries and arrays, indirect objects once each (iterative: no recursion limit)."""
    stack = [root]
    while stack and not found:
        obj = stack.pop()
        if getattr(obj, "is_indirect", False):
            key = obj.objgen
            if key in seen or len(seen) > MAX_OBJECTS:
                continue
            seen.add(key)
        if isinstance(obj, pikepdf.Stream):
            obj = obj.stream_dict
        if isinstance(obj, pikepdf.Dictionary):
            reason = _problem(obj)
            if reason:
                found.append(reason)
                return
            stack.extend(obj.values())
        elif isinstance(obj, pikepdf.Array):
            stack.extend(obj)


def active_content(path: Path) -> str | None:
    """Why this PDF is refused (active content, encryption or damage), or None when it is plain."""
    try:
        with pikepdf.open(path) as pdf:
            if pdf.is_encrypted:
                return "it is encrypted, so its contents cannot be checked"
            found: list[str] = []
            seen: set = set()
            _walk(pdf.trailer, seen, found)
            for obj in pdf.objects:  # objects nothing references are checked too
                if found:
                    break
                _walk(obj, seen, found)
            return f"it contains {found[0]}" if found else None
    except pikepdf.PasswordError:
        return "it is protected by a password, so its contents cannot be checked"
    except (pikepdf.PdfError, OSError, ValueError, RecursionError) as error:
        return f"it is damaged and could not be read ({type(error).__name__})"
