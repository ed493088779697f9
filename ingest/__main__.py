"""`python -m ingest`: chunk and embed the corpus into Chroma.

Exit codes: 0 all files ingested; 1 some files failed (the rest were ingested); 2 bad settings or
the store could not be opened.
"""

from __future__ import annotations

import argparse
import os
import sys

from bot.errors import BacktrackError
from bot.settings import Settings

SETTING_FLAGS = ("corpus_dir", "data_dir", "index_dir", "chroma_url", "collection_prefix", "model", "embedding_backend",
                 "chunk_size", "chunk_overlap")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest", description="Chunk and embed the corpus into Chroma.")
    parser.add_argument("--rebuild", action="store_true", help="start from scratch: re-embed everything")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    Settings.add_arguments(parser, only=SETTING_FLAGS)
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_args(args)
        from ingest.pipeline import ingest

        log = None if args.quiet else (lambda message: print(message, file=sys.stderr, flush=True))
        summary = ingest(settings, rebuild=args.rebuild, progress=False if args.quiet else None, log=log)
    except BacktrackError as exc:
        if os.environ.get("BACKTRACK_DEBUG"):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for problem in summary.problems:
        print(f"skipped {problem}", file=sys.stderr)
    for kept, merged in summary.duplicates:
        print(f"near-duplicate: chunk {merged} stored once as {kept} (both sources kept)", file=sys.stderr)
    print(summary.line())
    return 1 if summary.problems else 0


if __name__ == "__main__":
    sys.exit(main())
