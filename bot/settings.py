"""One settings object, read from BACKTRACK_* environment variables and mirrored by CLI flags."""

from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from bot.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "BACKTRACK_"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product. Env var = BACKTRACK_<FIELD NAME IN CAPS>."""

    data_dir: Path = field(default=REPO_ROOT / "data", metadata={"help": "generated data (index, feedback)"})
    corpus_dir: Path = field(default=REPO_ROOT / "corpus", metadata={"help": "curated Markdown articles"})
    index_dir: Path | None = field(default=None, metadata={"help": "index location (default DATA_DIR/index)"})
    chroma_url: str | None = field(default=None, metadata={"help": "Chroma server URL; unset = embedded"})
    collection_prefix: str = field(default="backtrack", metadata={"help": "Chroma collection name prefix"})
    model: str = field(default="bundled", metadata={"help": "embedding model: 'bundled', a name or a path"})
    embedding_backend: str = field(default="onnx", metadata={"help": "onnx (fast, same vectors) or torch"})
    questions_file: Path | None = field(
        default=None, metadata={"help": "hand-written questions per paragraph, YAML (default: the bundled file)"})
    chunk_size: int = field(default=1400, metadata={"help": "max characters per chunk"})
    chunk_overlap: int = field(default=240, metadata={"help": "characters shared by adjacent chunks"})
    top_k: int = field(default=5, metadata={"help": "passages given to the answerer"})
    answerer: str = field(default="extractive", metadata={"help": "extractive | openai | ollama"})
    llm_model: str | None = field(default=None, metadata={"help": "LLM model name for LLM answerers"})
    llm_base_url: str | None = field(default=None, metadata={"help": "base URL of the LLM server"})
    llm_timeout: float = field(default=30.0, metadata={"help": "seconds before an LLM call is abandoned"})
    emergency_number: str = field(default="911", metadata={"help": "number shown on emergency cards"})
    host: str = field(default="127.0.0.1", metadata={"help": "server bind address"})
    port: int = field(default=7860, metadata={"help": "server port"})
    allowed_origins: tuple[str, ...] = field(
        default=("http://localhost", "http://127.0.0.1"),
        metadata={"help": "origins allowed to embed the widget (comma separated; any port)"},
    )
    feedback_db: Path | None = field(
        default=None, metadata={"help": "feedback SQLite file (default DATA_DIR/feedback.sqlite3)"})
    rate_limit: int = field(default=60, metadata={"help": "chat requests per client per minute (0 = off)"})
    log_text: bool = field(default=False, metadata={"help": "include message text in logs"})

    def __post_init__(self) -> None:
        if self.chunk_size < 100:
            raise ConfigError(f"chunk_size={self.chunk_size} is too small; use at least 100")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError(f"chunk_overlap={self.chunk_overlap} must be >= 0 and < chunk_size")
        if not 1 <= self.top_k <= 50:
            raise ConfigError(f"top_k={self.top_k} must be between 1 and 50")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port={self.port} is not a TCP port")
        if self.embedding_backend not in ("onnx", "torch"):
            raise ConfigError(f"embedding_backend={self.embedding_backend!r}: use 'onnx' or 'torch'")
        if self.llm_timeout <= 0:
            raise ConfigError(f"llm_timeout={self.llm_timeout} must be positive")

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.data_dir / "feedback.sqlite3"

    @property
    def llm_api_key(self) -> str | None:
        """Read lazily so the key never sits in the settings object or its repr."""
        return os.environ.get(PREFIX + "LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
        """Add one --flag per setting (or per name in `only`); defaults come from the environment."""
        for f in fields(cls):
            if only is not None and f.name not in only:
                continue
            flag = "--" + f.name.replace("_", "-")
            env = PREFIX + f.name.upper()
            if f.type in ("bool",):
                parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None,
                                    help=f"{f.metadata.get('help', '')} [env {env}]")
            else:
                parser.add_argument(flag, default=None, metavar=f.name.upper(),
                                    help=f"{f.metadata.get('help', '')} [env {env}]")

    @classmethod
    def from_args(cls, args: argparse.Namespace, environ: dict[str, str] | None = None) -> Settings:
        overrides = {}
        for f in fields(cls):
            value = getattr(args, f.name, None)
            if value is not None:
                overrides[f.name] = value if isinstance(value, bool) else _parse(f, str(value))
        return cls.from_env(environ, **overrides)


def _parse(f: dataclasses.Field, raw: str) -> Any:
    kind = str(f.type)
    try:
        if "int" in kind:
            return int(raw)
        if "float" in kind:
            return float(raw)
        if "bool" in kind:
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if "Path" in kind:
            return Path(raw).expanduser()
        if "tuple" in kind:
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{PREFIX}{f.name.upper()}={raw!r} is not a valid {kind}") from None
    return raw
