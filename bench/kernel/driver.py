"""The kernel benchmark's driver: Jupyter's own client (jupyter_client) against each kernel named on the command line.

For each kernel: (a) kernel start to idle, KernelManager.start_kernel until the first kernel_info reply, the median of
--runs; (b) a notebook through `jupyter nbconvert --execute --to notebook`, the median of --runs; (b') the same cells
through jupyter_client, kernel start to the end of a graceful shutdown: the kernel's share of (b), without nbconvert's
own start-up; (c) completion latency, p50 and p95 of --completions complete_requests (varied prefixes) on a warm session
after the notebook's cells ran. The runs of (a), (b) and (b') take the kernels in turn, so that both see the machine as
it is at the time. Prints one table with every kernel's figures and, when two are given, the ratios first / second
(theirs / ours).
"""
import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import KernelManager

# Each expression is cut after every character past the second: "Co", "Con", ... "Console.WriteLine".
EXPRESSIONS = [
    "Console.WriteLine", "epochs.CompareTo", "name.Length", "points.Select", "Math.Sqrt", "DateTime.Now.AddDays",
    "total.ToString", "string.Join", "Enumerable.Range", "Task.Delay", "new List<int>().Count", "name.Substring",
    "System.IO.File.ReadAllText", "Guid.NewGuid", "TimeSpan.FromSeconds",
]


def prefixes(count):
    cuts = [e[:n] for e in EXPRESSIONS for n in range(2, len(e) + 1)]
    return [cuts[i % len(cuts)] for i in range(count)]


def code_cells(notebook):
    with open(notebook, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells if c["cell_type"] == "code"]


@contextlib.contextmanager
def session(kernel, graceful=False):
    """A started kernel's client, ready (kernel_info answered); the kernel is shut down after, gracefully as nbconvert
    ends its kernel (a shutdown request, then the process's exit) or at once."""
    manager = KernelManager(kernel_name=kernel)
    # The kernels' own logs (.NET Interactive's web host) would interleave with the table.
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=180)  # sends kernel_info until one is answered
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=not graceful)


def start_to_idle(kernel):
    clock = time.perf_counter()
    with session(kernel):
        return time.perf_counter() - clock


def nbconvert(kernel, notebook, folder):
    output = os.path.join(folder, f"out-{kernel}.ipynb")
    clock = time.perf_counter()
    subprocess.run(["/usr/bin/jupyter-nbconvert", "--to", "notebook", "--execute", f"--ExecutePreprocessor.kernel_name={kernel}",
                    "--ExecutePreprocessor.timeout=300", notebook, "--output", output],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - clock


def run_cells(client, kernel, notebook):
    for cell in code_cells(notebook):
        outcome = client.execute_interactive(cell, timeout=300, output_hook=lambda _: None)
        if outcome["content"]["status"] != "ok":
            raise SystemExit(f"{kernel}: a cell of {notebook} failed: {outcome['content']}")


def notebook_session(kernel, notebook):
    clock = time.perf_counter()
    with session(kernel, graceful=True) as client:
        run_cells(client, kernel, notebook)
    return time.perf_counter() - clock


def reply(client, msg_id, timeout=60):
    while True:
        message = client.get_shell_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") == msg_id:
            return message["content"]


def completion_latencies(kernel, notebook, count):
    with session(kernel) as client:
        run_cells(client, kernel, notebook)
        for code in prefixes(10):  # warm: the first completions load the editor services
            reply(client, client.complete(code, len(code)), timeout=180)
        latencies, answered = [], 0
        for code in prefixes(count):
            clock = time.perf_counter()
            content = reply(client, client.complete(code, len(code)))
            latencies.append(time.perf_counter() - clock)
            answered += bool(content.get("matches"))
        return latencies, answered


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel", action="append", required=True, help="kernel name: theirs first, then ours")
    parser.add_argument("--label", action="append", required=True)
    parser.add_argument("--notebook", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--completions", type=int, default=200)
    args = parser.parse_args()

    kernels = dict(zip(args.label, args.kernel))
    cells = len(code_cells(args.notebook))
    measures = {
        "start to idle, median s": lambda kernel, _: start_to_idle(kernel),
        f"{cells}-cell notebook through nbconvert --execute, median s": lambda kernel, folder: nbconvert(kernel, args.notebook, folder),
        f"the {cells} cells through jupyter_client, start to shutdown, median s": lambda kernel, _: notebook_session(kernel, args.notebook),
    }
    figures = {label: {} for label in kernels}
    with tempfile.TemporaryDirectory() as folder:
        for measure, run in measures.items():
            print(f"measuring {measure}...", file=sys.stderr)
            times = {label: [] for label in kernels}
            for _ in range(args.runs):
                for label, kernel in kernels.items():
                    times[label].append(run(kernel, folder))
            for label in kernels:
                figures[label][measure] = statistics.median(times[label])
    for label, kernel in kernels.items():
        print(f"measuring completion on {label} ({kernel})...", file=sys.stderr)
        latencies, answered = completion_latencies(kernel, args.notebook, args.completions)
        figures[label].update({
            "completion p50 ms": 1000 * percentile(latencies, 0.50),
            "completion p95 ms": 1000 * percentile(latencies, 0.95),
            "completions answered with matches": f"{answered}/{len(latencies)}",
        })

    labels = list(figures)
    ratio = len(labels) == 2
    print(f"| measure | {' | '.join(labels)} |{' ratio (theirs / ours) |' if ratio else ''}")
    print(f"| --- |{' ---: |' * len(labels)}{' ---: |' if ratio else ''}")
    for measure in figures[labels[0]]:
        values = [figures[l][measure] for l in labels]
        cells = [f"{v:.3f}" if "s" == measure.split()[-1] else f"{v:.1f}" if isinstance(v, float) else str(v) for v in values]
        quotient = f" {values[0] / values[1]:.2f} |" if ratio and all(isinstance(v, float) for v in values) else (" |" if ratio else "")
        print(f"| {measure} | {' | '.join(cells)} |{quotient}")


if __name__ == "__main__":
    main()
