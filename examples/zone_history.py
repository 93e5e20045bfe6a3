#!/usr/bin/python3
"""Writes the demo's zone history for the feature store (DEMO.md step 2), seeded and deterministic.

    /usr/bin/python3 examples/zone_history.py --out demo-data [--zones 50] [--days 60] [--seed 42]

Writes:
  zone_demand.csv   hourly rows per zone: zone_id, event_timestamp (RFC 3339), bookings,
                    bookings_24h_mean, temperature, rain, event (the view of examples/features.yaml)
  train_rows.csv    entity rows for a training set: zone_id, event_timestamp (on the half hour,
                    so the point-in-time join takes the hour before), hour, day_of_week and the
                    label next_bookings (the zone's bookings in the following hour)

Standard library only.
"""

import argparse
import datetime
import math
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--zones", type=int, default=50)
    ap.add_argument("--days", type=int, default=60)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    start = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    hours = args.days * 24
    size = [rng.uniform(0.5, 2.0) for _ in range(args.zones)]
    history = {}  # (zone, hour index) -> bookings
    with open(os.path.join(args.out, "zone_demand.csv"), "w") as fh:
        fh.write("zone_id,event_timestamp,bookings,bookings_24h_mean,temperature,rain,event\n")
        for z in range(args.zones):
            window = []
            for h in range(hours):
                t = start + datetime.timedelta(hours=h)
                hod = t.hour
                temp = 12 + 8 * math.sin(2 * math.pi * (h / 24 - 100) / 365) \
                    + 4 * math.sin(2 * math.pi * (hod - 9) / 24) + rng.gauss(0, 2)
                rain = rng.expovariate(0.5) if rng.random() < 0.15 else 0.0
                event = rng.random() < 0.02
                profile = (0.35 + 0.9 * math.exp(-((hod - 8) ** 2) / 4)
                           + 1.0 * math.exp(-((hod - 18) ** 2) / 6))
                mean = 40 * size[z] * profile * math.exp(-0.12 * rain) * (1.8 if event else 1.0)
                bookings = max(0, int(round(mean * rng.uniform(0.9, 1.1))))
                history[(z, h)] = bookings
                window.append(bookings)
                window = window[-24:]
                fh.write(f"{z},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{bookings},"
                         f"{sum(window) / len(window):.3f},{temp:.2f},{rain:.2f},"
                         f"{'true' if event else 'false'}\n")
    with open(os.path.join(args.out, "train_rows.csv"), "w") as fh:
        fh.write("zone_id,event_timestamp,hour,day_of_week,next_bookings\n")
        for z in range(args.zones):
            for h in range(24, hours - 1, 3):
                t = start + datetime.timedelta(hours=h, minutes=30)
                fh.write(f"{z},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{t.hour},{t.weekday()},"
                         f"{history[(z, h + 1)]}\n")


if __name__ == "__main__":
    main()
