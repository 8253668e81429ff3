"""The result schema's version and field order (docs/result-schema.json, docs/result-schema.md).

One shape for a session's analysis in every face: `analyze --json`, `sessions show --json`,
`export` and `report`. Kept apart from the analysis so that `sessions` and `export` name the fields
without importing it.
"""

from __future__ import annotations

# 2: one rep shape for analyze, the library and export, and the two-sensor measures on every rep
# (1: the shapes before, which never stated a version). Bump on any rename or removal.
RESULT_SCHEMA_VERSION = 2

# A rep's fields, in the order every face writes them.
REP_FIELDS = (
    "set",
    "index",
    "start_s",
    "peak_s",
    "end_s",
    "duration_s",
    "down_s",
    "up_s",
    "range_deg",
    "knee_drift_deg",
    "knee_drift_over_reference_deg",
    "drift_limit_deg",
    "warnings",
    "warning_details",
    "shallow",
    "calibrated",
    "notes",
    "step",
    # two sensors (null for one): the leg of a left + right session's rep, the knee's own angles of
    # a thigh + shank session, and the asymmetry of the rep pair this rep belongs to
    "side",
    "knee_drift_source",
    "segment_knee_drift_deg",
    "knee_flexion_range_deg",
    "knee_valgus_deg",
    "peak_flexion_s",
    "range_asymmetry_pct",
    "tempo_asymmetry_pct",
    "drift_asymmetry_pct",
)


# The two-sensor fields: null on every rep of a one-sensor result.
PAIR_REP_FIELDS = REP_FIELDS[REP_FIELDS.index("side") :]
