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
        {"code": '"C" + "#"', "result": "C#"},
        {"code": 'string.Join(",", Enumerable.Range(1, 3))', "result": "1,2,3"},
        # A value the formatters show as HTML carries text/plain beside it, as every Jupyter client expects of a result.
        {"code": "6 * 7", "result": "42"},
    ]
    code_display_data = [
        {"code": 'display(HTML("<b>bold</b>"));', "mime": "text/html"},
        {"code": 'display("shown");', "mime": "text/plain"},
    ]

    complete_code_samples = ["var x = 1;", "Console.WriteLine(1);", "int Twice(int n) => 2 * n;"]
    incomplete_code_samples = ["for (var i = 0; i < 3; i++) {", "var s = \"open", "int Twice(int n) {"]

    # A cell a console client can run at once (Enter) must not be called invalid: C# says incomplete or complete.
    invalid_code_samples = ["}"]

    completion_samples = [
        {"text": "Console.WriteL", "matches": {"WriteLine"}},
        {"text": "Math.Sqr", "matches": {"Sqrt"}},
    ]
    code_inspect_sample = "Console.WriteLine"


if __name__ == "__main__":
    unittest.main()
