using MlopsNotebooks.GitHub.Toolkit;

namespace MlopsNotebooks.Cli;

/// <summary>
/// A long step's progress (the engine's build output, a deploy's moves), one line at a time as it happens, redacted (a
/// secret could reach an error line) and never a workflow command. With --json it goes to stderr, so stdout stays JSON.
/// </summary>
internal sealed class LineLog : IProgress<string>
{
    private readonly Action<string> _write;

    public LineLog(TextWriter writer) => _write = line => writer.WriteLine(LogText.Safe(line));

    public LineLog(ActionRunner actions) => _write = actions.Log;

    public void Report(string value) => _write(value);
}
