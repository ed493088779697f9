"""`python app.py`: the Backtrack web server (chat page, REST API, widget) on one port.

Brings the index up to date first (fast when nothing changed), then serves on
BACKTRACK_HOST:BACKTRACK_PORT (127.0.0.1:7860 by default). Every setting has a flag; see --help.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # no telemetry, set before gradio is imported

from bot.errors import BacktrackError  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Serve Backtrack: chat page at /, REST API at /api/chat, widget at /widget.js.")
    parser.add_argument("--skip-ingest", action="store_true",
                        help="serve the existing index without checking it against the corpus")
    Settings.add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_args(args)
        from bot.server import ensure_index, serve

        if not args.skip_ingest:
            ensure_index(settings)
        serve(settings)
    except BacktrackError as exc:
        if os.environ.get("BACKTRACK_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
