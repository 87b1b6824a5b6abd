"""The browser page's files (`web/`) and the config file beside it: what `xo web` serves and the
Pulumi stack (`infra.web`) uploads. Standard library only, so the stack can import it.

- `PAGE_DIR` holds the page: `index.html`, `xo.css`, `xo.js`. `page_files()` lists them
  with their content types.
- The page reads its WebSocket URL from `config.json` beside it: `page_config(url)` is its
  text, the one format both `xo web` and the stack write.
"""

from __future__ import annotations

import json
from pathlib import Path

PAGE_DIR = Path(__file__).resolve().parent.parent / "web"
"""The page's files, in the checkout next to `client/`."""
CONFIG_FILE = "config.json"
"""The file beside the page that tells it where the game server is."""
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
}
"""The content type each of the page's files is served with, by suffix."""
CONFIG_CONTENT_TYPE = CONTENT_TYPES[".json"]


def page_files(directory: Path = PAGE_DIR) -> dict[str, str]:
    """The page's files in `directory`, name -> content type, sorted by name.

    Raises ValueError for a file whose suffix has no known content type (a file added to
    `web/` must be given one here, or it would be served with a browser's guess).
    """
    files: dict[str, str] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file():
            continue
        if path.name == CONFIG_FILE:
            raise ValueError(f"{path}: {CONFIG_FILE} is generated, not kept in {directory}")
        content_type = CONTENT_TYPES.get(path.suffix)
        if content_type is None:
            raise ValueError(f"{path}: no content type for {path.suffix!r} files")
        files[path.name] = content_type
    return files


def page_config(websocket_url: str) -> str:
    """The text of `config.json`: where the page connects to play."""
    return json.dumps({"websocketUrl": websocket_url}, indent=2) + "\n"
