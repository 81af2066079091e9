"""A small reader of docker/Dockerfile: its instructions, grouped by build stage."""

import json
from dataclasses import dataclass, field
from pathlib import Path

DOCKERFILE = Path(__file__).resolve().parents[2] / "docker" / "Dockerfile"


@dataclass
class Stage:
    """One `FROM ... AS name` stage and its instructions, continuation lines joined."""

    name: str
    base: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def arguments(self, keyword: str) -> list[str]:
        """The arguments of every `keyword` instruction, in order."""
        return [args for word, args in self.instructions if word == keyword]

    def index(self, keyword: str, prefix: str) -> int:
        """Position of the first `keyword` instruction whose arguments start with `prefix`."""
        for position, (word, args) in enumerate(self.instructions):
            if word == keyword and args.startswith(prefix):
                return position
        raise LookupError(f"no {keyword} {prefix}... in stage {self.name}")

    @property
    def env(self) -> dict[str, str]:
        """The variables the stage's own `ENV` instructions set (`ENV NAME=value ...` form)."""
        pairs = (pair.partition("=") for args in self.arguments("ENV") for pair in args.split())
        return {name: value for name, _, value in pairs}

    @property
    def command(self) -> list[str]:
        """The stage's own `CMD`, exec form."""
        (cmd,) = self.arguments("CMD")
        argv: list[str] = json.loads(cmd)
        return argv


def stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """Every named stage of the Dockerfile, in order."""
    found: dict[str, Stage] = {}
    current: Stage | None = None
    for keyword, args in _instructions(path.read_text()):
        if keyword == "FROM":
            base, _, name = args.partition(" AS ")
            current = found[name] = Stage(name=name, base=base)
        elif current is not None:
            current.instructions.append((keyword, args))
    return found


def _instructions(text: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\").strip() + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, args = pending.strip().partition(" ")
            result.append((keyword.upper(), " ".join(args.split())))
            pending = ""
    return result
