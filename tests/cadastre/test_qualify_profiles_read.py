"""``cadastre qualify`` reads only the profiles of the faces it places modules on (``read_profiles(faces=)``).

On ``test_qualify_hourly``'s one-building folder whose profiles.parquet also holds 39 other faces, in row groups
of their own: qualify reads one face, from one row group, and its numbers are those of the file with that
face alone.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from test_qualify_hourly import east_wall_profile, make_run, municipal, occupied

import cadastre.qualify.operation as operation
import cadastre.roofs.profiles as profiles_module
from cadastre.qualify.operation import HOURLY_PROFILES, qualify


@pytest.mark.slow  # measured over 1 s (a run, a report or a shared build): out of `make test-fast`
def test_qualify_reads_only_the_profiles_it_needs(tmp_path, monkeypatch):
    alone = make_run(tmp_path / "alone")
    many = make_run(tmp_path / "many")
    with pq.ParquetWriter(many / "profiles.parquet", pa.Table.from_pandas(east_wall_profile(1).frame()).schema) as w:
        for face in range(40, 0, -1):  # face 1 last: one row group per face
            w.write_table(pa.Table.from_pandas(east_wall_profile(face).frame(), preserve_index=False))
    held, groups = [], []
    read, row_groups = operation.read_profiles, profiles_module.row_groups_read

    def read_profiles(path, **options):
        out = read(path, **options)
        held.append(len(out))
        return out

    def row_groups_read(path, faces):
        out = row_groups(path, faces)
        groups.append(out)
        return out

    monkeypatch.setattr(operation, "read_profiles", read_profiles)
    monkeypatch.setattr(profiles_module, "row_groups_read", row_groups_read)
    csv = municipal(tmp_path / "m.csv")
    result = qualify(many, csv, config=occupied(5, 12))
    assert held == [1] and groups == [[39]]
    expected = qualify(alone, csv, config=occupied(5, 12))
    assert result.meta["production"] == expected.meta["production"] == HOURLY_PROFILES
    for column in ("mwh", "self_consumption_rate", "savings_eur"):
        assert result.table[column].iloc[0] == pytest.approx(expected.table[column].iloc[0], rel=1e-12), column
