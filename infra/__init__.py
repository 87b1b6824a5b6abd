"""The Pulumi side of xo: the `XoStack` component and the pieces it is built from.

- `infra.websocket_game`: `XoStack` and its typed `XoStackArgs` (with the stack settings).
- `infra.policies`: IAM policy documents as plain dictionaries (pure, unit tested directly).
- `infra.archive`: which files go into the Lambda deployment archive.

Nothing here runs in Lambda; `__main__.py` at the repository root wires it up.
"""
