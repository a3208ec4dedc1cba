"""The kepu controller: fleet, venues, rotations, campaigns, emergencies, ingest, reports."""
