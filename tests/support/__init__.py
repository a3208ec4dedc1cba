"""Helpers shared by the tests (not collected): brokers and agents, controller stacks, seed data, end-to-end processes."""
