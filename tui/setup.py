"""Before `sensortrack live`: pick or confirm the sensor, choose exercise, placement and side.

The choices are remembered in `<config dir>/live.toml`, so the next session starts with one key.
A second sensor is marked in the list with `2`; "5 · Second sensor" says where it sits: the other
segment of the same leg (thigh + shank: knee angles) or the same segment of the other leg (left +
right: symmetry). Its placement and side follow from the first sensor's.
The sensor list comes from a real Bluetooth scan (`scan` is `drivers.scan.scan_sensors` bound to
the system or the virtual backend), rescanned with `r`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Label, RadioButton, RadioSet

from sensortrack.drivers.scan import FoundSensor
from sensortrack.core.errors import SensortrackError
from sensortrack.core.model import EXERCISES, PLACEMENTS, SIDES
from sensortrack.core.vocabulary import Placement, Side, placement_or_none, side_or_none
from sensortrack.tui.live import LiveChoice, LiveExercise, SecondSensor, live_exercise_or_none

PAIRINGS = ("none", "same_leg", "other_leg")  # where the second sensor sits
# "auto" first: each bout's exercise recognised as it streams (one sensor; tui/app.py, AUTO)
LIVE_EXERCISES = ("auto", *EXERCISES)

CHOICES_FILENAME = "live.toml"


@dataclass(frozen=True, slots=True)
class Remembered:
    """The last session's choices (or the defaults on a first run)."""

    exercise: LiveExercise = "squat"
    placement: Placement = "thigh"
    side: Side = "left"
    sensor: str = ""  # advertised name or address of the last sensor used

    def with_options(self, exercise: str | None, placement: str | None, side: str | None) -> Remembered:
        """Command-line options win over what was remembered."""
        return replace(
            self,
            exercise=live_exercise_or_none(exercise) or self.exercise,
            placement=placement_or_none(placement) or self.placement,
            side=side_or_none(side) or self.side,
        )


def choices_path() -> Path:
    from sensortrack.config import config_dir

    return config_dir() / CHOICES_FILENAME


def load_choices(path: Path | None = None) -> Remembered:
    """What live.toml remembers; a missing, unreadable or edited-to-nonsense file gives the defaults
    for what it cannot say (it is our own memo, not the user's configuration)."""
    path = path or choices_path()
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh).get("live", {})
    except (OSError, tomllib.TOMLDecodeError):
        return Remembered()
    if not isinstance(data, dict):
        return Remembered()
    default = Remembered()
    sensor = data.get("sensor")
    return Remembered(
        exercise=live_exercise_or_none(data.get("exercise")) or default.exercise,
        placement=placement_or_none(data.get("placement")) or default.placement,
        side=side_or_none(data.get("side")) or default.side,
        sensor=sensor if isinstance(sensor, str) else default.sensor,
    )


def save_choices(choice: Remembered, path: Path | None = None) -> None:
    """Write live.toml (atomically: a crash never leaves half a file)."""
    import tomli_w

    path = path or choices_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".toml.tmp")
        tmp.write_text(tomli_w.dumps({"live": asdict(choice)}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # forgetting the choices is no reason to stop a session


def remembered_from(choice: LiveChoice) -> Remembered:
    return Remembered(choice.exercise, choice.placement, choice.side, choice.sensor.name or choice.sensor.address)


Scan = Callable[[], Awaitable[list[FoundSensor]]]


class SetupApp(App[LiveChoice | None]):
    """Sensor list plus exercise/placement/side; exits with a LiveChoice, or None if the user quits."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses elsewhere find it too
    TITLE = "sensortrack live: set up"
    BINDINGS = [
        Binding("s", "start", "start"),
        Binding("r", "rescan", "scan again"),
        Binding("2", "mark_second", "second sensor"),
        Binding("t", "toggle_theme", "theme"),
        Binding("q,escape", "quit_setup", "quit"),
    ]

    def __init__(
        self, scan: Scan | None, defaults: Remembered, *, sensor: FoundSensor | None = None, second: SecondSensor | None = None
    ) -> None:
        super().__init__()
        self._scan = scan
        self.defaults = defaults
        self.sensors: list[FoundSensor] = [sensor] if sensor is not None else []
        if second is not None:
            self.sensors.append(second.sensor)
        self.second_address: str | None = second.sensor.address if second is not None else None
        self._pairing = "none" if second is None else pairing_of(defaults.placement, defaults.side, second.placement, second.side)
        self.scans = 0  # completed scans (tests wait on this)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="setup-box"):  # scrolls in small terminals
            yield Label("1 · Sensor", classes="setup-step")
            yield Label("", id="scan-status")
            yield DataTable(id="sensors", cursor_type="row")
            with Horizontal(id="body-choices"):
                yield self._radio("2 · Exercise", "exercise", LIVE_EXERCISES, self.defaults.exercise)
                yield self._radio("3 · Sensor on the", "placement", PLACEMENTS, self.defaults.placement)
                yield self._radio("4 · Leg", "side", SIDES, self.defaults.side)
                yield self._radio("5 · Second sensor", "pairing", PAIRINGS, self._pairing, PAIRING_LABELS)
            yield Button("Start (s)", id="start", variant="success")
        yield Footer()

    @staticmethod
    def _radio(title: str, name: str, options: tuple[str, ...], selected: str, labels: dict[str, str] | None = None) -> Vertical:
        labels = labels or {}
        buttons = [RadioButton(labels.get(o, o.replace("_", " ")), value=o == selected, id=f"{name}-{o}") for o in options]
        return Vertical(Label(title, classes="setup-step"), RadioSet(*buttons, id=name), classes="choice")

    def on_mount(self) -> None:
        # A RadioSet highlights its first button when focused, whatever is pressed: Tab then put the
        # highlight on "squat" while "bridge" was chosen. Highlight the choice made (no public API).
        for radio in self.query(RadioSet):
            radio._selected = radio.pressed_index
        table = self.query_one("#sensors", DataTable)
        table.add_columns("name", "model", "address", "signal", "use")
        self._fill(self.sensors)
        if self._scan is not None:
            self.action_rescan()
        else:
            self.query_one("#scan-status", Label).update("the sensor given with --device:")

    def _fill(self, sensors: list[FoundSensor]) -> None:
        table = self.query_one("#sensors", DataTable)
        table.clear()
        for found in sensors:
            rssi = f"{found.rssi} dBm" if found.rssi else ""
            use = "2nd" if found.address == self.second_address else ""
            table.add_row(found.name or "(no name)", found.model, found.address, rssi, use, key=found.address)
        remembered = [i for i, f in enumerate(sensors) if self.defaults.sensor in (f.name, f.address) and f.address != self.second_address]
        if sensors:
            table.move_cursor(row=remembered[0] if remembered else 0)

    def action_rescan(self) -> None:
        if self._scan is not None:
            self.query_one("#scan-status", Label).update("scanning for sensors…")
            self._run_scan()

    @work(exclusive=True, group="scan")
    async def _run_scan(self) -> None:
        assert self._scan is not None
        try:
            found = await self._scan()
        except SensortrackError as exc:  # Bluetooth off, no adapter: say so, let the user retry
            self.query_one("#scan-status", Label).update(f"scan failed: {exc}")
            found = []
        else:
            n = len(found)
            self.query_one("#scan-status", Label).update(
                f"{n} sensor{'s' if n != 1 else ''} found: pick one with ↑/↓ (r scans again)"
                if n
                else "no supported sensor found: switch it on, keep it close, then press r"
            )
        self.sensors = found
        self._fill(found)
        self.scans += 1

    def _pressed(self, name: str) -> str:
        radio = self.query_one(f"#{name}", RadioSet)
        button = radio.pressed_button
        assert button is not None and button.id is not None
        return button.id.removeprefix(f"{name}-")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()

    def _highlighted(self) -> FoundSensor:
        row = self.query_one("#sensors", DataTable).cursor_row
        return self.sensors[min(max(row, 0), len(self.sensors) - 1)]

    def action_mark_second(self) -> None:
        """The highlighted sensor is the second one (again: not any more)."""
        if not self.sensors:
            return
        found = self._highlighted()
        self.second_address = None if found.address == self.second_address else found.address
        if self.second_address is not None and self._pressed("pairing") == "none":
            self.query_one("#pairing-same_leg", RadioButton).value = True  # the usual pair: thigh + shank
        elif self.second_address is None:
            self.query_one("#pairing-none", RadioButton).value = True
        self._fill(self.sensors)
        self.query_one("#sensors", DataTable).move_cursor(row=self.sensors.index(found))

    def action_start(self) -> None:
        if not self.sensors:
            self.notify("no sensor to use yet: wait for the scan or press r", severity="warning")
            return
        # the radio buttons hold only the vocabulary's words (LIVE_EXERCISES, PLACEMENTS, SIDES)
        exercise = live_exercise_or_none(self._pressed("exercise"))
        placement, side = placement_or_none(self._pressed("placement")), side_or_none(self._pressed("side"))
        assert exercise is not None and placement is not None and side is not None
        pairing = self._pressed("pairing")
        second_found = next((f for f in self.sensors if f.address == self.second_address), None)
        sensor = self._highlighted()
        if sensor.address == self.second_address:  # the cursor on the second: the first is the other one
            sensor = next((f for f in self.sensors if f.address != self.second_address), sensor)
        second = None
        if pairing != "none":
            if second_found is None or second_found.address == sensor.address:
                self.notify("mark the second sensor with 2 (or choose none under 5)", severity="warning")
                return
            other_placement, other_side = second_body(placement, side, pairing)
            second = SecondSensor(second_found, other_placement, other_side)
        self.exit(LiveChoice(sensor, exercise, placement, side, second=second))

    def action_quit_setup(self) -> None:
        self.exit(None)

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme != "textual-light" else "textual-dark"


# Short enough for the column at 80×24 (10 cells): "other segment, same leg" and "same segment,
# other leg" were cut to "other segm…" and "same segme…", which a person cannot tell apart. The
# same leg's second sensor is its other segment (thigh + shank), the other leg's the same segment.
PAIRING_LABELS = {"none": "none", "same_leg": "same leg", "other_leg": "other leg"}


def second_body(placement: Placement, side: Side, pairing: str) -> tuple[Placement, Side]:
    """Where the second sensor sits, from the first's body and the pairing chosen."""
    if pairing == "same_leg":
        return ("shank" if placement == "thigh" else "thigh"), side
    return placement, ("right" if side == "left" else "left")


def pairing_of(placement: str, side: str, other_placement: str, other_side: str) -> str:
    return "same_leg" if side == other_side and placement != other_placement else "other_leg"
