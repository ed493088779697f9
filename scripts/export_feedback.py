"""Export thumbs up/down ratings to CSV: `python scripts/export_feedback.py [--out FILE] [--feedback-db PATH]`.

Columns: created, reply_id, rating, route, citation_ids, citation_titles. No message text is stored,
so none is exported. Reads the same SQLite file the server writes (BACKTRACK_FEEDBACK_DB, default
DATA_DIR/feedback.sqlite3); safe to run while the server is up (WAL mode).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.errors import BacktrackError  # noqa: E402
from bot.feedback import FeedbackStore  # noqa: E402
from bot.settings import Settings  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python scripts/export_feedback.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", "-o", default="-", help="CSV file to write ('-' = stdout, the default)")
    Settings.add_arguments(parser, only=("data_dir", "feedback_db"))
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_args(args)
        if not settings.feedback_path.exists():
            print(f"error: no feedback file at {settings.feedback_path} (nothing rated yet?)", file=sys.stderr)
            return 1
        store = FeedbackStore(settings.feedback_path)
        if args.out == "-":
            count = store.export_csv(sys.stdout)
        else:
            with open(args.out, "w", newline="", encoding="utf-8") as handle:
                count = store.export_csv(handle)
    except BacktrackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"exported {count} rating(s) from {settings.feedback_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
