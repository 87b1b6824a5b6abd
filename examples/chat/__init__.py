"""A chat API with a REQUEST authorizer, served by the emulator: ``python -m examples.chat``."""
