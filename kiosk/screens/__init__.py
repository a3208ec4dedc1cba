"""The screens a visitor sees: attract loop, home menu and one screen per scene type."""
