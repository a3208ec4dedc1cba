"""The controller's domain: venues, rotations, packs, campaigns, emergencies, statistics, reports, users.

Pure functions over the database; no HTTP, no MQTT.
"""
