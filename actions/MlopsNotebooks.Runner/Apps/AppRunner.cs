using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using MlopsNotebooks.Tracking;
using MlopsNotebooks.Versioning;

namespace MlopsNotebooks.Runner.Apps;

/// <summary>
/// Runs a file-based app as a pipeline step: <c>dotnet run --file app.cs -- name=value ...</c> in the app's folder, with
/// the SDK on PATH. Parameters are <c>name=value</c> arguments, the form <c>-p</c> takes (an app converted from a
/// notebook reads them). The app's runs are the app's: its source path, content hash, parameters and the request's
/// tags reach the kit in the child through the environment, as they reach the processes a notebook's cells start.
/// What it printed (the build's and its own) is written to the output file, the app's executed copy.
/// </summary>
public sealed class AppRunner
{
    public async Task<RunResult> RunAsync(RunRequest request)
    {
        var clock = Stopwatch.StartNew();
        var path = Path.GetFullPath(request.NotebookPath);
        FileBasedApp.Check(path, request.NotebookPath);
        var output = OutputFile.Check(request.OutputPath ?? DefaultOutput(path), "--output");

        var parameters = new JsonObject(request.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create<string, JsonNode?>(p.Key, p.Value)));
        var provenance = new Provenance(path, ContentHash.OfFile(path).ToString(), parameters.ToJsonString(), request.RunTags, request.RunToContinue);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(path)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["run", "--file", path, "--"])
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in request.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            info.ArgumentList.Add($"{name}={value}");
        }
        foreach (var (name, value) in provenance.ToEnvironment())
        {
            info.Environment[name] = value;
        }
        if (request.TrackingUri is { } uri)
        {
            info.Environment[Storage.TrackingStores.UriVariable] = uri;
        }
        info.Environment["DOTNET_NOLOGO"] = "1";

        var printed = new StringBuilder();
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new EnvironmentException($"`dotnet run` could not start ({e.Message}).", "File-based apps need the .NET 10 SDK on PATH.");
        }
        using (process)
        {
            void Keep(object _, DataReceivedEventArgs e)
            {
                if (e.Data is not null)
                {
                    lock (printed)
                    {
                        printed.Append(e.Data).Append('\n');
                    }
                }
            }
            process.OutputDataReceived += Keep;
            process.ErrorDataReceived += Keep;
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            using var timeout = request.CellTimeout is { } limit ? new CancellationTokenSource(limit) : new CancellationTokenSource();
            FailedCell? failure = null;
            try
            {
                await process.WaitForExitAsync(timeout.Token);
                process.WaitForExit(); // the output's last lines
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                failure = new FailedCell(1, null, "Timeout", $"The app did not finish in {request.CellTimeout!.Value.TotalSeconds} s (--cell-timeout; building it counts).") { SourceCell = 1 };
            }
            var text = printed.ToString();
            if (failure is null && process.ExitCode != 0)
            {
                failure = AppFailures.Read(path, text, process.ExitCode);
            }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(output)!);
                AtomicFile.WriteAllText(output, text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new MlopsException($"The app's output could not be written to {output}: {e.Message}", "Free some space or pass --output with another path, and run it again.");
            }
            return new RunResult(path, output, failure is null, failure, clock.Elapsed, 1, request.Parameters, Abandoned: false);
        }
    }

    /// <summary>Beside the executed notebooks: <c>.mlops/notebooks/&lt;path in repo&gt;.log</c>.</summary>
    private static string DefaultOutput(string path)
    {
        var root = Storage.TrackingStores.FindWorkTreeRoot(Path.GetDirectoryName(path)!);
        return Path.Combine(Storage.TrackingStores.EnsureStateFolder(root), "notebooks", Path.GetRelativePath(root, path) + ".log");
    }
}
