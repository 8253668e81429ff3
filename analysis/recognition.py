"""Which exercise, and where the sensor sits, from the movement itself (issue 13).

Most features are ones no rotation of the sensor can change: how far gravity's direction moves
(the segment's range), how fast and how regularly it moves (rhythm), how much of the time it stays
still and at which end of its range (holds: a bridge is held at the top), how planar its path is,
and the short shocks of heel strikes (impact: walking and jogging). Only the accelerometer is read,
so a sensor with and without a gyroscope is judged alike.

Posture (standing, lying on the back, lying on the side) cannot be read from gravity alone when the
strap may sit in ANY orientation: rotating the strap about the movement's own axis looks exactly like
resting at another point of the arc. It needs a direction of the body in the sensor's frame, one
that does not depend on where around the limb the strap sits or how it is turned. The segment's
long axis (the bone) is one: every exercise here hinges about an axis ACROSS the bone (squats,
lunges, step-ups and bridges about the thigh's side-to-side axis, band walks about its
front-to-back axis), found as the axis gravity turns about; and every supported strap (a puck, the
MEx Axivity AX3, a phone in an armband) lies flat on the skin, its z axis along the skin normal,
which is across the bone too. So the bone is along normal × hinge, and gravity's angle to the bone
at rest and over the movement says the posture: ~0° standing, ~45° lying on the back with the knees
bent, ~90° lying on the side with the thigh level — the same numbers for a strap on the front, the
side or anywhere around the thigh, at any turn about its normal, either face out. Where the hinge
lies along the normal (a sagittal movement seen from the side of the thigh) the bone cannot be
found this way and the features say so (LONG_AXIS_UNKNOWN) instead of guessing.

Method, fixed and readable:
1. resample to 25 Hz; gravity direction u = the normalised 0.5 s mean of the accelerometer;
2. windows of `window_s`, every `hop_s`; a window whose gravity hardly moves and that has no
   impacts is quiet (no vote); every other window gets its features;
3. a shallow decision tree (sensortrack/data/recognition_tree.json, depth 6, trained by
   benchmarks/train_recognition.py on the simulator strapped flat — with a little of it strapped at
   arbitrary angles — and MEx subjects 01–15 only) gives each window
   a probability per exercise×placement and for "none" (walking, jogging, fidgeting, sitting down);
4. the placement is one for the file (a sensor is not moved mid-session): the one with the larger
   summed probability over the windows that move like an exercise;
5. each window is "none" or "some exercise" (a mode filter over `smooth_windows` smooths that);
   runs of exercise windows are bouts, cut again where the posture held between reps turns by more
   than `posture_change_deg` (lying down to bridge after squats); each bout's exercise is the one
   with the largest mean probability over its windows (a set is one exercise: its windows vote
   together) among those its measured posture allows (_physically_possible: upright exercises
   pass near vertical, a thigh's bridge never rests there and reaches both its ends: 45–60° up at
   the bottom, near level at the top). The timeline is split between consecutive segments half-way
   through the stretch between them, so each segment keeps its own rest for calibration;
6. a set is unsure (Recognition.unsure) below `unsure_below` or where its posture was not read; a
   recognised placement is unsure (Recognition.placement_unsure) where nothing tells it
   (placement_is_unsure: the tree unsure, the posture not read, only clamshells, or a movement
   too small to tell a thigh from a shank).

Pure: arrays in (caller's timestamps), plain data out; no files, clocks or I/O. The tree itself is
passed in (`RecognitionModel.from_dict`); sensortrack.recognising.packaged_model loads the packaged one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, cast

import numpy as np

from sensortrack.core.model import FloatArray
from sensortrack.core.vocabulary import Exercise, exercise_or_none

NONE: Final = "none"  # not one of the product's exercises: walking, jogging, fidgeting, sitting down
Label = Exercise | Literal["none"]  # what a stretch of movement is recognised as
RECOGNITION_RATE_HZ = 25.0

FEATURES: tuple[str, ...] = (
    "range_deg",  # diameter of the path of gravity's direction in the window
    "rate_dps",  # mean turning rate of gravity's direction
    "still_share",  # share of the window turning slower than still_dps
    "dwell_both_ends",  # still time at the less-used end of the range / all still time (holds)
    "mid_share",  # share of the window spent in the middle third of the range
    "impact_g",  # rms of the accelerometer minus its 0.5 s mean (heel strikes, shocks)
    "impact_peak_g",  # 99th percentile of the same
    "period_s",  # dominant period of the movement (autocorrelation), 0 where none
    "periodicity",  # the autocorrelation at that period (1 = perfectly regular)
    "off_plane",  # smallest / middle singular value of the centred path: 0 for one plane
    "body_g",  # rms of |mean acceleration| − 1 g: the body's own slow accelerations
    # Posture against the segment's own long axis (below: how it is found whatever the strap's angle
    # about the limb), each folded to 0–90° (0: along the bone) or LONG_AXIS_UNKNOWN
    "rest_long_deg",  # resting gravity from the long axis: ~0 standing, ~45 lying on the back
    # with knees bent (a bridge), ~90 lying on the side with the thigh level (a clamshell)
    "low_long_deg",  # gravity's closest approach to the long axis over the window (2nd percentile)
    "high_long_deg",  # its farthest (98th percentile): a squat goes 0→~80, a bridge ~45→~80
)
# Where the long axis cannot be found (RecognitionSettings.long_axis_min_sin), the posture features
# say so with this value instead of a guess.
LONG_AXIS_UNKNOWN = -1.0


@dataclass(frozen=True, slots=True)
class RecognitionSettings:
    # Windows long enough for two slow reps with holds (MEx bridges: ~7 s per rep with the hold).
    window_s: float = 10.0
    hop_s: float = 2.0
    # Gravity's direction as the mean over this: removes most heel-strike and tremor content.
    gravity_mean_s: float = 0.5
    # Turning slower than this is "still" (postural sway is 1–3°/s at the segment).
    still_dps: float = 6.0
    # A window whose gravity direction moves less than this and whose impacts stay below
    # quiet_impact_g is quiet: nothing to recognise (standing, lying, sitting still).
    quiet_range_deg: float = 6.0
    quiet_impact_g: float = 0.04
    # Windows voting in the mode filter: 5 × 2 s hop ≈ 10 s, shorter than a set, longer than a rep.
    smooth_windows: int = 5
    # Below this mean probability a set's exercise is reported as unsure.
    unsure_below: float = 0.6
    # A segment shorter than this (its windows' centres) is merged into its neighbours.
    min_segment_s: float = 8.0
    # The posture held between reps turning by more than this is a new activity (lying down to
    # bridge after squats turns the thigh ~90°; a squat's own bottom pause is too short to move the
    # still-time mean of a window far), so a bout is split there even without a rest between.
    posture_change_deg: float = 50.0
    # The bone is normal × hinge; with the hinge within 30° of the skin normal (a sagittal movement
    # seen by a sensor on the side of the thigh) |normal × hinge| < sin 30° and the cross product
    # is mostly the hinge's noise: the long axis is then unknown.
    long_axis_min_sin: float = 0.5
    # Physical posture checks on a bout's exercise (_physically_possible), read only where the bone
    # was found in at least `posture_known_share` of the bout's windows:
    # - squats, lunges, step-ups and band walks are done on one's feet, so the segment is near
    #   vertical at some moment of every window: gravity's closest approach to the bone (low_long_deg)
    #   within `upright_low_long_max_deg` (standing 0–10°, a band walk's quarter-squat stance thigh
    #   20–30°, a sit-to-stand passes through standing; 40° leaves margin for a strap not quite flat);
    # - a bridge lies on the back with the feet on the floor: the thigh rests 35–50° up from the floor
    #   (gravity 40–55° from the bone) or, held at the top, about level (80–90°), never near vertical:
    #   rest_long_deg at least `bridge_thigh_rest_long_min_deg` (30°: a standing thigh is 0–15°).
    # - and (session 9) the bridge's two ends: every rep starts from the hips on the floor with the
    #   knees bent, where the thigh points 25–60° up from the floor (gravity 30–65° from the bone: 25°
    #   with the feet placed far from the hips, as the simulator's flattest bridges start, 62–64°), so
    #   gravity comes within `bridge_thigh_low_long_max_deg` (66°, session 10: half-way between those
    #   flattest bridges and the flattest clamshell leg underneath on MEx 01–15, 69°; 60° until session 9
    #   lost them — docs/recognition.md, session 10) of the bone at some moment — a thigh lying level on
    #   the floor all along (a clamshell's leg underneath: 69–80°) is not bridging; and at the top the hips rise in line with the thigh,
    #   15–30° up from the floor (gravity 60–75° from the bone), so gravity goes at least
    #   `bridge_thigh_high_long_min_deg` (55°) from it — a thigh that stays within 45° of vertical
    #   (a rear-leg lunge's: 40–45°) is not bridging. On the shank the foot stands on the floor
    #   throughout, the shank 60–90° up from it (gravity 0–30° from the bone) at the bottom: gravity
    #   comes within `bridge_shank_low_long_max_deg` (45°: +15° for the strap) of the bone — a shank
    #   lying level (a clamshell's, 70–90°) is not bridging.
    # Clamshells get no check: the clam turns the leg about the ankle–hip line, not across the thigh,
    # so with a strap on the front of the thigh normal × hinge is not the bone (docs/recognition.md).
    posture_known_share: float = 0.5
    upright_low_long_max_deg: float = 40.0
    bridge_thigh_rest_long_min_deg: float = 30.0
    bridge_thigh_low_long_max_deg: float = 66.0
    bridge_thigh_high_long_min_deg: float = 55.0
    bridge_shank_low_long_max_deg: float = 45.0
    # (session 11) The placement is read from how far and in which posture the segment turns; a
    # median range (range_deg over the windows it is voted from) below this cannot tell a thigh from
    # a shank: a shank's full bridge turns gravity 6.5–17° per window (the simulator's, tuning seeds
    # 40–45 and 90–95) and a real thigh's shallow bridge as little as 7.6° (MEx 01–15), so the range
    # says nothing there; and the hinge the bone is read from is the normal of the path's plane,
    # which 1–3° of sway tilts by up to atan(3° / 6°) ≈ 27° over a 12° arc — as much as the bone's
    # angle to gravity differs between a thigh and a shank in a bridge (rest 40–55° against 0–30°).
    placement_min_range_deg: float = 12.0


# ---- features ---------------------------------------------------------------------------------


def _resample(t_s: FloatArray, acc_g: FloatArray, rate_hz: float) -> tuple[FloatArray, FloatArray]:
    """Linear interpolation on a uniform grid (gaps are bridged: recognition needs shape, not detail)."""
    t = np.asarray(t_s, dtype=float)
    grid = np.arange(t[0], t[-1] + 0.5 / rate_hz, 1.0 / rate_hz)
    out = np.empty((grid.size, 3))
    for k in range(3):
        out[:, k] = np.interp(grid, t, acc_g[:, k])
    return grid, out


def _moving_mean(x: FloatArray, n: int) -> FloatArray:
    """Centred moving mean along axis 0 (edges use the samples there are)."""
    if n <= 1:
        return x.copy()
    c = np.cumsum(np.vstack([np.zeros((1, x.shape[1])), x]), axis=0)
    half = n // 2
    idx = np.arange(x.shape[0])
    lo = np.clip(idx - half, 0, x.shape[0])
    hi = np.clip(idx + half + 1, 0, x.shape[0])
    return cast(FloatArray, (c[hi] - c[lo]) / (hi - lo)[:, None])


@dataclass(frozen=True, slots=True, eq=False)
class _Stream:
    t_s: FloatArray
    u: FloatArray  # gravity direction (unit rows)
    turn_dps: FloatArray  # how fast u turns
    shock_g: FloatArray  # |acc − its 0.5 s mean|
    body_g: FloatArray  # |0.5 s mean acc| − 1


def _stream(t_s: FloatArray, acc_g: FloatArray, settings: RecognitionSettings) -> _Stream:
    t, acc = _resample(t_s, acc_g, RECOGNITION_RATE_HZ)
    n_mean = max(1, int(round(settings.gravity_mean_s * RECOGNITION_RATE_HZ)))
    g = _moving_mean(acc, n_mean)
    norm = np.linalg.norm(g, axis=1)
    u = g / np.maximum(norm, 1e-6)[:, None]
    lag = 5  # 0.2 s: long enough that sensor noise does not read as turning
    turn = np.zeros(t.size)
    if t.size > lag:
        cos = np.clip(np.sum(u[lag:] * u[:-lag], axis=1), -1.0, 1.0)
        turn[lag:] = np.degrees(np.arccos(cos)) * RECOGNITION_RATE_HZ / lag
    return _Stream(t, u, turn, np.linalg.norm(acc - g, axis=1), norm - 1.0)


def _angles_deg(u: FloatArray, ref: FloatArray) -> FloatArray:
    return np.degrees(np.arccos(np.clip(u @ ref, -1.0, 1.0)))


def _period(x: FloatArray) -> tuple[float, float]:
    """Dominant period (s) and its autocorrelation, from lags 0.6 s to half the window."""
    x = x - x.mean()
    denom = float(np.dot(x, x))
    n = x.size
    lo, hi = int(0.6 * RECOGNITION_RATE_HZ), n // 2
    if denom <= 1e-9 or hi <= lo + 2:
        return 0.0, 0.0
    spec = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spec * np.conj(spec))[:n] / denom
    seg = ac[lo:hi]
    # the first local maximum that stands out, else the largest
    peaks = np.flatnonzero((seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:]) & (seg[1:-1] > 0.2)) + 1
    k = int(peaks[np.argmax(seg[peaks])]) if peaks.size else int(np.argmax(seg))
    return (lo + k) / RECOGNITION_RATE_HZ, float(max(seg[k], 0.0))


def _periods(rows: FloatArray) -> FloatArray:
    """_period of every row at once: (n, 2) of period_s and autocorrelation."""
    x = rows - rows.mean(axis=1, keepdims=True)
    n = x.shape[1]
    denom = np.einsum("ij,ij->i", x, x)
    lo, hi = int(0.6 * RECOGNITION_RATE_HZ), n // 2
    out = np.zeros((x.shape[0], 2))
    if hi <= lo + 2:
        return out
    spec = np.fft.rfft(x, 2 * n, axis=1)
    ac = np.fft.irfft(spec * np.conj(spec), axis=1)[:, :n] / np.maximum(denom, 1e-300)[:, None]
    seg = ac[:, lo:hi]
    inner = seg[:, 1:-1]
    is_peak = (inner > seg[:, :-2]) & (inner >= seg[:, 2:]) & (inner > 0.2)
    peak_vals = np.where(is_peak, inner, -np.inf)
    k_peak = np.argmax(peak_vals, axis=1) + 1
    k = np.where(is_peak.any(axis=1), k_peak, np.argmax(seg, axis=1))
    best = seg[np.arange(seg.shape[0]), k]
    ok = denom > 1e-9
    out[ok, 0] = (lo + k[ok]) / RECOGNITION_RATE_HZ
    out[ok, 1] = np.maximum(best[ok], 0.0)
    return out


def window_features(u: FloatArray, turn_dps: FloatArray, shock_g: FloatArray, body_g: FloatArray,
                    settings: RecognitionSettings) -> FloatArray:
    """The FEATURES of one window, in that order."""
    mean = u.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-9)
    a = u[int(np.argmax(_angles_deg(u, mean)))]  # one end of the path: farthest from its mean
    from_a = _angles_deg(u, a)
    range_deg = float(np.percentile(from_a, 98))
    still = turn_dps < settings.still_dps
    x = from_a / max(range_deg, 1e-6)
    n_still = int(still.sum())
    if n_still and range_deg > settings.quiet_range_deg:
        near_a = int(np.sum(still & (x < 1 / 3)))
        far = int(np.sum(still & (x > 2 / 3)))
        dwell = min(near_a, far) / n_still
    else:
        dwell = 0.0
    mid = float(np.mean((x > 1 / 3) & (x < 2 / 3))) if range_deg > settings.quiet_range_deg else 0.0
    period_s, periodicity = _period(from_a)
    centred = u - u.mean(axis=0)
    sv = np.linalg.svd(centred, compute_uv=False)
    off_plane = float(sv[2] / sv[1]) if sv.size == 3 and sv[1] > 1e-9 else 0.0  # < 3 samples: no plane
    rest = (u[still].sum(axis=0) if n_still else u.sum(axis=0))
    posture = _posture_features(rest[None, :], np.einsum("wi,wj->ij", u, u)[None, :, :], u[None],
                                settings.long_axis_min_sin)[0]
    return np.array([
        range_deg,
        float(turn_dps.mean()),
        n_still / u.shape[0],
        dwell,
        mid,
        float(np.sqrt(np.mean(shock_g**2))),
        float(np.percentile(shock_g, 99)),
        period_s,
        periodicity,
        off_plane,
        float(np.sqrt(np.mean(body_g**2))),
        *posture,
    ])


def _posture_features(rest_sum: FloatArray, scatter: FloatArray, u: FloatArray, min_sin: float) -> FloatArray:
    """rest_long_deg, low_long_deg, high_long_deg of many windows: `rest_sum` (n, 3) is the summed
    resting gravity direction, `scatter` (n, 3, 3) the sum of u uᵀ over the window, `u` (n, w, 3)
    the window's gravity directions; the long axis is unknown where |normal × hinge| < `min_sin`.

    Two body directions are found in the sensor's frame, whatever the strap's angle about the limb:
    - the movement's rotation axis: the direction most nearly perpendicular to every u (gravity
      turns about a horizontal axis, so it stays perpendicular to it), the eigenvector of the
      smallest eigenvalue. Every exercise here hinges about an axis across the bone (squat, lunge,
      step-up, bridge: the thigh's side-to-side axis; band walk: its front-to-back axis);
    - the skin normal, sensor ±z (every supported strap lies flat on the skin, and the skin
      normal is perpendicular to the bone).
    The bone is perpendicular to both: normal × axis. Gravity's angle to the bone is then a body
    angle that no turn of the strap about the limb or about its normal, and no upside-down strap,
    changes (its sign is unknown: folded to 0–90°)."""
    g = rest_sum / np.maximum(np.linalg.norm(rest_sum, axis=1, keepdims=True), 1e-12)
    _, vecs = np.linalg.eigh(scatter)
    axis = vecs[:, :, 0]
    long = np.cross(np.array([0.0, 0.0, 1.0]), axis)  # normal × axis
    sin = np.linalg.norm(long, axis=1)
    long = long / np.maximum(sin, 1e-12)[:, None]
    rest = np.degrees(np.arccos(np.clip(np.abs(np.einsum("nk,nk->n", g, long)), 0.0, 1.0)))
    path = np.degrees(np.arccos(np.clip(np.abs(np.einsum("nwk,nk->nw", u, long)), 0.0, 1.0)))
    low, high = np.percentile(path, [2, 98], axis=1)  # one partial sort for both
    out = np.column_stack([rest, low, high])
    out[sin < min_sin] = LONG_AXIS_UNKNOWN
    return out


@dataclass(frozen=True, slots=True, eq=False)
class Windows:
    """Every window's centre time, features and whether it is quiet."""

    centre_s: FloatArray
    start_s: FloatArray
    end_s: FloatArray
    features: FloatArray  # (n, len(FEATURES))
    quiet: np.ndarray  # bool (n,)
    rest_u: FloatArray  # (n, 3) mean gravity direction while still; NaN where never still


def windows(t_s: FloatArray, acc_g: FloatArray, settings: RecognitionSettings | None = None) -> Windows:
    """Cut the recording into windows and compute each one's features."""
    s = settings or RecognitionSettings()
    st = _stream(t_s, acc_g, s)
    n = st.t_s.size
    w = max(8, int(round(s.window_s * RECOGNITION_RATE_HZ)))
    hop = max(1, int(round(s.hop_s * RECOGNITION_RATE_HZ)))
    starts = list(range(0, max(1, n - w + 1), hop))
    if n > w and starts[-1] + w < n:
        starts.append(n - w)  # the recording's tail gets a window too
    idx = np.array(starts)
    if n >= w:  # every window full length: all at once (window_features, vectorised)
        feats = _features_batch(st, idx, w, s)
        ends = idx + w
    else:  # a recording shorter than one window is one window
        feats = window_features(st.u, st.turn_dps, st.shock_g, st.body_g, s)[None, :]
        ends = np.array([n])
    # the mean direction while still, per window (cumulative sums: one pass for all windows)
    still_u = st.u * (st.turn_dps < s.still_dps)[:, None]
    c = np.vstack([np.zeros((1, 3)), np.cumsum(still_u, axis=0)])
    counts = np.concatenate([[0], np.cumsum(st.turn_dps < s.still_dps)])
    rest = c[ends] - c[idx]
    rest /= np.maximum(np.linalg.norm(rest, axis=1, keepdims=True), 1e-9)
    rest[counts[ends] - counts[idx] == 0] = np.nan
    t0, t1 = st.t_s[idx], st.t_s[ends - 1]
    quiet = (feats[:, 0] < s.quiet_range_deg) & (feats[:, 6] < s.quiet_impact_g * 3) & (feats[:, 5] < s.quiet_impact_g)
    return Windows(0.5 * (t0 + t1), t0, t1, feats, quiet, rest)


def _features_batch(st: _Stream, starts: np.ndarray, w: int, s: RecognitionSettings) -> FloatArray:
    """window_features of every full window [i0, i0 + w) at once: the same numbers, one numpy pass."""
    from numpy.lib.stride_tricks import sliding_window_view

    u = sliding_window_view(st.u, (w, 3))[starts, 0]  # (nw, w, 3)
    turn = sliding_window_view(st.turn_dps, w)[starts]
    shock = sliding_window_view(st.shock_g, w)[starts]
    body = sliding_window_view(st.body_g, w)[starts]
    mean = u.mean(axis=1)
    mean /= np.maximum(np.linalg.norm(mean, axis=1, keepdims=True), 1e-9)
    to_mean = np.degrees(np.arccos(np.clip(np.einsum("nwk,nk->nw", u, mean), -1.0, 1.0)))
    a = u[np.arange(u.shape[0]), np.argmax(to_mean, axis=1)]
    from_a = np.degrees(np.arccos(np.clip(np.einsum("nwk,nk->nw", u, a), -1.0, 1.0)))
    range_deg = np.percentile(from_a, 98, axis=1)
    still = turn < s.still_dps
    x = from_a / np.maximum(range_deg, 1e-6)[:, None]
    n_still = still.sum(axis=1)
    moving = range_deg > s.quiet_range_deg
    near_a = np.sum(still & (x < 1 / 3), axis=1)
    far = np.sum(still & (x > 2 / 3), axis=1)
    dwell = np.where((n_still > 0) & moving, np.minimum(near_a, far) / np.maximum(n_still, 1), 0.0)
    mid = np.where(moving, np.mean((x > 1 / 3) & (x < 2 / 3), axis=1), 0.0)
    periods = _periods(from_a)
    sv = np.linalg.svd(u - u.mean(axis=1, keepdims=True), compute_uv=False)
    off_plane = np.where(sv[:, 1] > 1e-9, sv[:, 2] / np.maximum(sv[:, 1], 1e-12), 0.0)
    rest_still = np.einsum("nwk,nw->nk", u, still.astype(float))
    rest = np.where((n_still > 0)[:, None], rest_still, u.sum(axis=1))
    posture = _posture_features(rest, np.einsum("nwi,nwj->nij", u, u), u, s.long_axis_min_sin)
    return np.column_stack([
        range_deg, turn.mean(axis=1), n_still / w, dwell, mid,
        np.sqrt(np.mean(shock**2, axis=1)), np.percentile(shock, 99, axis=1),
        periods[:, 0], periods[:, 1], off_plane, np.sqrt(np.mean(body**2, axis=1)), posture,
    ])


# ---- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class RecognitionModel:
    """A decision tree: inner nodes test one feature against a threshold; leaves hold the class
    probabilities of the training windows that ended there. Classes are "exercise/placement" or
    "none"."""

    features: tuple[str, ...]
    classes: tuple[str, ...]
    feature: np.ndarray  # per node: index into features, −1 at a leaf
    threshold: FloatArray  # go left where value <= threshold
    left: np.ndarray
    right: np.ndarray
    value: FloatArray  # (nodes, classes) leaf probabilities
    about: dict[str, Any]

    @staticmethod
    def from_dict(d: dict[str, Any]) -> RecognitionModel:
        nodes = d["nodes"]
        classes = tuple(d["classes"])
        feature = np.array([n.get("feature", -1) for n in nodes], dtype=int)
        value = np.array([n.get("p", [0.0] * len(classes)) for n in nodes], dtype=float)
        if tuple(d["features"]) != FEATURES:
            raise ValueError("the recognition model was trained on other features than this code computes")
        return RecognitionModel(
            features=tuple(d["features"]), classes=classes, feature=feature,
            threshold=np.array([n.get("threshold", 0.0) for n in nodes], dtype=float),
            left=np.array([n.get("left", -1) for n in nodes], dtype=int),
            right=np.array([n.get("right", -1) for n in nodes], dtype=int),
            value=value, about=dict(d.get("about", {})),
        )

    def predict_proba(self, x: FloatArray) -> FloatArray:
        """Each row walked down the tree; all rows one level at a time (a row at a leaf stays there)."""
        node = np.zeros(x.shape[0], dtype=int)
        rows = np.arange(x.shape[0])
        inner = self.feature[node] >= 0
        while inner.any():
            at = node[inner]
            go_left = x[rows[inner], self.feature[at]] <= self.threshold[at]
            node[inner] = np.where(go_left, self.left[at], self.right[at])
            inner = self.feature[node] >= 0
        return self.value[node].copy()


# ---- from windows to segments -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of the recording recognised as one exercise (or none)."""

    start_s: float
    end_s: float
    exercise: Label  # one of the exercises, or NONE
    confidence: float  # mean probability of that exercise over the segment's moving windows

    def to_dict(self) -> dict[str, Any]:
        return {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3),
                "exercise": self.exercise, "confidence": round(self.confidence, 2)}


@dataclass(frozen=True, slots=True, eq=False)
class Recognition:
    placement: str
    placement_confidence: float
    segments: tuple[Segment, ...]  # cover the recording, in time order
    # per window: centre time, label (exercise, NONE or "" for quiet), P(label's exercise)
    window_centre_s: FloatArray
    window_label: tuple[str, ...]
    window_exercise_p: FloatArray  # (n, len(exercises)+1): P(exercise | placement) incl. none last
    exercises: tuple[str, ...]
    # per window: whether the bone was found (the posture features are read, not LONG_AXIS_UNKNOWN)
    window_posture_known: np.ndarray
    settings: RecognitionSettings
    # per window: rest_long_deg, low_long_deg, high_long_deg (LONG_AXIS_UNKNOWN where not found)
    window_posture: FloatArray
    # the recognised placement is a guess, to be shown as such (placement_is_unsure says when)
    placement_unsure: bool = False

    def exercise_confidence(self, exercise: Label, start_s: float, end_s: float) -> float:
        """Mean probability of `exercise` over the moving windows centred in [start_s, end_s]
        (the nearest moving window where none is centred there)."""
        if exercise not in self.exercises:
            return 0.0
        k = self.exercises.index(exercise)
        p = self.window_exercise_p[self._windows_of(exercise, start_s, end_s)]
        if k < p.shape[1] - 1:  # an exercise: how sure, given that it is one of the exercises
            p = _exercise_given_moving(p)
        return float(p[:, k].mean()) if p.shape[0] else 0.0

    def posture_known(self, start_s: float, end_s: float) -> bool:
        """Whether the bone was found in at least `posture_known_share` of the windows a set in
        [start_s, end_s] is judged on. Where it was not (a sagittal movement seen from the side of
        the limb), standing and lying on the back cannot be told apart from the accelerometer and
        the exercise rests on rhythm and range alone."""
        inside = self._windows_of("", start_s, end_s)
        return bool(inside.any()) and float(self.window_posture_known[inside].mean()) >= self.settings.posture_known_share

    def unsure(self, exercise: Label, start_s: float, end_s: float) -> bool:
        """A recognised set is shown as unsure, never as a plain label, where the tree's mean
        probability is below `unsure_below` or the posture could not be read (posture_known:
        on real people the tree's probability is no guide there — docs/recognition.md)."""
        return (self.exercise_confidence(exercise, start_s, end_s) < self.settings.unsure_below
                or not self.posture_known(start_s, end_s))

    def physically_possible(self, exercise: Label, start_s: float, end_s: float) -> bool:
        """Whether the posture measured over the set's windows allows `exercise` (the checks a bout's
        exercise passes in recognise: _physically_possible); unknown posture allows anything."""
        idx = self._windows_of(exercise, start_s, end_s)
        return _physically_possible(exercise, self.placement, self.window_posture[idx], self.settings)

    def _windows_of(self, exercise: str, start_s: float, end_s: float) -> np.ndarray:
        """The windows a stretch is judged on (bool per window): the moving windows centred in it
        (those moving like an exercise, unless `exercise` is NONE), else the nearest such window."""
        moving = np.array([lab != "" for lab in self.window_label], dtype=bool)
        if exercise != NONE:  # a set's exercise is judged on the windows that move like one
            moving &= np.array([lab not in ("", NONE) for lab in self.window_label], dtype=bool)
            if not moving.any():
                moving = np.array([lab != "" for lab in self.window_label], dtype=bool)
        if not moving.any():
            return moving
        c = self.window_centre_s
        inside = moving & (c >= start_s) & (c <= end_s)
        if not inside.any():
            mid = 0.5 * (start_s + end_s)
            idx = np.flatnonzero(moving)
            inside = np.zeros_like(moving)
            inside[idx[np.argmin(np.abs(c[idx] - mid))]] = True
        return inside

    def to_dict(self) -> dict[str, Any]:
        return {"placement": self.placement, "placement_confidence": round(self.placement_confidence, 2),
                "placement_unsure": self.placement_unsure, "segments": [s.to_dict() for s in self.segments]}


def _mode_filter(labels: list[str], width: int) -> list[str]:
    """Each moving window takes the most common label among the moving windows around it (ties:
    its own); quiet windows ("") stay quiet and do not vote."""
    half = width // 2
    out = list(labels)
    for i, own in enumerate(labels):
        if not own:
            continue
        votes: dict[str, int] = {}
        for lab in labels[max(0, i - half): i + half + 1]:
            if lab:
                votes[lab] = votes.get(lab, 0) + 1
        best = max(votes.values())
        out[i] = own if votes.get(own, 0) == best else max(votes, key=lambda k: votes[k])
    return out


_MOVING = "exercise"  # a window of some exercise, which one decided per bout


def recognise(t_s: FloatArray, acc_g: FloatArray, model: RecognitionModel,
              settings: RecognitionSettings | None = None, placement: str | None = None) -> Recognition:
    """Segments of one exercise each and the placement, from timestamps and accelerations (g).

    `placement`: the caller's (flags or file); recognised where None."""
    s = settings or RecognitionSettings()
    given_placement = placement
    win = windows(t_s, acc_g, s)
    proba = model.predict_proba(win.features) if win.features.shape[0] else np.zeros((0, len(model.classes)))
    moving = ~win.quiet
    pairs = [c.split("/") if c != NONE else (NONE, "") for c in model.classes]
    placements = sorted({p for _, p in pairs if p})
    exercises = tuple(dict.fromkeys(_exercise_of(e) for e, _ in pairs if e != NONE))
    # 4. one placement for the file: summed over the windows that move and are not "none"
    if placement is None:
        # the windows that move like an exercise (walking is much alike on thigh and shank)
        none_idx = [i for i, (e, _) in enumerate(pairs) if e == NONE]
        voting = moving & (proba[:, none_idx].sum(axis=1) < 0.5) if proba.shape[0] else moving
        if not voting.any():
            voting = moving
        mass = {p: float(proba[voting][:, [i for i, (_, q) in enumerate(pairs) if q == p]].sum())
                for p in placements}
        total = sum(mass.values())
        placement = max(placements, key=lambda p: mass[p]) if total > 0 else placements[0]
        placement_conf = mass[placement] / total if total > 0 else 0.0
        posture_read = bool(voting.any()) and float(np.mean(win.features[voting, _POSTURE[0]] >= 0)) >= s.posture_known_share
        moved_deg = float(np.median(win.features[voting, _RANGE])) if voting.any() else 0.0
    else:
        placement_conf, posture_read, moved_deg = 1.0, True, np.inf
    # P(exercise | placement), with "none" kept as its own column (the last)
    cols = [[i for i, (e, q) in enumerate(pairs) if e == ex and q == placement] for ex in exercises]
    none_col = [i for i, (e, _) in enumerate(pairs) if e == NONE]
    p_ex = np.column_stack([proba[:, c].sum(axis=1) for c in cols] + [proba[:, none_col].sum(axis=1)]) \
        if proba.shape[0] else np.zeros((0, len(exercises) + 1))
    p_ex = p_ex / np.maximum(p_ex.sum(axis=1, keepdims=True), 1e-12)
    names: tuple[Label, ...] = (*exercises, NONE)
    # 5. each window: quiet, none or some exercise; smoothed; then which exercise per bout, from
    # the bout's summed probabilities (a set is one exercise: its windows vote together)
    raw = ["" if not moving[i] else (NONE if p_ex[i, -1] >= p_ex[i, :-1].sum() else _MOVING)
           for i in range(p_ex.shape[0])]
    labels = _mode_filter(raw, s.smooth_windows)
    segments = _segments(win, labels, p_ex, names, s, float(t_s[0]), float(t_s[-1]), placement)
    window_label = tuple(_label_at(segments, c) if lab else "" for c, lab in zip(win.centre_s, labels, strict=True))
    placement_unsure = given_placement is None and placement_is_unsure(placement_conf, posture_read, segments, s,
                                                                       moved_deg)
    return Recognition(placement, placement_conf, segments, win.centre_s, window_label, p_ex, names,
                       win.features[:, _POSTURE[0]] >= 0, s, win.features[:, _POSTURE], placement_unsure)


# Exercises that do not tell the thigh from the shank: the clam turns the whole leg, knee bent, as one
# rigid body about the ankle–hip line, so both segments turn by the same angle about the same axis and
# lie alike to gravity (thigh and shank each ~45° from that line) — only their lengths differ.
PLACEMENT_BLIND: Final = frozenset({"clamshell"})


def placement_is_unsure(confidence: float, posture_read: bool, segments: tuple[Segment, ...],
                        s: RecognitionSettings, moved_deg: float = np.inf) -> bool:
    """A recognised placement is shown as a guess (session 9) where the tree is unsure of it
    (below `unsure_below`), where the posture of the windows it was read from was not (thigh and
    shank then differ by range alone, and a shank's rear-leg lunge turns like a thigh's squat), where
    nothing but exercises that cannot tell them apart (PLACEMENT_BLIND) was recognised, or (session 11)
    where those windows' median range `moved_deg` is below `placement_min_range_deg`: too small a
    movement to tell them apart (RecognitionSettings says why)."""
    telling = [seg for seg in segments if seg.exercise != NONE and seg.exercise not in PLACEMENT_BLIND]
    return (confidence < s.unsure_below or not posture_read or not telling
            or moved_deg < s.placement_min_range_deg)


def _label_at(segments: tuple[Segment, ...], t: float) -> str:
    for seg in segments:
        if seg.start_s <= t <= seg.end_s:
            return seg.exercise
    return segments[-1].exercise


def _exercise_of(name: str) -> Exercise:
    """A model class's exercise; a name the product does not know is a damaged model file."""
    exercise = exercise_or_none(name)
    if exercise is None:
        raise ValueError(f"recognition model names an unknown exercise {name!r}")
    return exercise


def _exercise_given_moving(p: FloatArray) -> FloatArray:
    """P(exercise | it is one of the exercises) per window: the "none" column left out."""
    ex = p[:, :-1]
    return cast(FloatArray, ex / np.maximum(ex.sum(axis=1, keepdims=True), 1e-12))


def _split_at_posture_changes(runs: list[list[int]], rest_u: FloatArray, limit_deg: float,
                              min_windows: int) -> list[list[int]]:
    """Exercise runs cut where the still posture of the windows turns past `limit_deg` from the
    run's posture so far (for at least two windows in a row: one odd window is not a new posture)."""
    cos_limit = float(np.cos(np.radians(limit_deg)))
    out: list[list[int]] = []
    for i0, i1, k in runs:
        if k != 0:
            out.append([i0, i1, k])
            continue
        pieces: list[list[int]] = []
        start, ref = i0, np.zeros(3)
        for i in range(i0, i1 + 1):
            r = rest_u[i]
            if np.isnan(r).any():
                continue
            norm = float(np.linalg.norm(ref))
            turned = norm > 0 and float(r @ ref) / norm < cos_limit
            nxt = rest_u[i + 1] if i + 1 <= i1 else None
            confirmed = nxt is not None and not np.isnan(nxt).any() and float(nxt @ ref) / max(norm, 1e-9) < cos_limit
            if turned and confirmed and i > start:
                pieces.append([start, i - 1, 0])
                start, ref = i, np.zeros(3)
            ref = ref + r
        pieces.append([start, i1, 0])
        # a piece too short to be a set of its own (the getting up or lying down) joins the next
        kept: list[list[int]] = []
        for piece in pieces:
            if kept and kept[-1][1] - kept[-1][0] + 1 < min_windows:
                kept[-1][1] = piece[1]
            elif kept and piece[1] - piece[0] + 1 < min_windows:
                kept[-1][1] = piece[1]
            else:
                kept.append(piece)
        out += kept
    return out


UPRIGHT_EXERCISES: Final = frozenset({"squat", "lunge", "step_up", "band_walk"})  # done on one's feet
_POSTURE = [FEATURES.index(name) for name in ("rest_long_deg", "low_long_deg", "high_long_deg")]
_RANGE = FEATURES.index("range_deg")


def _physically_possible(exercise: str, placement: str, posture: FloatArray, s: RecognitionSettings) -> bool:
    """Whether the bout's measured posture allows `exercise` (RecognitionSettings says why each
    limit): `posture` is the bout's windows' posture features (rest_long_deg, low_long_deg,
    high_long_deg), LONG_AXIS_UNKNOWN where the bone was not found. Unknown posture allows anything."""
    return _possible_at(exercise, placement, _posture_medians(posture, s), s)


def _posture_medians(posture: FloatArray, s: RecognitionSettings) -> tuple[float, float, float] | None:
    """The bout's median rest_long_deg, low_long_deg, high_long_deg over the windows whose bone was
    found; None where it was found in fewer than `posture_known_share` of them (posture unknown)."""
    known = posture[:, 0] >= 0
    if posture.shape[0] == 0 or known.mean() < s.posture_known_share:
        return None
    rest, low, high = np.median(posture[known], axis=0)
    return float(rest), float(low), float(high)


def _possible_at(exercise: str, placement: str, medians: tuple[float, float, float] | None,
                 s: RecognitionSettings) -> bool:
    """_physically_possible from the bout's posture medians (computed once per bout, not per exercise)."""
    if medians is None:
        return True
    rest, low, high = medians
    if exercise in UPRIGHT_EXERCISES:
        return low <= s.upright_low_long_max_deg
    if exercise == "bridge" and placement == "thigh":
        return (rest >= s.bridge_thigh_rest_long_min_deg and low <= s.bridge_thigh_low_long_max_deg
                and high >= s.bridge_thigh_high_long_min_deg)
    if exercise == "bridge":
        return low <= s.bridge_shank_low_long_max_deg
    return True


def _segments(win: Windows, labels: list[str], p_ex: FloatArray, names: tuple[Label, ...],
              s: RecognitionSettings, t_first: float, t_last: float, placement: str) -> tuple[Segment, ...]:
    # runs of one label among moving windows (quiet windows join no run)
    runs: list[list[int]] = []  # [first window, last window, 0 = exercise / 1 = none]
    for i, lab in enumerate(labels):
        if not lab:
            continue
        k = int(lab == NONE)
        if runs and runs[-1][2] == k:
            runs[-1][1] = i
        else:
            runs.append([i, i, k])
    # short runs (a stray window or two) join their longer neighbour
    changed = True
    while changed and len(runs) > 1:
        changed = False
        spans = [win.centre_s[r[1]] - win.centre_s[r[0]] + s.hop_s for r in runs]
        j = int(np.argmin(spans))
        if spans[j] < s.min_segment_s:
            nb = [x for x in (j - 1, j + 1) if 0 <= x < len(runs)]
            into = max(nb, key=lambda x: spans[x])
            runs[into][0] = min(runs[into][0], runs[j][0])
            runs[into][1] = max(runs[into][1], runs[j][1])
            del runs[j]
            merged: list[list[int]] = []
            for r in runs:
                if merged and merged[-1][2] == r[2]:
                    merged[-1][1] = r[1]
                else:
                    merged.append(r)
            runs = merged
            changed = True
    runs = _split_at_posture_changes(runs, win.rest_u, s.posture_change_deg,
                                     max(1, int(np.ceil(s.min_segment_s / s.hop_s))))
    if not runs:
        return (Segment(t_first, t_last, NONE, 0.0),)
    given_moving = _exercise_given_moving(p_ex)
    out: list[Segment] = []
    for j, (i0, i1, k) in enumerate(runs):
        start = t_first if j == 0 else 0.5 * (win.centre_s[runs[j - 1][1]] + win.centre_s[i0])
        end = t_last if j == len(runs) - 1 else 0.5 * (win.centre_s[i1] + win.centre_s[runs[j + 1][0]])
        idx = [i for i in range(i0, i1 + 1) if labels[i]]
        if k == 1:
            seg = Segment(float(start), float(end), NONE, float(p_ex[idx, -1].mean()))
        else:
            mean = given_moving[idx].mean(axis=0)
            # an exercise the bout's posture rules out physically is not chosen (while another is
            # possible); the chosen one keeps the tree's own probability (not renormalised), and
            # that decides whether it is shown as sure
            medians = _posture_medians(win.features[idx][:, _POSTURE], s)
            possible = np.array([_possible_at(str(n), placement, medians, s) for n in names[:-1]])
            best = int(np.argmax(np.where(possible, mean, -1.0))) if possible.any() else int(np.argmax(mean))
            seg = Segment(float(start), float(end), names[best], float(mean[best]))
        append_joining(out, seg)
    return tuple(out)


def append_joining(out: list[Segment], seg: Segment) -> None:
    """Append `seg`, or join it to the last segment when both are one exercise (two bouts of one
    exercise are one segment, its confidence the two bouts' mean)."""
    if out and out[-1].exercise == seg.exercise:
        prev = out[-1]
        out[-1] = Segment(prev.start_s, seg.end_s, seg.exercise, 0.5 * (prev.confidence + seg.confidence))
    else:
        out.append(seg)
