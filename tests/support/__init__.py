"""Shared test fixtures: a real sandbox server on a loopback port, and a real webhook receiver."""
