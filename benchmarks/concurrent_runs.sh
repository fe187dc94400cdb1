#!/bin/bash
# Two `sefreq predict` runs on the same output at once, 5 tries (#25): exit codes, last
# line of each, and the molecules in the output. Needs a library: benchmarks/make_library.py
# --n 1500 -o /tmp/conc/lib.smi. Run from the repository root: bash benchmarks/concurrent_runs.sh
cd "$(dirname "$0")/.."
for t in 1 2 3 4 5; do
  rm -f /tmp/conc/out.csv
  .venv/bin/sefreq predict /tmp/conc/lib.smi -o /tmp/conc/out.csv --format top-k -k 3 --jobs 1 --no-progress > /tmp/conc/a.out 2> /tmp/conc/a.err & A=$!
  .venv/bin/sefreq predict /tmp/conc/lib.smi -o /tmp/conc/out.csv --format top-k -k 3 --jobs 1 --no-progress > /tmp/conc/b.out 2> /tmp/conc/b.err & B=$!
  wait $A; RA=$?; wait $B; RB=$?
  ROWS=$(.venv/bin/python -c "import pandas as pd; t=pd.read_csv('/tmp/conc/out.csv'); print(t['input_row'].nunique())" 2>/dev/null)
  echo "try $t: exits $RA/$RB; molecules in output: $ROWS; A: $(cat /tmp/conc/a.out /tmp/conc/a.err | tail -1 | cut -c1-150); B: $(cat /tmp/conc/b.out /tmp/conc/b.err | tail -1 | cut -c1-150)"
done
