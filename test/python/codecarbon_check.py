"""CodeCarbon's own view of llem's emissions.csv and of its own carbon-intensity table.

Run by test/fixtures/peers/codecarbon.ts in the `peers` env (requirements/peers.txt):

  codecarbon_check.py intensities
      per country CodeCarbon ships data for, the g CO2eq/kWh its own Emissions.get_country_emissions
      applies to 1 kWh (no region), the JSON's carbon_intensity and year, and its world average
  codecarbon_check.py read <llem emissions.csv> <work dir>
      a short CPU-only OfflineEmissionsTracker run (country FRA, no network) writes CodeCarbon's own
      emissions.csv; then CodeCarbon's FileOutput, in both of its modes, adds that run's row to a copy
      of llem's file (it reads the header and, in "update" mode, the whole file with pandas, and backs
      the file up instead when it does not recognise it); pandas' dtypes of every file as read back

Prints one JSON document.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import io
import json
import logging
import os
import shutil
import sys
import time
import typing
from typing import Any

# imported by name: the env that type-checks the repo's Python (tf5) has neither package
pd: Any = importlib.import_module('pandas')
tracker_mod: Any = importlib.import_module('codecarbon.emissions_tracker')
file_out: Any = importlib.import_module('codecarbon.output_methods.file')
emissions_data: Any = importlib.import_module('codecarbon.output_methods.emissions_data')


def intensities() -> dict[str, Any]:
    emissions_mod: Any = importlib.import_module('codecarbon.core.emissions')
    units: Any = importlib.import_module('codecarbon.core.units')
    geography: Any = importlib.import_module('codecarbon.external.geography')
    source = importlib.import_module('codecarbon.input').DataSource()
    emissions = emissions_mod.Emissions(source)
    mix = source.get_global_energy_mix_data()
    one_kwh = units.Energy.from_energy(kWh=1)
    countries = {}
    for iso, row in mix.items():
        kg = emissions.get_country_emissions(one_kwh, geography.GeoMetadata(country_iso_code=iso))
        countries[iso] = {'g_per_kwh': kg * 1000, 'table': row.get('carbon_intensity'), 'year': row.get('year'), 'name': row.get('country_name')}
    return {
        'codecarbon': importlib.metadata.version('codecarbon'),
        'world_average': source.get_carbon_intensity_per_source_data()['world_average'],
        'countries': countries,
    }


def dtypes(path: str) -> dict[str, str]:
    """Per column, the dtype pandas gives the cells written in it ('empty' when there are none): a
    column empty in some rows only reads as float64 whatever it holds, which would hide an int64."""
    raw = pd.read_csv(path, dtype=str)
    out = {}
    for c in raw.columns:
        cells = raw[c].dropna()
        if len(cells) == 0:
            out[c] = 'empty'
            continue
        buf = io.StringIO()
        pd.DataFrame({c: cells}).to_csv(buf, index=False)
        buf.seek(0)
        out[c] = str(pd.read_csv(buf).dtypes[c])
    return out


def frames_equal(a: Any, b: Any) -> bool:
    """Same cells, NaN for NaN; a column may have changed dtype (int64 to float64 beside CodeCarbon's row)."""
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
        return True
    except AssertionError:
        return False


def own_run(out_dir: str) -> Any:
    """CodeCarbon measuring a short CPU loop, writing its own emissions.csv; returns its EmissionsData."""
    os.makedirs(out_dir, exist_ok=True)
    tracker = tracker_mod.OfflineEmissionsTracker(
        country_iso_code='FRA', output_dir=out_dir, project_name='codecarbon-own', measure_power_secs=1, log_level='error', save_to_file=True
    )
    tracker.start()
    end = time.time() + 2
    x = 0
    while time.time() < end:
        x += 1
    tracker.stop()
    return tracker.final_emissions_data


def read(llem_csv: str, work: str) -> dict[str, Any]:
    own = own_run(os.path.join(work, 'own'))
    llem_rows = pd.read_csv(llem_csv)
    modes = {}
    for mode in ('append', 'update'):
        d = os.path.join(work, mode)
        os.makedirs(d, exist_ok=True)
        shutil.copy(llem_csv, os.path.join(d, 'emissions.csv'))
        out = file_out.FileOutput('emissions.csv', d, on_csv_write=mode)
        recognised = out.has_valid_headers(own)
        out.out(own, None)
        merged = pd.read_csv(os.path.join(d, 'emissions.csv'))
        # llem's rows as CodeCarbon left them, compared cell by cell with llem's file as read alone
        kept = merged[merged.run_id.isin(llem_rows.run_id)].reset_index(drop=True)[list(llem_rows.columns)]
        modes[mode] = {
            'headers_recognised': bool(recognised),
            'files': sorted(os.listdir(d)),
            'rows': len(merged),
            'codecarbon_rows': int((merged.project_name == 'codecarbon-own').sum()),
            'llem_rows_intact': frames_equal(kept, llem_rows),
            'dtypes': {c: str(t) for c, t in merged.dtypes.items()},
        }
    hints = typing.get_type_hints(emissions_data.EmissionsData)
    return {
        'codecarbon': importlib.metadata.version('codecarbon'),
        'declared': {k: getattr(v, '__name__', str(v)) for k, v in hints.items()},
        'columns': list(emissions_data.EmissionsData.__dataclass_fields__),
        'llem': dtypes(llem_csv),
        'own': dtypes(os.path.join(work, 'own', 'emissions.csv')),
        'own_values': {k: (v if isinstance(v, (int, float, str)) or v is None else str(v)) for k, v in own.values.items()},
        'modes': modes,
    }


def main() -> None:
    logging.getLogger('codecarbon').setLevel(logging.ERROR)
    out = intensities() if sys.argv[1] == 'intensities' else read(sys.argv[2], sys.argv[3])
    json.dump(out, sys.stdout, default=str)


if __name__ == '__main__':
    main()
