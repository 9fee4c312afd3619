using MlopsNotebooks.Kernel.Assist;
using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Interactive;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary>Completion and hover in a live session: cells run in a real InteractiveSession, then the assistant is asked as a client asks.</summary>
[Collection(nameof(Runner.InteractiveSessionTests))]
public sealed class CompletionTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly InteractiveSession _session;
    private readonly StringWriter _log = new();
    private readonly CodeAssistant _assistant;

    public CompletionTests()
    {
        _session = new InteractiveSession(new InteractiveOptions { WorkingDirectory = _dir.Path, TrackingUri = _dir.File("mlops.db") });
        _assistant = new CodeAssistant(_session, _log);
    }

    public void Dispose()
    {
        _assistant.Dispose();
        _session.Dispose();
        _dir.Dispose();
    }

    /// <summary>Runs a cell as the kernel does and fails the test when the cell fails.</summary>
    private async Task Run(string code)
    {
        var outputs = new CollectedOutputs();
        var outcome = await _session.ExecuteAsync(new ExecuteRequest(code), outputs);
        Assert.True(outcome.Succeeded, $"{code} failed: {outcome.Failure?.Message} {string.Concat(outputs.All.Select(o => o.Text))}");
    }

    /// <summary>Completes at the end of <paramref name="code"/>, or at the "$$" in it (taken out).</summary>
    private Task<Completions> Complete(string code)
    {
        var cursor = code.Contains("$$") ? code.IndexOf("$$", StringComparison.Ordinal) : code.Length;
        return _assistant.CompleteAsync(code.Replace("$$", ""), cursor);
    }

    [Fact]
    public async Task A_variable_defined_two_cells_earlier_completes()
    {
        await Run("var churnRate = 0.2;");
        await Run("var threshold = churnRate * 2;");
        var completions = await Complete("var next = churn");
        Assert.Contains("churnRate", completions.Matches);
        Assert.All(completions.Matches, m => Assert.StartsWith("churn", m, StringComparison.OrdinalIgnoreCase));
        Assert.Equal(("var next = ".Length, "var next = churn".Length), (completions.CursorStart, completions.CursorEnd));
        Assert.Equal("field", completions.Kinds.Single(k => k.Text == "churnRate").Type); // a script's variables are its submission's fields
        Assert.Empty(_log.ToString());
    }

    [Fact]
    public async Task Members_after_a_dot_complete_with_the_span_they_replace()
    {
        var completions = await Complete("\"abc\".Len");
        Assert.Equal(["Length"], completions.Matches);
        Assert.Equal((6, 9), (completions.CursorStart, completions.CursorEnd));
        var kind = Assert.Single(completions.Kinds);
        Assert.Equal(("Length", "property", 6, 9), (kind.Text, kind.Type, kind.Start, kind.End));

        var all = await Complete("\"abc\".$$ ");
        Assert.Contains("Substring", all.Matches);
        Assert.Equal((6, 6), (all.CursorStart, all.CursorEnd));
    }

    [Fact]
    public async Task A_type_from_a_namespace_the_session_has_not_imported_is_not_offered_bare()
    {
        await _assistant.WarmUpAsync(); // Roslyn offers such types once its index of them is built
        await Complete("JsonSeri");
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.DoesNotContain("JsonSerializer", (await Complete("JsonSeri")).Matches); // inserted bare, it would not compile
        await Run("using System.Text.Json;");
        Assert.Contains("JsonSerializer", (await Complete("JsonSeri")).Matches);
    }

    [Fact]
    public async Task A_type_from_the_kit_completes_with_its_members()
    {
        Assert.Contains("Mlops", (await Complete("Mlo")).Matches);
        var members = await Complete("Mlops.Start");
        Assert.Contains("StartRun", members.Matches);
        Assert.Equal("method", members.Kinds.Single(k => k.Text == "StartRun").Type);
    }

    [Fact]
    public async Task A_type_from_a_package_restored_with_r_nuget_completes()
    {
        await Run("#r \"nuget: Newtonsoft.Json, 13.0.3\"");
        await Run("using Newtonsoft.Json;");
        Assert.Contains("SerializeObject", (await Complete("JsonConvert.Serial")).Matches);
    }

    [Fact]
    public async Task A_line_after_a_magic_line_completes_as_CSharp()
    {
        await Run("var churnRate = 0.2;");
        var code = "#!mlops start-run --name baseline\n#r \"nuget: Newtonsoft.Json, 13.0.3\"\nConsole.WriteLine(churn";
        var completions = await Complete(code);
        Assert.Equal(["churnRate"], completions.Matches);
        Assert.Equal(code.Length - "churn".Length, completions.CursorStart);
        Assert.Empty(_log.ToString());
    }

    [Fact]
    public async Task An_emoji_before_the_cursor_leaves_the_span_where_the_typed_name_is()
    {
        // Offsets here are UTF-16, as .NET counts: the emoji is two of them (the kernel converts Jupyter's code points).
        var code = "#!mlops log-param mood 😀\nvar s = \"😀\"; s.Len";
        var completions = await _assistant.CompleteAsync(code, code.Length);
        Assert.Equal(["Length"], completions.Matches);
        Assert.Equal((code.Length - "Len".Length, code.Length), (completions.CursorStart, completions.CursorEnd));

        var inside = await _assistant.CompleteAsync("var t = \"😀\"; t.ToUp; t.Len", "var t = \"😀\"; t.ToUp".Length);
        Assert.Contains("ToUpper", inside.Matches);
        Assert.DoesNotContain("Length", inside.Matches);
    }

    [Fact]
    public async Task Hover_on_a_method_gives_its_signature_and_summary()
    {
        await Run("static double Churn(int left, int total) => (double)left / total;");
        var local = await _assistant.InspectAsync("Churn(3, 10)", "Churn".Length, 0);
        Assert.NotNull(local);
        Assert.Contains("double Churn(int left, int total)", local.PlainText);
        Assert.StartsWith("```csharp\n", local.Markdown);

        var framework = await _assistant.InspectAsync("Console.WriteLine(\"x\")", "Console.Write".Length, 0);
        Assert.NotNull(framework);
        Assert.Contains("void Console.WriteLine(string? value)", framework.PlainText);
        Assert.Contains("Writes the specified string value", framework.PlainText); // the summary, from the reference pack's XML

        Assert.Null(await _assistant.InspectAsync("   ", 1, 0));
    }

    [Fact]
    public async Task A_request_Roslyn_cannot_place_gets_an_answer_not_an_exception()
    {
        Assert.Contains("Console", (await _assistant.CompleteAsync("", 0)).Matches);
        var beyond = await _assistant.CompleteAsync("Console.", 500);
        Assert.Contains("WriteLine", beyond.Matches); // a cursor past the end is the end
        Assert.Equal((0, 0), ((await _assistant.CompleteAsync("Console.", -3)) is var before ? (before.CursorStart, before.CursorEnd) : default));
        Assert.Null(await _assistant.InspectAsync("}", 7, 0));
    }

    [Fact]
    public async Task Completion_follows_the_session_as_cells_run()
    {
        Assert.DoesNotContain("lateValue", (await Complete("late")).Matches);
        await Run("var lateValue = 1;");
        Assert.Contains("lateValue", (await Complete("late")).Matches);
        await Run("var lateValue2 = lateValue + 1;");
        Assert.Equal(["lateValue", "lateValue2"], (await Complete("lateV")).Matches);
    }

    [Fact]
    public async Task Warming_up_answers_before_any_cell_ran_and_changes_nothing_the_session_sees()
    {
        await _assistant.WarmUpAsync();
        Assert.Empty(_session.Submissions);
        Assert.Empty(_log.ToString());
        await Run("var afterWarmUp = 3;");
        Assert.Contains("afterWarmUp", (await Complete("afterW")).Matches);
    }

    private sealed class CollectedOutputs : ILiveOutputs
    {
        private readonly List<CellOutput> _all = [];

        public IReadOnlyList<CellOutput> All
        {
            get
            {
                lock (_all)
                {
                    return [.. _all];
                }
            }
        }

        public void Add(CellOutput output)
        {
            lock (_all)
            {
                _all.Add(output);
            }
        }

        public void Update(CellOutput display) => Add(display);

        public string? Input(string prompt, bool password) => null;
    }
}
