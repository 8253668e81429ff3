"""User settings: defaults in code, overridden by config.toml, overridden by `--set KEY=VALUE`.

config.toml lives in the user's config directory (`~/.config/sensortrack/config.toml` on Linux;
`SENSORTRACK_CONFIG` names another file). Its `[analysis]` table holds AnalysisSettings fields:

    [analysis]
    drift_threshold_deg = 7.0
    lowpass_hz = 5.0

Its `[reference]` table names whose stored knee-drift references are used (`sensortrack reference`):

    [reference]
    person = "ana"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

import platformdirs

from sensortrack.core.errors import ConfigError

if TYPE_CHECKING:  # the settings dataclass and the TOML parser load only when a command reads settings,
    # not for `--help` or `sessions` (issue 12: their whole-process time is measured against numpy's import)
    from sensortrack.analysis.settings import AnalysisSettings
    from sensortrack.analysis.pair_settings import PairSettings

APP_NAME = "sensortrack"
CONFIG_ENV = "SENSORTRACK_CONFIG"
DEFAULT_PERSON = "me"  # whose references are used when neither --person nor config.toml says
PERSON_MAX_CHARS = 64


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def config_path() -> Path:
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else config_dir() / "config.toml"


# The tables config.toml may have; anything else is a typo (`[analyis]`) that would otherwise be
# silently ignored while the user believes the setting took effect.
KNOWN_TABLES = ("analysis", "pair", "reference")


def read_config(path: Path | None = None) -> dict[str, Any]:
    """The parsed config file, {} when there is none; a broken file is a ConfigError."""
    path = path or config_path()
    if not path.exists():
        return {}
    import tomllib

    if not path.is_file():  # a folder, a named pipe (would hang), a device
        raise ConfigError(f"{path}: the config must be a TOML file, this is not a regular file")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML (not UTF-8 text)") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    for key, value in data.items():
        if key not in KNOWN_TABLES:
            what = "table" if isinstance(value, dict) else "key"
            raise ConfigError(
                f"{path}: unknown {what} '{key}' (settings go in {', '.join(f'[{t}]' for t in KNOWN_TABLES)})"
            )
    return data


def parse_set_options(items: list[str]) -> dict[str, str]:
    """`--set analysis.drift_threshold_deg=7` → {"drift_threshold_deg": "7"}; the prefix is optional."""
    values: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set needs KEY=VALUE, got '{item}'")
        key = key.strip().removeprefix("analysis.")
        values[key] = value.strip()
    return values


def split_pair_settings(set_options: list[str]) -> tuple[list[str], dict[str, str]]:
    """`--set pair.KEY=VALUE` options apart from the single-sensor engine's (here, not beside the pair
    analysis, so that a one-sensor `analyze` does not import the pair analysis and its SciPy parts)."""
    engine: list[str] = []
    pair: dict[str, str] = {}
    for item in set_options:
        key, sep, value = item.partition("=")
        if key.strip().startswith("pair."):
            if not sep:
                raise ConfigError(f"--set needs KEY=VALUE, got '{item}'")
            pair[key.strip().removeprefix("pair.")] = value.strip()
        else:
            engine.append(item)
    return engine, pair


class _Overridable(Protocol):
    def with_overrides(self, values: dict[str, Any]) -> Self: ...


S = TypeVar("S", bound=_Overridable)


def _configured(defaults: S, table: str, set_values: dict[str, str], path: Path | None,
                config: dict[str, Any] | None = None) -> S:
    """`defaults` under the config file's [table] (`config`: the file already read), under `--set`
    values; each problem one line."""
    file_values = (read_config(path) if config is None else config).get(table, {})
    if not isinstance(file_values, dict):
        raise ConfigError(f"{path or config_path()}: [{table}] must be a table")
    try:
        settings = defaults.with_overrides(file_values)
    except ValueError as exc:
        raise ConfigError(f"{path or config_path()}: [{table}] {exc}") from None
    try:
        return settings.with_overrides(set_values)
    except ValueError as exc:
        raise ConfigError(f"--set: {exc}") from None


def load_settings(set_options: list[str] | None = None, path: Path | None = None) -> AnalysisSettings:
    """The one-sensor engine's settings: [analysis] of the config file, then `--set KEY=VALUE`."""
    from sensortrack.analysis.settings import AnalysisSettings

    return _configured(AnalysisSettings(), "analysis", parse_set_options(set_options or []), path)


def load_pair_settings(pair_options: dict[str, str] | None = None, path: Path | None = None) -> PairSettings:
    """The two-sensor analysis's settings: [pair] of the config file, then `--set pair.KEY=VALUE`
    (`split_pair_settings`). Every command that analyses a pair uses them, so the live view, the
    library, a report and a reanalysis judge a pair alike."""
    from sensortrack.analysis.pair_settings import PairSettings

    return _configured(PairSettings(), "pair", pair_options or {}, path)


def load_all_settings(set_options: list[str] | None = None) -> tuple[AnalysisSettings, PairSettings]:
    """The engine's and the pair's settings from the config file and `--set` (`pair.KEY=VALUE` for
    the pair's): what the commands that analyse any kind of session (import, export, report,
    reanalyze) judge with."""
    from sensortrack.analysis.pair_settings import PairSettings
    from sensortrack.analysis.settings import AnalysisSettings

    engine, pair = split_pair_settings(set_options or [])
    config = read_config()  # once for both tables
    return (
        _configured(AnalysisSettings(), "analysis", parse_set_options(engine), None, config),
        _configured(PairSettings(), "pair", pair, None, config),
    )


def check_person(name: str, where: str = "--person") -> str:
    """A person's name as references are stored under it: trimmed, one line, not empty."""
    clean = name.strip()
    if not clean or len(clean) > PERSON_MAX_CHARS or not clean.isprintable():
        raise ConfigError(f"{where}: a person is a name of 1-{PERSON_MAX_CHARS} printable characters, got {name!r}")
    return clean


def load_person(option: str | None = None, path: Path | None = None) -> str:
    """`--person` wins, then `[reference] person` in config.toml, then "me"."""
    if option is not None:
        return check_person(option)
    table = read_config(path).get("reference", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path or config_path()}: [reference] must be a table")
    unknown = sorted(set(table) - {"person"})
    if unknown:
        raise ConfigError(f"{path or config_path()}: unknown key '{unknown[0]}' in [reference] (only 'person')")
    value = table.get("person", DEFAULT_PERSON)
    if not isinstance(value, str):
        raise ConfigError(f"{path or config_path()}: [reference] person must be a string")
    return check_person(value, f"{path or config_path()}: [reference] person")
