"""`xo web`: the browser page (`web/`, see `client.page`) served locally beside the emulator.

- `run_web(host, port, ready)` is `xo web`: it starts xo's local emulator in this process,
  as `xo new` does, and serves the page and its `config.json` over plain HTTP on `host`
  (loopback by default) until Ctrl-C. The emulator's WebSocket endpoint is unchanged: the
  page is served from its own port, as CloudFront serves it beside API Gateway on AWS.

`web` is the Typer command `client.app` registers.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Annotated, Any, ClassVar

import typer

from client.page import CONFIG_CONTENT_TYPE, CONFIG_FILE, PAGE_DIR, page_config, page_files


class PageHandler(SimpleHTTPRequestHandler):
    """Serves the page's files and `config.json`, nothing else: no directory listings, no
    other paths. Set `files` (name -> content type) and `config` on a subclass."""

    files: ClassVar[dict[str, str]] = {}
    config: ClassVar[str] = ""
    server_version = "xo-web"

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        name = self.path.split("?", 1)[0].split("#", 1)[0].lstrip("/") or "index.html"
        if name == CONFIG_FILE:
            data, content_type = self.config.encode(), CONFIG_CONTENT_TYPE
        elif name in self.files:
            data, content_type = (PAGE_DIR / name).read_bytes(), self.files[name]
        else:
            self.send_error(HTTPStatus.NOT_FOUND, "Not found")
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: the page's requests are not worth a line each."""


def page_server(host: str, port: int, websocket_url: str) -> ThreadingHTTPServer:
    """An HTTP server (bound, not yet serving) for the page, pointing it at `websocket_url`.

    Raises OSError when the port cannot be bound.
    """
    handler = type(
        "XoPageHandler",
        (PageHandler,),
        {"files": page_files(), "config": page_config(websocket_url)},
    )
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def page_url(server: ThreadingHTTPServer) -> str:
    """The `http://` address a browser opens."""
    host, port = str(server.server_address[0]), int(server.server_address[1])
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


@contextlib.contextmanager
def serving(host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[tuple[str, str]]:
    """Serve the local emulator and the page from threads of this process while the block runs;
    yields (page URL, WebSocket URL). ``options`` go to the emulator."""
    from client.local import start_in_background

    websocket_url, stop_emulator = start_in_background(host, **options)
    try:
        server = page_server(host, port, websocket_url)
        try:
            thread = threading.Thread(target=server.serve_forever, name="xo-web", daemon=True)
            thread.start()
            yield page_url(server), websocket_url
        finally:
            server.shutdown()
            server.server_close()
    finally:
        stop_emulator()


def run_web(
    host: str = "127.0.0.1", port: int = 0, ready: Callable[[str, str], None] | None = None
) -> None:
    """Serve the page and the local emulator until SIGINT or SIGTERM; ``ready(page_url,
    websocket_url)`` is called once both are up. Raises OSError when a port cannot be bound."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        with serving(host, port) as (url, websocket_url):
            if ready is not None:
                ready(url, websocket_url)
            while not stop.wait(0.5):
                pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def web(
    host: Annotated[
        str, typer.Option("--host", help="The address both servers listen on.")
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="The page's HTTP port; 0 picks a free one."),
    ] = 0,
) -> None:
    """Play in a browser: serve the page and a local game server, until Ctrl-C.

    Prints the page's http:// address alone on the first line; open it to start a game, and
    share the join link it shows with the second player (another browser or tab).
    """
    from client.exitcodes import ExitCode
    from client.share import this_command

    def ready(url: str, websocket_url: str) -> None:
        typer.echo(url)
        typer.echo(
            "Open that address in a browser to play. From a terminal, "
            f"`{this_command()} join {websocket_url}#GAME_ID` joins a game. "
            "Ctrl-C stops the servers.",
            err=True,
        )

    try:
        run_web(host, port, ready=ready)
    except KeyboardInterrupt:
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
    except OSError as error:
        typer.echo(f"Could not start the page's servers on {host}:{port}: {error}", err=True)
        raise typer.Exit(int(ExitCode.USAGE)) from None
