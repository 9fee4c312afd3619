"""bench/serving.sh's table: each figure, its target, whether it is met, and the reference it is held against, from the
wrk outputs and the files the script leaves in its scratch folder. Usage: table.py OUT SECONDS"""
import json
import re
import statistics
import sys

out, seconds = sys.argv[1], sys.argv[2]
load = open(f"{out}/load.txt").read().split()


def wrk(name):
    text = open(f"{out}/{name}.txt").read()
    rate = float(re.search(r"Requests/sec:\s*([\d.]+)", text).group(1))
    p99 = re.search(r"99%\s*([\d.]+)(us|ms|s)\b", text)
    return rate, float(p99.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]


container, ceiling, host, process, fastapi = (wrk(n) for n in ("container", "ceiling", "host", "process", "fastapi"))
paced, batch = wrk("paced"), wrk("batch")
transform = float(open(f"{out}/transform.txt").read())
size = json.load(open(f"{out}/image.json"))["size"] / 1e6
base_size = int(open(f"{out}/base-size.txt").read()) / 1e6


def failed(name):
    """Requests wrk sent and the ones that failed: answers other than 2xx, and socket errors."""
    text = open(f"{out}/{name}.txt").read()
    sent = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return sent, (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, errors.groups())) if errors else 0)


blue_green, canary = failed("blue-green"), failed("canary")
starts = [int(line) / 1e9 for line in open(f"{out}/starts.txt")]
start = statistics.median(starts)

rows = [
    ("container (Docker's bridge), POST /predict, one row (predictions/s)", f"{container[0]:,.0f}", ">= 20,000 and >= 10x FastAPI",
     container[0] >= 20_000 and container[0] >= 10 * fastapi[0],
     f"FastAPI {fastapi[0]:,.0f}: {container[0] / fastapi[0]:.1f}x; ceiling {ceiling[0]:,.0f}: {container[0] / ceiling[0]:.2f}x"),
    ("`mlops serve` process, POST /predict, one row (predictions/s)", f"{process[0]:,.0f}", ">= 20,000 and >= 10x FastAPI",
     process[0] >= 20_000 and process[0] >= 10 * fastapi[0], f"FastAPI: {process[0] / fastapi[0]:.1f}x; container: {process[0] / container[0]:.2f}x"),
    ("the same container on the host's network, POST /predict, one row (predictions/s)", f"{host[0]:,.0f}", "(reference)", None,
     f"the container on the bridge: {container[0] / host[0]:.2f}x"),
    ("FastAPI + uvicorn, POST /predict, one row (predictions/s)", f"{fastapi[0]:,.0f}", "(reference)", None, f"p99 {fastapi[1]:.2f} ms"),
    ("container, GET /v2/health/live (requests/s, the ceiling)", f"{ceiling[0]:,.0f}", "(reference)", None, f"p99 {ceiling[1]:.2f} ms"),
    (f"container p99 at {paced[0]:,.0f}/s, {paced[0] / container[0]:.0%} of the peak (ms)", f"{paced[1]:.2f}", "<= 5", paced[1] <= 5,
     f"p99 at the peak {container[1]:.2f} ms"),
    ("container, POST /predict, 1,000-row batches (rows/s)", f"{batch[0] * 1000:,.0f}", ">= 0.8x in-process", batch[0] * 1000 >= 0.8 * transform,
     f"in-process Transform {transform:,.0f}: {batch[0] * 1000 / transform:.2f}x"),
    ("image size (MB)", f"{size:.1f}", "<= 150", size <= 150, f"base image {base_size:.1f} MB: the server and model add {size - base_size:.1f}"),
    ("container start to ready, median of 5 (s)", f"{start:.2f}", "<= 2", start <= 2, "starts " + ", ".join(f"{s:.2f}" for s in starts)),
    ("failed requests during a blue-green switch (through the proxy)", f"{blue_green[1]:,}", "0", blue_green[1] == 0,
     f"of {blue_green[0]:,} sent while `mlops deploy` ran"),
    ("failed requests during a canary rollback (through the proxy)", f"{canary[1]:,}", "0", canary[1] == 0,
     f"of {canary[0]:,} sent while `mlops deploy --canary` ran and rolled back"),
]
print("| measure | figure | target | met | reference |")
print("| --- | ---: | --- | --- | --- |")
for name, figure, target, met, reference in rows:
    print(f"| {name} | {figure} | {target} | {'' if met is None else 'yes' if met else 'NO'} | {reference} |")
print(f"\nwrk -t2 with keep-alive, {seconds} s a run (-c32 single rows, -c4 batches), on the same 2 cores as the servers"
      f" (load average {load[0]} before, {load[1]} after: others' work on the machine moves these figures);"
      " the in-process Transform on 2 threads for as long.")
