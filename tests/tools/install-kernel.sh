#!/usr/bin/env bash
# Installs the real .NET Interactive kernel (its last release, the Microsoft.dotnet-interactive tool) into
# tests/tools/dotnet-interactive and a Jupyter kernel spec for it (.net-csharp) into tests/tools/jupyter, which binds the
# kernel's HTTP API to loopback. With Debian's Jupyter: JUPYTER_PATH=tests/tools/jupyter jupyter nbconvert --execute
# --ExecutePreprocessor.kernel_name=.net-csharp runs a notebook in it. test.sh and bench/runner.sh call this.
set -euo pipefail
cd "$(dirname "$0")"
if ! /usr/bin/python3 -c 'import nbclient, ipykernel' 2>/dev/null || [ ! -x /usr/bin/jupyter-nbconvert ]; then
  apt-get update -qq && apt-get install -y -qq jupyter-nbconvert python3-nbclient python3-ipykernel >/dev/null
fi
tool="$PWD/dotnet-interactive"
if [ ! -x "$tool/dotnet-interactive" ]; then
  dotnet tool install --tool-path "$tool" Microsoft.dotnet-interactive --version 1.0.712001 >/dev/null
fi
mkdir -p jupyter/kernels/.net-csharp
cat > jupyter/kernels/.net-csharp/kernel.json <<SPEC
{
  "argv": ["$tool/dotnet-interactive", "jupyter", "--default-kernel", "csharp", "{connection_file}",
           "--http-local-only", "--http-port-range", "2048-3000"],
  "display_name": ".NET (C#)",
  "language": "C#"
}
SPEC
