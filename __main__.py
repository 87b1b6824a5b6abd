"""xo on AWS: read the stack settings, build the game, export where to reach it.

Run with the Pulumi CLI (`pulumi up`); everything it creates is described in
`infra/websocket_game.py`, the settings in `XoStackArgs`.
"""

from pathlib import Path

import pulumi

from infra.web import publish_page, web_enabled
from infra.websocket_game import XoStack, XoStackArgs

config = pulumi.Config()
args = XoStackArgs.from_config(config, source_root=Path(__file__).resolve().parent)
game = XoStack("xo", args)

pulumi.export("websocketUrl", game.websocket_url)
pulumi.export("tableName", game.table_name)
pulumi.export("apiId", game.api_id)
if web_enabled(config):  # the browser page (infra/web.py), unless xo:web is false
    page = publish_page("xo-web", game.websocket_url, parent=game, tags=game.tags)
    pulumi.export("webUrl", page.url)
