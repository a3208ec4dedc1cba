"""The staff dashboard: page routers, read-only view queries, translations and rendering."""
