#!/usr/bin/env python3
"""The 4 KiB blocks an event's commits dirty, as a model: python3 benches/walblocks.py 4s 15 8s 2

Each argument is one commit of the event, in frames (512-byte pages plus a
24-byte header), `s` when it is synced. The WAL is appended in order; a block
counts each time it goes from clean to dirty (that is what /proc/PID/io
write_bytes counts, and what the card writes). A synced commit leaves every
block clean, so the next commit writes its first block again; the events come
far apart, so each starts with every block clean. Checkpoints are left out
(the bench counts them separately). Prints the mean KiB per event over events
placed one after another in the WAL."""
import sys

FRAME, BLOCK = 536, 4096


def event(start, commits):
    dirty, count, off = set(), 0, start
    for frames, synced in commits:
        end = off + frames * FRAME
        for b in range(off // BLOCK, (end - 1) // BLOCK + 1):
            if b not in dirty:
                dirty.add(b)
                count += 1
        off = end
        if synced:
            dirty = set()
    return count, off


def mean_kib(commits, events=2000):
    total, off = 0, 32
    for _ in range(events):
        n, off = event(off, commits)
        total += n
    return total / events * BLOCK / 1024


commits = [(int(a.rstrip('s')), a.endswith('s')) for a in sys.argv[1:]]
print(f'{mean_kib(commits):.1f} KiB per event')
