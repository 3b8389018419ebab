#!/bin/bash
# Regenerates train_benches.jsonl (one JSON object per benchmark, in this
# order) and train_shapes3d_spe32.json; run from the repository root on an
# otherwise idle machine.
set -e
out=docs/results/performance/train_benches.jsonl
: > $out
run() { python "$@" 2>/dev/null >> $out; }
run bench/train.py --tiny --steps=8192 --warmup=1024 --rounds=3 --steps_per_execution=1
run bench/train.py --tiny --steps=8192 --warmup=1024 --rounds=3 --steps_per_execution=32
run bench/train.py --end_to_end --steps=200 --warmup=20 --rounds=3
run bench/train.py --end_to_end --dataset=shapes3d --steps=200 --warmup=20 --rounds=3
run bench/train.py --end_to_end --steps=192 --warmup=32 --rounds=3 --steps_per_execution=32
run bench/train.py --steps=20 --rounds=4
run bench/train.py --model=cfasl --steps=10 --rounds=4
run bench/train.py --model=mipe --steps=10 --rounds=4
run bench/train.py --model=qlae --steps=10 --rounds=4
run bench/cfasl.py --breakdown --rounds=3
python bench/train.py --end_to_end --dataset=shapes3d --steps=192 --warmup=32 --rounds=3 \
  --steps_per_execution=32 2>/dev/null > docs/results/performance/train_shapes3d_spe32.json
