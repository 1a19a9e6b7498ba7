#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Builds data/countries.csv, data/grid_intensity.csv and data/cloud_regions.csv.

Reads the permissively licensed reference files described in
shared/reference-data/PROVENANCE.md (never the co2js files, never codecarbon's
world_energy_mix.csv) and writes the project's own tables. Python 3 stdlib only.

    python3 scripts/data/build_grid_tables.py [--ref DIR] [--out DIR]
"""

import argparse
import csv
import io
import json
import re
import unicodedata
from pathlib import Path

ISO_CODES = Path("/usr/share/iso-codes/json/iso_3166-1.json")
TZ_ISO = Path("/usr/share/zoneinfo/iso3166.tab")

WORLD_G_PER_KWH = 475.0  # IEA Global Energy & CO2 Status Report 2019
SRC_OWID = "Our World in Data / Ember via codecarbon global_energy_mix.json (CC BY 4.0, MIT)"
SRC_GA = "Green Algorithms v3.0 CI_aggregated.csv (CC BY 4.0)"
SRC_WORLD = "IEA Global Energy & CO2 Status Report 2019, via Green Algorithms v3.0 (CC BY 4.0)"
SRC_GCP = "Google Cloud region-carbon-info 2024 (Apache-2.0)"

PROVIDER_PUE = {"gcp": 1.12, "aws": 1.2, "azure": 1.12}  # GA v3.0 defaults_PUE.csv

# AWS region -> grid location (region locations are public facts; the mapping
# follows mlco2/impact impact.csv, MIT). Intensities come from our grid table.
AWS_REGIONS = {
    "us-east-1": ("US-VA", "US East (N. Virginia)"),
    "us-east-2": ("US-OH", "US East (Ohio)"),
    "us-west-1": ("US-CA", "US West (N. California)"),
    "us-west-2": ("US-OR", "US West (Oregon)"),
    "us-gov-east-1": ("US-OH", "AWS GovCloud (US-East)"),
    "us-gov-west-1": ("US-OR", "AWS GovCloud (US-West)"),
    "ca-central-1": ("CA-QC", "Canada (Central, Montreal)"),
    "sa-east-1": ("BR", "South America (Sao Paulo)"),
    "eu-central-1": ("DE", "Europe (Frankfurt)"),
    "eu-west-1": ("IE", "Europe (Ireland)"),
    "eu-west-2": ("GB", "Europe (London)"),
    "eu-west-3": ("FR", "Europe (Paris)"),
    "eu-north-1": ("SE", "Europe (Stockholm)"),
    "ap-east-1": ("HK", "Asia Pacific (Hong Kong)"),
    "ap-south-1": ("IN", "Asia Pacific (Mumbai)"),
    "ap-northeast-1": ("JP", "Asia Pacific (Tokyo)"),
    "ap-northeast-2": ("KR", "Asia Pacific (Seoul)"),
    "ap-northeast-3": ("JP", "Asia Pacific (Osaka)"),
    "ap-southeast-1": ("SG", "Asia Pacific (Singapore)"),
    "ap-southeast-2": ("AU-NSW", "Asia Pacific (Sydney)"),
    "cn-north-1": ("CN", "China (Beijing)"),
    "cn-northwest-1": ("CN", "China (Ningxia)"),
}

# GCP region -> grid location, for regions newer than GA's list (facts from
# Google's published region locations, the "Location" column of the CSV).
GCP_LOCATIONS = {
    "Johannesburg": "ZA", "Taiwan": "TW", "Hong Kong": "HK", "Tokyo": "JP",
    "Osaka": "JP", "Seoul": "KR", "Mumbai": "IN", "Delhi": "IN",
    "Singapore": "SG", "Jakarta": "ID", "Sydney": "AU-NSW",
    "Melbourne": "AU-VIC", "Warsaw": "PL", "Finland": "FI", "Stockholm": "SE",
    "Madrid": "ES", "Belgium": "BE", "London": "GB", "Frankfurt": "DE",
    "Eemshaven": "NL", "Zürich": "CH", "Milan": "IT", "Paris": "FR",
    "Berlin": "DE", "Turin": "IT", "Doha": "QA", "Dammam": "SA",
    "Tel Aviv": "IL", "Montréal": "CA-QC", "Toronto": "CA-ON", "Mexico": "MX",
    "Sāo Paulo": "BR", "Santiago": "CL", "Iowa": "US-IA", "Oklahoma": "US-OK",
    "South Carolina": "US-SC", "Georgia": "US-GA", "Northern Virginia": "US-VA",
    "Columbus": "US-OH", "Dallas": "US-TX", "Oregon": "US-OR",
    "Los Angeles": "US-CA", "Salt Lake City": "US-UT", "Las Vegas": "US-NV",
}

# GA location codes that are whole countries in ISO 3166 terms.
GA_CODE_FIX = {"CN-HK": "HK", "CN-HK2": None, "AU-NT2": None}
GA_NAME_FIX = {"Mississip": "Mississippi", "Yukon Territory": "Yukon"}


def fold(s):
    """Lower case, accents and punctuation removed, for matching names."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def read_ga(path):
    with open(path, encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[1]
    return [dict(zip(header, r)) for r in rows[2:] if r and r[0]]


def ga_year(row):
    text = row.get("source", "") + " " + row.get("comments", "")
    m = re.search(r"[Dd]ata from (\d{4})", text)
    if m:
        return int(m.group(1))
    m = re.findall(r"(20\d\d)", text)
    return int(m[-1]) if m else 0


def load_countries():
    iso = json.loads(ISO_CODES.read_text(encoding="utf-8"))["3166-1"]
    tz_names = {}
    for line in TZ_ISO.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            a2, name = line.split("\t", 1)
            tz_names[a2] = name
    countries = {}
    for c in iso:
        a2 = c["alpha_2"]
        name = c.get("common_name", c["name"])
        aliases = {c["name"], c.get("official_name", ""), tz_names.get(a2, "")}
        countries[a2] = {"alpha2": a2, "alpha3": c["alpha_3"], "name": name,
                         "aliases": {a for a in aliases if a and a != name}}
    # Everyday names the ISO names lack.
    extra = {"US": ["USA", "United States of America", "America"],
             "GB": ["UK", "Great Britain", "Britain", "England", "Scotland", "Wales"],
             "KR": ["Korea"], "RU": ["Russia"], "CZ": ["Czech Republic"],
             "TR": ["Turkey"], "NL": ["Holland"], "AE": ["UAE"]}
    for a2, names in extra.items():
        countries[a2]["aliases"].update(names)
    return countries


def main():
    here = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser()
    ap.add_argument("--ref", default=str(here.parent / "shared" / "reference-data"))
    ap.add_argument("--out", default=str(here / "data"))
    args = ap.parse_args()
    ref, out = Path(args.ref), Path(args.out)

    countries = load_countries()
    by_a3 = {c["alpha3"]: c for c in countries.values()}

    # --- grid intensity -------------------------------------------------
    grid = {}  # code -> row dict

    def add(code, kind, country, name, g, year, scope, source, alpha3=""):
        grid[code] = dict(code=code, alpha3=alpha3, name=name, kind=kind,
                          country=country, g_per_kwh=round(float(g), 2),
                          year=year, scope=scope, source=source)

    add("WORLD", "world", "", "World", WORLD_G_PER_KWH, 2019, "lifecycle",
        SRC_WORLD)

    gem = json.loads((ref / "codecarbon/private_infra/global_energy_mix.json")
                     .read_text(encoding="utf-8"))
    for a3, row in sorted(gem.items()):
        c = by_a3.get(a3)
        if c is None or row.get("carbon_intensity") is None:
            continue
        if row["year"] < 2015:  # Western Sahara 2009: too old to be useful
            continue
        add(c["alpha2"], "country", c["alpha2"], c["name"],
            row["carbon_intensity"], row["year"], "lifecycle", SRC_OWID, a3)
        c["aliases"].add(row["country_name"])

    ga = read_ga(ref / "green-algorithms/v3.0/CI_aggregated.csv")
    for row in ga:
        loc = row["location"]
        loc = GA_CODE_FIX.get(loc, loc)
        if loc is None or loc == "WORLD":
            continue
        g = float(row["carbonIntensity"])
        year = ga_year(row)
        if loc in countries:  # a whole country
            if loc in grid:
                continue  # OWID is newer and lifecycle: keep it
            c = countries[loc]
            add(loc, "country", loc, c["name"], g, year, "direct", SRC_GA,
                c["alpha3"])
            continue
        a2 = loc.split("-")[0]
        region = GA_NAME_FIX.get(row["regionName"], row["regionName"])
        cname = countries[a2]["name"]
        add(loc, "subdivision", a2, f"{region}, {cname}", g, year, "direct",
            SRC_GA)

    # --- cloud regions --------------------------------------------------
    cloud = []
    ga_dc = read_ga(ref / "green-algorithms/v3.0/cloudProviders_datacenters.csv")
    ga_pue = {(r["provider"], r["Name"]): float(r["PUE"])
              for r in ga_dc if r.get("PUE")}

    def grid_row(loc):
        if loc in grid:
            return grid[loc]
        return grid.get(loc.split("-")[0])

    def add_cloud(provider, region, name, loc, g, year, scope, source):
        pue = ga_pue.get((provider, region))
        pue_source = "region (Green Algorithms v3.0, CC BY 4.0)"
        if pue is None:
            pue = PROVIDER_PUE[provider]
            pue_source = "provider default (Green Algorithms v3.0, CC BY 4.0)"
        cloud.append(dict(code=f"{provider}:{region}", provider=provider,
                          region=region, name=name, location=loc,
                          country=loc.split("-")[0], g_per_kwh=round(g, 2),
                          year=year, scope=scope, pue=pue,
                          pue_source=pue_source, source=source))

    with open(ref / "gcp-region-carbon-info/yearly/2024.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            region, place = row["Google Cloud Region"], row["Location"]
            loc = GCP_LOCATIONS[place]
            g = float(row["Grid carbon intensity (gCO2eq / kWh)"])
            add_cloud("gcp", region, f"GCP {region} ({place})", loc, g, 2024,
                      "direct", SRC_GCP)

    for region, (loc, title) in AWS_REGIONS.items():
        r = grid_row(loc)
        add_cloud("aws", region, f"AWS {region} ({title})", loc, r["g_per_kwh"],
                  r["year"], r["scope"],
                  f"grid of {r['code']}: {r['source']}")

    for row in ga_dc:
        if row["provider"] != "azure" or not row["location"]:
            continue
        loc = GA_CODE_FIX.get(row["location"], row["location"]) or row["location"]
        r = grid_row(loc)
        if r is None:
            continue
        region = re.sub(r"[^a-z0-9]", "", row["Name"].lower().split("(")[0])
        add_cloud("azure", region, f"Azure {row['Name']}", loc, r["g_per_kwh"],
                  r["year"], r["scope"], f"grid of {r['code']}: {r['source']}")

    # --- write ----------------------------------------------------------
    def write(path, header_comment, fields, rows):
        buf = io.StringIO()
        for line in header_comment:
            buf.write(f"# {line}\n")
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        path.write_text(buf.getvalue(), encoding="utf-8")

    gen = "Generated by scripts/data/build_grid_tables.py; see data/SOURCES.md."
    write(out / "countries.csv",
          ["ISO 3166-1 alpha-2, alpha-3 and English short names (facts of the standard,",
           "as listed by Debian iso-codes and tzdata iso3166.tab); aliases separated by ';'.",
           gen],
          ["alpha2", "alpha3", "name", "aliases"],
          [dict(alpha2=c["alpha2"], alpha3=c["alpha3"], name=c["name"],
                aliases=";".join(sorted(c["aliases"])))
           for c in sorted(countries.values(), key=lambda c: c["alpha2"])])
    order = {"world": 0, "country": 1, "subdivision": 2}
    write(out / "grid_intensity.csv",
          ["Grid carbon intensity in gCO2e/kWh. Countries: Our World in Data / Ember (lifecycle),",
           "via codecarbon global_energy_mix.json (MIT; OWID data CC BY 4.0); gaps, US states and",
           "Canadian provinces: Green Algorithms v3.0 CI_aggregated.csv (CC BY 4.0, mostly direct);",
           "WORLD: IEA 2019 (475). scope = lifecycle | direct.", gen],
          ["code", "alpha3", "name", "kind", "country", "g_per_kwh", "year",
           "scope", "source"],
          sorted(grid.values(), key=lambda r: (order[r["kind"]], r["code"])))
    write(out / "cloud_regions.csv",
          ["Cloud regions. gcp: Google region-carbon-info 2024 (Apache-2.0, operational).",
           "aws, azure: the grid row of the region's location from grid_intensity.csv",
           "(locations: mlco2/impact impact.csv, MIT; Green Algorithms v3.0, CC BY 4.0).",
           "PUE: Green Algorithms v3.0 per region where given, else provider default.", gen],
          ["code", "provider", "region", "name", "location", "country",
           "g_per_kwh", "year", "scope", "pue", "pue_source", "source"],
          cloud)
    print(f"{len(countries)} countries, {len(grid)} grid rows, {len(cloud)} cloud regions")


if __name__ == "__main__":
    main()
