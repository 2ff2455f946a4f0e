"""ImmigraFlow operation handlers, one module per tag of the spec."""
