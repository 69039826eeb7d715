#!/usr/bin/env python3
"""Writes a clean native CSV export for benchmarks: USERS users, 3 job requests, 5 recordings (each linked
to one of its user's job requests, at most 4 of them charged) and 1 resume per user — 10 rows per user.
Deterministic (seed 20261125). Usage: generate-native.py USERS OUT_DIR
(`crm-pipeline generate` replaces this in a later milestone.)"""
import csv, os, random, sys

users, out = int(sys.argv[1]), sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261125)
offsets = ["Z", "-05:00", "+01:00", "+09:00"]

def stamp(day, minute):
    return f"2024-{1 + day % 12:02d}-{1 + day % 28:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00{offsets[minute % 4]}"

with open(f"{out}/users.csv", "w", newline="") as u, open(f"{out}/job_requests.csv", "w", newline="") as j, \
     open(f"{out}/recordings.csv", "w", newline="") as r, open(f"{out}/resumes.csv", "w", newline="") as c:
    wu, wj, wr, wc = (csv.writer(f, lineterminator="\n") for f in (u, j, r, c))
    wu.writerow(["email", "crm_user_id", "first_name", "last_name", "phone", "created_at", "updated_at"])
    wj.writerow(["email", "external_id", "job_title", "company_name", "status", "created_at", "updated_at"])
    wr.writerow(["email", "external_id", "job_request_external_id", "video_url", "duration_seconds", "credit_charged", "created_at"])
    wc.writerow(["email", "external_id", "file_url", "file_name", "created_at"])
    for n in range(users):
        email = f"user{n}@example.com"
        wu.writerow([email, f"C-{n}", f"First{n}", f"Last, {n}", f"+1 555 {n:07d}", stamp(n, n), stamp(n + 1, n)])
        for k in range(3):
            wj.writerow([email, f"J{k}", "Registered Nurse", f"Company {n % 977}", "applied", stamp(n + k, n + k), stamp(n + k, n + k)])
        charged = 0
        for k in range(5):
            charge = charged < 4 and rng.random() < 0.6
            charged += charge
            wr.writerow([email, f"R{k}", f"J{k % 3}", f"https://cdn.example.com/v/{n}/{k}.mp4", rng.randrange(600),
                         "true" if charge else "false", stamp(n + k + 2, n * 7 + k)])
        wc.writerow([email, "CV1", f"https://cdn.example.com/cv/{n}.pdf", f"cv-{n}.pdf", stamp(n, n + 3)])
