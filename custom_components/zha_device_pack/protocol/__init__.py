"""Pure encoders and decoders for the device protocols this pack speaks (no I/O)."""
