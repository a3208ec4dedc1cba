"""`python -m exhibit_agent` is `kepu-agent`."""

from exhibit_agent.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
