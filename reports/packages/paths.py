"""Names inside a package: safe on Windows and Linux, length-limited, unique within a folder."""

import re
import unicodedata

FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_COMPONENT = 60  # characters; Windows' 260-character path limit leaves room for a few levels


def safe_component(text: str, *, limit: int = MAX_COMPONENT, fallback: str = "未命名") -> str:
    """One folder or file name: no \\ / : * ? \" < > | or control characters, no trailing dots or
    spaces, no reserved device names, at most ``limit`` characters (the extension is kept)."""
    text = unicodedata.normalize("NFC", text or "")
    text = re.sub(r"\s+", " ", text)  # line breaks and tabs in a title become spaces
    text = FORBIDDEN.sub("_", text).strip().rstrip(". ")
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext) > 8 or not stem:
        stem, ext = text, ""
    ext = f".{ext}" if ext else ""
    stem = stem[: max(limit - len(ext), 1)].rstrip(". ") or fallback
    if stem.split(".")[0].upper() in RESERVED:
        stem = f"_{stem}"
    return f"{stem}{ext}"


def unique_in_folder(name: str, taken: set[str]) -> str:
    """``name`` or ``name-2``, ``name-3`` … (before the extension), deterministic by call order."""
    candidate, n = name, 2
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    while candidate.lower() in taken:
        candidate = f"{stem}-{n}" + (f".{ext}" if ext else "")
        n += 1
    taken.add(candidate.lower())
    return candidate


def join(*parts: str) -> str:
    """An archive path from safe components; never absolute, never with '..'."""
    clean = [p for p in parts if p and p not in (".", "..")]
    return "/".join(clean)
