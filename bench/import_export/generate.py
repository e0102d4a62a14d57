#!/usr/bin/env python3
"""Synthetic stroke registrations for the benchmarks, made from documents that
`kvalreg export --register stroke --format ndjson` wrote from the demo data (so every
document passes validation), with a new synthetic national id each (fødselsnummer with
month + 80, as crates/app/src/synthetic/test_id.rs makes them: valid mod-11 check digits,
individual number 000-499 for people born 1900-1999, odd for men). Only the national id
changes; the id keeps the sex of the document it replaces.

  generate.py ndjson DEMO.ndjson ROWS OUT.ndjson [--skip K]
      ROWS registrations, one a line, for `kvalreg import`.
  generate.py load DEMO.ndjson COUNT TEMPLATES IDS [--skip K]
      for bench/load/post.lua: TEMPLATES holds the demo documents with the id replaced by
      __NID__, IDS holds COUNT lines "<template index> <national id>".

--skip K leaves out the first K ids of the enumeration, so runs on one database use
different persons.
"""

import argparse
import json
import sys

FIRST = (3, 7, 6, 1, 8, 9, 4, 5, 2)
SECOND = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def check_digit(digits, weights):
    digit = 11 - sum(d * w for d, w in zip(digits, weights)) % 11
    return 0 if digit == 11 else (None if digit == 10 else digit)


def synthetic_ids():
    """Every synthetic test id of people born 1930-1979 (day 1-28), in a fixed order:
    (id, male)."""
    for individual in range(500):
        for year in range(1930, 1980):
            for month in range(1, 13):
                for day in range(1, 29):
                    body = f"{day:02}{month + 80:02}{year % 100:02}{individual:03}"
                    digits = [int(c) for c in body]
                    first = check_digit(digits, FIRST)
                    if first is None:
                        continue
                    second = check_digit(digits + [first], SECOND)
                    if second is None:
                        continue
                    yield f"{body}{first}{second}", individual % 2 == 1


def load_templates(path):
    """The demo documents as JSON text with the id replaced by __NID__, split by sex."""
    templates = []
    with open(path) as f:
        for line in f:
            doc = json.loads(line)
            nid = doc.get("national_id")
            if not isinstance(nid, str) or len(nid) != 11:
                continue
            male = int(nid[8]) % 2 == 1
            doc["national_id"] = "__NID__"
            templates.append((json.dumps(doc, ensure_ascii=False, separators=(",", ":")), male))
    if not templates:
        sys.exit(f"{path}: no documents with a national id")
    by_sex = {True: [i for i, t in enumerate(templates) if t[1]],
              False: [i for i, t in enumerate(templates) if not t[1]]}
    return [t[0] for t in templates], by_sex


def pairs(by_sex, count, skip):
    """(template index, id) for `count` ids after the first `skip`."""
    next_of = {True: 0, False: 0}
    made = 0
    for n, (nid, male) in enumerate(synthetic_ids()):
        if n < skip:
            continue
        if made == count:
            return
        pool = by_sex[male] or by_sex[not male]
        index = pool[next_of[male] % len(pool)]
        next_of[male] += 1
        made += 1
        yield index, nid
    sys.exit(f"only {made} synthetic ids available, {count} asked")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["ndjson", "load"])
    parser.add_argument("demo")
    parser.add_argument("count", type=int)
    parser.add_argument("out", nargs="+")
    parser.add_argument("--skip", type=int, default=0)
    args = parser.parse_args()
    texts, by_sex = load_templates(args.demo)
    if args.mode == "ndjson":
        with open(args.out[0], "w") as out:
            for index, nid in pairs(by_sex, args.count, args.skip):
                out.write(texts[index].replace("__NID__", nid, 1))
                out.write("\n")
    else:
        templates, ids = args.out
        with open(templates, "w") as out:
            for text in texts:
                out.write(text + "\n")
        with open(ids, "w") as out:
            for index, nid in pairs(by_sex, args.count, args.skip):
                out.write(f"{index} {nid}\n")


if __name__ == "__main__":
    main()
