"""Tooling for the demo, the tests and the benchmarks: a private Mosquitto, uvicorn in a thread, seed data.

Not used by `kepu-controller serve`.
"""
