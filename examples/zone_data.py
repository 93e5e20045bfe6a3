#!/usr/bin/python3
"""Writes the demo's city-zone demand history (DEMO.md step 1): seeded and deterministic.

Hourly, for ZONES city zones over DAYS days up to END (UTC; "now" means the end of the current
hour, so that the newest rows are fresh for the online store's TTL), it simulates bookings per zone
(morning and evening peaks, quieter weekends, more riders when warm, fewer in rain, a size per
zone, ~7% noise) under one city's weather, and writes two CSV files into OUT_DIR:

  zone_features.csv  the `zone_demand` feature view's history, one row per zone and hour:
                     zone_id, event_timestamp (RFC 3339), temperature, rain, bookings_lag_1h
                     (bookings in the hour before), bookings_mean_24h (mean over the 24 hours
                     before). Everything in a row is known at its event_timestamp.
  zone_labels.csv    the entity rows of a training set: zone_id, event_timestamp, hour,
                     day_of_week (request-time features) and bookings (the label: bookings in
                     the hour that starts at event_timestamp).

The first day only warms up the 24-hour mean and has no rows. Same arguments, same values; with
--end now only the timestamps move.

    /usr/bin/python3 examples/zone_data.py --out-dir demo-data --zones 50 --days 60
"""

import argparse
import datetime
import pathlib

import numpy as np

DEFAULT_END = "2026-10-01T00:00:00Z"


def end_epoch(text):
    """Epoch seconds of --end: RFC 3339 on the hour, or "now" (the end of the current hour)."""
    if text == "now":
        return (int(datetime.datetime.now(datetime.timezone.utc).timestamp()) // 3600 + 1) * 3600
    end = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(end.timestamp()) // 3600 * 3600


def simulate(zones, days, seed, end):
    """Returns (hours as epoch seconds, temperature[h], rain[h], bookings[zone, h])."""
    rng = np.random.default_rng(seed)
    n = days * 24
    start = end - n * 3600
    t = start + 3600 * np.arange(n)
    hour = (t // 3600) % 24
    day = t // 86400
    dow = (day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    day_of_year = (day - 4) % 365
    temperature = (11 + 9 * np.sin(2 * np.pi * (day_of_year - 105) / 365)
                   + 4 * np.sin(2 * np.pi * (hour - 9) / 24) + rng.normal(0, 2, n))
    raining = rng.random(n) < 0.15
    rain = np.where(raining, rng.exponential(2.0, n), 0.0)

    profile = (0.35 + 0.9 * np.exp(-((hour - 8) ** 2) / 4) + 1.0 * np.exp(-((hour - 18) ** 2) / 6)
               + 0.3 * np.exp(-((hour - 13) ** 2) / 8))
    weekday = np.select([dow == 5, dow == 6], [0.85, 0.75], 1.0)
    warmth = np.clip(1 + 0.012 * (temperature - 12), 0.6, 1.4)
    wet = np.exp(-0.12 * rain)
    size = rng.lognormal(0, 0.5, zones)[:, None] * 40
    noise = rng.lognormal(0, 0.07, (zones, n))
    bookings = np.maximum(1, np.round(size * profile * weekday * warmth * wet * noise))
    return t, hour, dow, temperature, rain, bookings


def rfc3339(epoch_seconds):
    return datetime.datetime.fromtimestamp(int(epoch_seconds), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--zones", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--end", default=DEFAULT_END, help='RFC 3339, or "now"')
    args = parser.parse_args()
    if args.zones < 1 or args.days < 2:
        parser.error("--zones must be at least 1 and --days at least 2")

    t, hour, dow, temperature, rain, bookings = simulate(args.zones, args.days, args.seed,
                                                         end_epoch(args.end))
    out = pathlib.Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stamps = [rfc3339(s) for s in t]
    rows = 0
    with open(out / "zone_features.csv", "w") as features, open(out / "zone_labels.csv", "w") as labels:
        features.write("zone_id,event_timestamp,temperature,rain,bookings_lag_1h,bookings_mean_24h\n")
        labels.write("zone_id,event_timestamp,hour,day_of_week,bookings\n")
        for z in range(args.zones):
            series = bookings[z]
            window = np.convolve(series, np.ones(24), "valid")[:-1] / 24  # mean of h-24 .. h-1
            for h in range(24, t.size):
                zone_id = z + 1
                features.write(f"{zone_id},{stamps[h]},{temperature[h]:.2f},{rain[h]:.2f},"
                               f"{series[h - 1]:.0f},{window[h - 24]:.3f}\n")
                labels.write(f"{zone_id},{stamps[h]},{hour[h]},{dow[h]},{series[h]:.0f}\n")
                rows += 1
    print(f"{rows} zone-hours for {args.zones} zones over {args.days - 1} days -> "
          f"{out / 'zone_features.csv'}, {out / 'zone_labels.csv'}")


if __name__ == "__main__":
    main()
