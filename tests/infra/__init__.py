"""Tests of the Pulumi program (`__main__.py`, `infra/`), run against Pulumi mocks."""
