"""Venues without a network: packs arrive and events leave on a USB stick (kepu_contracts.sneakernet has the files)."""
