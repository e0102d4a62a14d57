"""Verdicts of python-stdnum on national ids, one per input line, for kvalreg's cross-check.

Input lines: `no <11 digits>` or `se <12 digits>`. Output, one line each: `valid`,
`invalid`, or `future` (a Norwegian number stdnum refuses only because the birth date is
after today). python-stdnum has no samordningsnummer module: for a Swedish number with 60
added to the day it answers with stdnum's own parts, its Luhn check over the last ten digits
and its personnummer date rule applied to the day minus 60. Exits 3 if stdnum is missing.
"""

import sys

try:
    from stdnum import luhn
    from stdnum.exceptions import ValidationError
    from stdnum.no import fodselsnummer
    from stdnum.se import personnummer
except ImportError:
    sys.stderr.write("python-stdnum is not installed: pip install python-stdnum\n")
    sys.exit(3)


def norwegian(number):
    try:
        fodselsnummer.validate(number)
        return "valid"
    except ValidationError as e:
        if "not been born yet" in str(e):
            return "future"
        return "invalid"


def swedish(number):
    coded_day = int(number[6:8])
    if coded_day < 60:
        return "valid" if personnummer.is_valid(number) else "invalid"
    as_birth_date = number[:6] + "%02d" % (coded_day - 60) + number[8:]
    try:
        personnummer.get_birth_date(as_birth_date[:8] + "-" + as_birth_date[8:])
    except ValidationError:
        return "invalid"
    return "valid" if luhn.is_valid(number[-10:]) else "invalid"


def main():
    out = []
    for line in sys.stdin:
        kind, number = line.split()
        out.append(norwegian(number) if kind == "no" else swedish(number))
    sys.stdout.write("\n".join(out) + "\n")


main()
