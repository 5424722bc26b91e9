"""Raw input to clean text: reading files (ingest), repair and HTML-to-text (clean), offsets back to the raw record (alignment), language detection."""

from pathlib import PurePath


def is_hidden(relative_path: str) -> bool:
    """Whether ingest skips a file: a part of its path inside the input folder starts with
    "." (.DS_Store, .git/...)."""
    return any(part.startswith(".") for part in PurePath(relative_path).parts)
