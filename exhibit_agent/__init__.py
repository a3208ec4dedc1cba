"""The Pi-side exhibit agent: outbox drain, desired-state reconcile, sensors, health."""

__version__ = "0.1.0"
