#!/usr/bin/env python3
"""Pages each commit in a WAL wrote, by table and index: python3 benches/walpages.py DIR [SKIP]

DIR holds gateway.db and gateway.db-wal (`KLG_BENCH_KEEP_STATE=dir cargo bench --bench gateway
-- wear` leaves copies there). Frames are read from the WAL headers; page numbers are named with
SQLite's dbstat on a copy (Python's sqlite3 has it; the gateway's own build leaves it out). Pages
dbstat does not list are pointer-map or free-list pages; page 1 is the header."""
import sqlite3, struct, sys, shutil, tempfile, os, collections
d = sys.argv[1]
wal = open(os.path.join(d, 'gateway.db-wal'), 'rb').read()
magic, ver, psz, ckseq, s1, s2, c1, c2 = struct.unpack('>IIIIIIII', wal[:32])
off, commits, cur = 32, [], []
while off + 24 + psz <= len(wal):
    pg, size, fs1, fs2 = struct.unpack('>IIII', wal[off:off+16])
    if (fs1, fs2) != (s1, s2): break
    cur.append(pg)
    if size: commits.append(cur); cur = []
    off += 24 + psz
t = tempfile.mkdtemp()
for f in ('gateway.db', 'gateway.db-wal'):
    shutil.copy(os.path.join(d, f), t)
c = sqlite3.connect(os.path.join(t, 'gateway.db'))
names = dict((p, n) for n, p in c.execute('select name, pageno from dbstat'))
skip = int(sys.argv[2]) if len(sys.argv) > 2 else 0
for i, pages in enumerate(commits[skip:]):
    cnt = collections.Counter(names.get(p, 'ptrmap/free' if p != 1 else 'header') for p in pages)
    print(f'commit {i+skip}: {len(pages)} frames:', ', '.join(f'{n}' + (f'×{k}' if k > 1 else '') for n, k in sorted(cnt.items())))
print(len(commits), 'commits,', sum(map(len, commits)), 'frames')
