"""The staff dashboard: server-rendered pages, their queries, i18n and form handlers."""
