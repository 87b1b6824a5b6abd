"""Lambda handlers for xo: one thin module per API Gateway route, over `game`.

The same modules run in AWS Lambda and in the local emulator. They read their
settings from environment variables only (see `functions.settings`) and never
ask where they run.
"""
