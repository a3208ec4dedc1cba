"""Displays and devices on the venue's schedule: when (schedule), how (backends), and who decides (keeper)."""
