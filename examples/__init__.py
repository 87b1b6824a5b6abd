"""Examples of the emulator serving APIs other than xo's (see the README)."""
