"""The controller's SQLite store: connections, the write lock and the schema migrations."""
