"""`xo web`: the page and its config served locally beside the emulator, without a browser."""

from __future__ import annotations

import json
import re
import signal
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from client.exitcodes import ExitCode
from client.page import CONFIG_FILE, PAGE_DIR, page_config, page_files
from tests.web.servers import START_TIMEOUT_S, WebServer, start_xo_web

PAGE = {
    "index.html": "text/html; charset=utf-8",
    "xo.css": "text/css; charset=utf-8",
    "xo.js": "text/javascript; charset=utf-8",
}


def get(url: str) -> tuple[int, str, bytes]:
    """Status, content type and body of a GET."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_xo_web_prints_the_page_address_first_and_serves_the_page(xo_web: WebServer) -> None:
    """The first line is the page's http:// address on loopback; the page and each of its files
    come with their content type, and nothing else is served."""
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", xo_web.page_url), xo_web.page_url
    status, content_type, body = get(xo_web.page_url)
    assert (status, content_type) == (200, PAGE["index.html"])
    assert body == (PAGE_DIR / "index.html").read_bytes()
    for name, expected in PAGE.items():
        status, content_type, body = get(xo_web.page_url + name)
        assert (status, content_type) == (200, expected), name
        assert body == (PAGE_DIR / name).read_bytes(), name
    for missing in ["nothing.html", "..%2Fpyproject.toml", "web/", "client/web.py"]:
        assert get(xo_web.page_url + missing)[0] == 404, missing


def test_the_config_beside_the_page_names_the_local_emulator_that_plays(
    xo_web: WebServer,
) -> None:
    """config.json gives the page the emulator's ws:// URL, and a game starts there."""
    status, content_type, body = get(xo_web.page_url + CONFIG_FILE)
    assert (status, content_type) == (200, "application/json")
    url = json.loads(body)["websocketUrl"]
    assert re.fullmatch(r"ws://127\.0\.0\.1:\d+/local", url), url
    with connect(url) as ws:
        ws.send(json.dumps({"type": "start"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "init"


def test_xo_web_stops_on_ctrl_c() -> None:
    """Ctrl-C stops both servers; the exit code says it was interrupted."""
    server = start_xo_web()
    server.command.process.send_signal(signal.SIGINT)
    assert server.command.process.wait(START_TIMEOUT_S) == ExitCode.INTERRUPTED
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.page_url, timeout=5)


def test_page_files_lists_the_page_with_content_types(tmp_path: Path) -> None:
    """The page is exactly its HTML, CSS and script; a file of another kind, or a config.json kept
    in web/, is refused rather than served with a guessed type."""
    assert page_files() == PAGE
    (tmp_path / "logo.svg").write_text("<svg/>")
    with pytest.raises(ValueError, match=r"no content type for '\.svg'"):
        page_files(tmp_path)
    (tmp_path / "logo.svg").unlink()
    (tmp_path / CONFIG_FILE).write_text("{}")
    with pytest.raises(ValueError, match="is generated"):
        page_files(tmp_path)


def test_page_config_holds_the_websocket_url() -> None:
    assert json.loads(page_config("wss://abc.example/dev")) == {
        "websocketUrl": "wss://abc.example/dev"
    }


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """Every address the page's HTML and CSS name is one of its own files (or inline data): it
    works offline and from any host."""
    html = (PAGE_DIR / "index.html").read_text()
    css = (PAGE_DIR / "xo.css").read_text()
    addresses = re.findall(r'(?:src|href)="([^"]*)"', html) + re.findall(r"url\(([^)]*)\)", css)
    assert addresses, "no addresses found: the pattern is wrong"
    for address in addresses:
        assert address in PAGE or address.startswith(("data:", "?")), address
