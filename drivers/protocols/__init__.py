"""Pure byte decoders/encoders for each supported sensor family: bytes in, samples out, never raising."""
