#!/usr/bin/env python3
"""Prints the closing line of a test run from meson's testlog.json:
'tests: N passed, N failed, N skipped'."""
import json
import sys

counts = {'passed': 0, 'failed': 0, 'skipped': 0}
try:
    with open(sys.argv[1], encoding='utf-8') as f:
        for line in f:
            if not line.strip():
                continue
            result = json.loads(line).get('result', '')
            if result in ('OK', 'EXPECTEDFAIL'):
                counts['passed'] += 1
            elif result == 'SKIP':
                counts['skipped'] += 1
            else:
                counts['failed'] += 1
except OSError as e:
    sys.exit(f'summary: cannot read {sys.argv[1]}: {e.strerror}')
print(f"tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
