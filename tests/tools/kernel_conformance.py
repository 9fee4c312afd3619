"""Jupyter's kernel conformance suite (jupyter_kernel_test, Debian's python3-jupyter-kernel-test) for the mlops kernel.

Run with /usr/bin/python3 -m unittest -v kernel_conformance, with JUPYTER_PATH naming a folder whose kernels/ holds the
spec that `mlops kernel install --prefix` wrote (MLOPS_KERNEL_NAME: its name, default mlops-csharp).
"""
import os
import unittest

import jupyter_kernel_test


class MlopsKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("MLOPS_KERNEL_NAME", "mlops-csharp")
    language_name = "C#"
    file_extension = ".cs"

    code_hello_world = 'Console.WriteLine("hello, world");'
    code_stderr = 'Console.Error.WriteLine("to stderr");'
    code_generate_error = 'throw new InvalidOperationException("boom");'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"C" + "#"', "result": "C#"},
    ]
    code_display_data = [
        {"code": 'display(HTML("<b>bold</b>"));', "mime": "text/html"},
        {"code": "display(42);", "mime": "text/plain"},
    ]

    complete_code_samples = ["var x = 1;", "Console.WriteLine(1);", "int Twice(int n) => 2 * n;"]
    incomplete_code_samples = ["for (var i = 0; i < 3; i++) {", "var s = \"open", "int Twice(int n) {"]

    # A cell a console client can run at once (Enter) must not be called invalid: C# says incomplete or complete.
    invalid_code_samples = []

    # The completion and hover services (kernel-assist) fill these in: the protocol's shape is checked either way.
    completion_samples = [{"text": "Console.Wri"}]


if __name__ == "__main__":
    unittest.main()
