"""Drives a Jupyter kernel through jupyter_client (Debian's python3-jupyter-client) as a notebook client would, and
prints what happened as one JSON object for the tests to assert on.

Usage: /usr/bin/python3 kernel_driver.py SCENARIO KERNEL_STDERR_FILE, with JUPYTER_PATH naming the kernel spec's folder
and MLOPS_KERNEL_NAME the spec's name.
"""
import json
import os
import sys
import time
from queue import Empty

from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

TIMEOUT = 60


def execute(kc, code, timeout=TIMEOUT, silent=False, stdin_hook=None):
    """Runs a cell; returns its reply content and its IOPub outputs (type and content), as a notebook shows them."""
    outputs = []

    def hook(msg):
        if msg["msg_type"] not in ("status", "execute_input"):
            outputs.append({"type": msg["msg_type"], "content": msg["content"]})

    reply = kc.execute_interactive(code, silent=silent, output_hook=hook, timeout=timeout,
                                   allow_stdin=stdin_hook is not None, stdin_hook=stdin_hook)
    return {"reply": reply["content"], "outputs": outputs}


def shell_reply(kc, timeout):
    try:
        return kc.get_shell_msg(timeout=timeout)
    except Empty:
        return None


def bad_signature(km, kc):
    """A request signed with another key, and one with no delimiter at all, get no reply; a good one still does."""
    wrong = Session(key=b"not-the-key", signature_scheme="hmac-sha256", session=kc.session.session)
    wrong.send(kc.shell_channel.socket, "kernel_info_request", {})
    kc.shell_channel.socket.send_multipart([b"no delimiter here"])
    answered = shell_reply(kc, 3)
    msg_id = kc.kernel_info()
    good = shell_reply(kc, TIMEOUT)
    return {
        "bad_answered": answered is not None,
        "good_answered": good is not None and good["parent_header"].get("msg_id") == msg_id,
        "alive": km.is_alive(),
        "key_in_stderr": km.session.key.decode() in open(STDERR).read(),
    }


def replies(kc, ids):
    """The shell replies to these requests, by request id, in whatever order they come."""
    got = {}
    while len(got) < len(ids):
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        got[reply["parent_header"].get("msg_id")] = reply["content"]
    return [got[i] for i in ids]


def abort(km, kc):
    """A failing cell with stop_on_error, two cells queued behind it, then a cell sent after the failure."""
    ids = [kc.execute('throw new InvalidOperationException("queued");')]
    ids += [kc.execute('Console.WriteLine("never");'), kc.execute('Console.WriteLine("never");')]
    failed, *queued = replies(kc, ids)
    return {"failed": failed, "queued": [q["status"] for q in queued], "next": execute(kc, 'Console.WriteLine("after");')}


def statuses(km, kc):
    """The status messages each request causes on IOPub; a silent cell's outputs; the count after it."""
    while True:
        try:
            kc.get_iopub_msg(timeout=0.5)
        except Empty:
            break
    ids = [kc.kernel_info(), kc.complete("Cons", 4), kc.is_complete("var x = 1;"), kc.comm_info(), kc.history()]
    replies(kc, ids)
    states = {i: [] for i in ids}
    deadline = time.time() + TIMEOUT
    while any(s[-1:] != ["idle"] for s in states.values()) and time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        parent = msg["parent_header"].get("msg_id")
        if msg["msg_type"] == "status" and parent in states:
            states[parent].append(msg["content"]["execution_state"])
    execute(kc, "var n = 1;")
    silent = execute(kc, 'Console.WriteLine("hidden"); n', silent=True)
    counted = execute(kc, "n + 1")
    return {"requests": [{"id": i, "states": states[i]} for i in ids], "silent": silent, "counted": counted}


def restart(km, kc):
    """A variable, then the client restarts the kernel (killing it): the variable is gone and a new cell runs."""
    before = execute(kc, "var before = 41;")
    pid = km.provisioner.process.pid
    km.restart_kernel(now=True)
    # The client keeps its channels, as a notebook front end does: they reconnect to the new process on the same ports.
    kc.wait_for_ready(timeout=TIMEOUT)
    gone = execute(kc, "before + 1")
    fresh = execute(kc, "var after = 1 + 1; after")
    return {"before": before, "new_process": km.provisioner.process.pid != pid, "gone": gone, "fresh": fresh}


def interrupt(km, kc):
    """A long cell interrupted by message (interrupt_mode "message"), then a cell that reads a variable from before it."""
    kept = execute(kc, "var kept = 7;")
    msg_id = kc.execute("while (true) { }")
    time.sleep(3)
    started = time.time()
    km.interrupt_kernel()
    while True:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    seconds = time.time() - started
    after = execute(kc, "kept * 6")
    return {"kept": kept, "interrupted": reply["content"], "seconds": seconds, "after": after}


def shutdown(km, kc):
    """A cell, then the client asks the kernel to shut down (shutdown_request) and waits for the process to end."""
    ran = execute(kc, "var x = 1;")
    process = km.provisioner.process
    started = time.time()
    km.shutdown_kernel(now=False)
    return {"ran": ran["reply"]["status"], "exit_code": process.wait(timeout=TIMEOUT), "seconds": time.time() - started}


def stdin(km, kc):
    """Console.ReadLine answered through input_request when the client allows stdin; end of input when it does not."""
    code = 'Console.Write("Name: "); var name = Console.ReadLine(); Console.WriteLine($"hello {name ?? "<end of input>"}");'
    prompts = []

    def answer(msg):
        prompts.append({"type": msg["msg_type"], "prompt": msg["content"]["prompt"], "password": msg["content"]["password"],
                        "parent": msg["parent_header"].get("msg_type")})
        kc.input("Ada")

    asked = execute(kc, code, stdin_hook=answer)
    refused = execute(kc, code)
    return {"prompts": prompts, "asked": asked, "refused": refused}


SCENARIOS = {"shutdown": shutdown, "stdin": stdin, "bad-signature": bad_signature, "restart": restart, "interrupt": interrupt, "abort": abort, "statuses": statuses}
STDERR = ""


def main():
    global STDERR
    scenario, STDERR = sys.argv[1], sys.argv[2]
    km = KernelManager(kernel_name=os.environ.get("MLOPS_KERNEL_NAME", "mlops-csharp"))
    with open(STDERR, "w") as stderr:
        km.start_kernel(stderr=stderr)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
            print(json.dumps(SCENARIOS[scenario](km, kc)))
        finally:
            kc.stop_channels()
            if km.has_kernel:
                km.shutdown_kernel(now=False)


if __name__ == "__main__":
    main()
