using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Sweeps;

public sealed class SweepFileTests
{
    private const string Example = """
        task: binary
        metric: auc
        trials: 40
        budget: 10m
        tuner: tpe
        trainers:
          FastTree: { numberOfLeaves: { int: [4, 128], log: true }, learningRate: { float: [0.01, 0.5], log: true } }
          SdcaLogisticRegression: {}          # the catalog's default ranges
        parameters:                           # not tied to a trainer
          rows: { int: [1000, 6000] }
          loss: { choice: [hinge, log], when: { trainer: SdcaLogisticRegression } }
        """;

    /// <summary>A space as text, parameter by parameter, so that two spaces built apart compare equal.</summary>
    private static IEnumerable<string> Describe(SearchSpace space) => space.Parameters.Select(p =>
        $"{p.Name} {p switch
        {
            IntParameter i => $"int [{i.Low}, {i.High}] log={i.Log}",
            FloatParameter f => $"float [{f.Low:R}, {f.High:R}] log={f.Log}",
            ChoiceParameter c => $"choice [{string.Join(", ", c.Choices)}]",
            _ => "?",
        }} when {p.When?.Parameter}={string.Join("|", p.When?.Values ?? [])}");

    [Fact]
    public void A_sweep_file_reads_into_the_same_space_as_the_CSharp_builder_and_its_settings()
    {
        var file = SweepFile.Parse(Example, "sweep.yaml");

        var built = SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree", "SdcaLogisticRegression")
            .SetRange("FastTree.numberOfLeaves", 4, 128, log: true)
            .SetRange("FastTree.learningRate", 0.01, 0.5, log: true)
            .Int("rows", 1000, 6000)
            .Add(new ChoiceParameter("loss", ["hinge", "log"]) { When = new Condition("trainer", ["SdcaLogisticRegression"]) });
        Assert.Equal(Describe(built), Describe(file.Space));
        Assert.Equal(MlTask.BinaryClassification, file.Space.Task);
        Assert.Equal(("auc", Direction.Maximize, 40, TimeSpan.FromMinutes(10), "tpe", "median"),
            (file.Metric, file.Direction, file.Trials, file.Budget, file.Tuner, file.Pruner));
        var options = file.ToOptions();
        Assert.Equal(("tpe", 40), (options.Tuner.Name, options.Trials));
    }

    [Fact]
    public void From_yaml_reads_the_space_alone_and_a_list_of_trainers_takes_the_catalogs_ranges()
    {
        var space = SearchSpace.FromYaml("task: regression\ntrainers: [LightGbm, Sdca]\n", "space.yaml");

        Assert.Equal(Describe(SearchSpace.Trainers(MlTask.Regression, "LightGbm", "Sdca")), Describe(space));
    }

    [Theory]
    [InlineData("metric: log_loss\ntask: multiclass", Direction.Minimize)]
    [InlineData("metric: rmse", Direction.Minimize)]
    [InlineData("metric: r_squared\ntask: regression", Direction.Maximize)]
    [InlineData("metric: my_score\ndirection: minimize", Direction.Minimize)]
    [InlineData("metric: auc\ndirection: minimize", Direction.Minimize)]
    public void A_known_metric_gives_the_direction_and_an_explicit_one_wins(string yaml, Direction direction) =>
        Assert.Equal(direction, SweepFile.Parse(yaml + "\nparameters:\n  rows: { int: [1, 2] }\n", "s.yaml").Direction);

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("10m", 600)]
    [InlineData("1.5h", 5400)]
    [InlineData("1h30m", 5400)]
    public void A_budget_is_a_number_and_a_unit(string budget, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), SweepFile.Parse($"metric: auc\nbudget: {budget}\n", "s.yaml").Budget);

    public static TheoryData<string, string, string> BadFiles => new()
    {
        { "unknown key", "metric: auc\ntrails: 40\n", "s.yaml:2: 'trails' is not a key a sweep file knows" },
        { "unknown key in a range", "metric: auc\nparameters:\n  rows: { int: [1, 2], step: 1 }\n", "s.yaml:3: 'parameters.rows.step' is not a key" },
        { "negative trials", "metric: auc\ntrials: -3\n", "s.yaml:2: trials is '-3', not a whole number from 1 to 100000" },
        { "trials as text", "metric: auc\ntrials: forty\n", "s.yaml:2: trials is 'forty'" },
        { "trials as a list", "metric: auc\ntrials: [1, 2]\n", "s.yaml:2: trials is not a single value" },
        { "budget of soon", "metric: auc\nbudget: soon\n", "s.yaml:2: budget is 'soon', not a duration" },
        { "budget without a unit", "metric: auc\nbudget: 600\n", "s.yaml:2: budget is '600'" },
        { "budget of zero", "metric: auc\nbudget: 0s\n", "s.yaml:2: budget is '0s'" },
        { "duplicate key", "metric: auc\ntrials: 4\ntrials: 5\n", "s.yaml:3: the key 'trials' appears twice" },
        { "duplicate trainer", "metric: auc\ntask: binary\ntrainers:\n  FastTree: {}\n  FastTree: {}\n", "s.yaml:5: the key 'FastTree' appears twice" },
        { "no metric", "trials: 4\n", "s.yaml:1: the file names no metric" },
        { "unknown metric without a direction", "task: binary\nmetric: auroc\n", "s.yaml:2: metric is 'auroc', which is not a metric known for binary classification" },
        { "unknown direction", "metric: auc\ndirection: up\n", "s.yaml:2: direction is 'up'" },
        { "unknown task", "metric: auc\ntask: ranking\n", "s.yaml:2: task is 'ranking', not a task" },
        { "unknown tuner", "metric: auc\ntuner: smac\n", "s.yaml:2: tuner is 'smac', which is not a tuner" },
        { "unknown pruner", "metric: auc\npruner: hyperband\n", "s.yaml:2: pruner is 'hyperband'" },
        { "trainers without a task", "metric: auc\ntrainers: [FastTree]\n", "s.yaml:2: trainers: a space of trainers needs the task" },
        { "no trainers", "metric: auc\ntask: binary\ntrainers: []\n", "s.yaml:3: trainers names none" },
        { "unknown trainer", "metric: auc\ntask: binary\ntrainers:\n  XGBoost: {}\n", "s.yaml:4: trainers: There is no binary classification trainer named 'XGBoost'" },
        { "unknown hyperparameter", "metric: auc\ntask: binary\ntrainers:\n  FastTree:\n    maxDepth: { int: [2, 8] }\n", "s.yaml:5: trainers.FastTree.maxDepth: The trainer FastTree has no hyperparameter named 'maxDepth'" },
        { "range beyond ML.NET's", "metric: auc\ntask: binary\ntrainers:\n  FastTree:\n    numberOfLeaves: { int: [1, 8] }\n", "s.yaml:5: trainers.FastTree.numberOfLeaves: The hyperparameter 'FastTree.numberOfLeaves' has the range [1, 8], outside what ML.NET accepts" },
        { "float range for an integer", "metric: auc\ntask: binary\ntrainers:\n  FastTree:\n    numberOfLeaves: { float: [2, 8] }\n", "'FastTree.numberOfLeaves' is an integer in ML.NET" },
        { "empty range", "metric: auc\nparameters:\n  rows: { int: [10, 1] }\n", "s.yaml:3: parameters.rows: The hyperparameter 'rows' has an empty range" },
        { "log range through zero", "metric: auc\nparameters:\n  rate: { float: [0, 1], log: true }\n", "s.yaml:3: parameters.rate: The hyperparameter 'rate' is log-scaled from 0" },
        { "log as text", "metric: auc\nparameters:\n  rate: { float: [0.1, 1], log: yes }\n", "s.yaml:3: parameters.rate.log is 'yes', not true or false" },
        { "log on a choice", "metric: auc\nparameters:\n  loss: { choice: [a, b], log: true }\n", "parameters.loss.log does not apply to a choice" },
        { "a range of three", "metric: auc\nparameters:\n  rows: { int: [1, 2, 3] }\n", "s.yaml:3: parameters.rows.int is not a pair [low, high]" },
        { "a fractional int", "metric: auc\nparameters:\n  rows: { int: [1.5, 3] }\n", "parameters.rows.int is '1.5', not a whole number" },
        { "a NaN bound", "metric: auc\nparameters:\n  rate: { float: [.nan, 1] }\n", "parameters.rate.float is '.nan', not a finite number" },
        { "two kinds", "metric: auc\nparameters:\n  rows: { int: [1, 2], float: [1, 2] }\n", "parameters.rows gives more than one kind of range" },
        { "no kind", "metric: auc\nparameters:\n  rows: { log: true }\n", "parameters.rows gives no range" },
        { "a range that is a number", "metric: auc\nparameters:\n  rows: 5\n", "s.yaml:3: parameters.rows is not a range" },
        { "empty choice", "metric: auc\nparameters:\n  loss: { choice: [] }\n", "'loss' has no choices" },
        { "duplicate choice", "metric: auc\nparameters:\n  loss: { choice: [a, a] }\n", "'loss' lists the choice 'a' twice" },
        { "bad name", "metric: auc\nparameters:\n  max depth: { int: [1, 2] }\n", "s.yaml:3: parameters.max depth: The hyperparameter 'max depth' is not a C# identifier" },
        { "condition on an unknown choice", "metric: auc\nparameters:\n  rows: { int: [1, 2], when: { kind: a } }\n", "'rows' is conditional on 'kind', which is not a choice declared before it" },
        { "condition on an unknown value", "metric: auc\ntask: binary\ntrainers: [FastTree]\nparameters:\n  rows: { int: [1, 2], when: { trainer: [LightGbm] } }\n", "s.yaml:5: parameters.rows: The hyperparameter 'rows' is conditional on 'trainer' being 'LightGbm'" },
        { "anchor and alias", "metric: auc\nparameters:\n  a: &r { int: [1, 2] }\n  b: *r\n", "s.yaml:3: the file uses a YAML anchor or alias" },
        { "tag", "metric: !!str auc\n", "s.yaml:1: the file uses a YAML tag" },
        { "two documents", "metric: auc\n---\nmetric: f1\n", "s.yaml:2: the file holds more than one YAML document" },
        { "not a mapping", "- metric\n- auc\n", "s.yaml:1: the file is not a mapping" },
        { "empty file", "# nothing\n", "s.yaml: the file is empty" },
        { "broken YAML", "metric: auc\nparameters: { rows: [1, 2\n", "s.yaml:3:1: the file is not valid YAML" },
        { "deep nesting", "metric: auc\nparameters: " + new string('[', 40) + new string(']', 40) + "\n", "nests more than 16 levels deep" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_sweep_file_is_refused_naming_the_file_line_and_key_with_a_hint(string _, string yaml, string message)
    {
        var error = Assert.Throws<MlopsException>(() => SweepFile.Parse(yaml, "s.yaml"));

        Assert.Contains(message, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.Hint));
    }

    [Fact]
    public void A_billion_laughs_is_refused_at_its_first_anchor_without_expanding_it()
    {
        var bomb = "metric: auc\nparameters:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
            + string.Concat(Enumerable.Range(1, 9).Select(i => $"  a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 9))}]\n"));

        var error = Assert.Throws<MlopsException>(() => SweepFile.Parse(bomb, "bomb.yaml"));

        Assert.StartsWith("bomb.yaml:3: the file uses a YAML anchor or alias", error.Message);
    }

    [Fact]
    public void A_huge_file_is_refused_before_it_is_parsed()
    {
        using var folder = new TempDirectory();
        var path = folder.File("huge.yaml");
        File.WriteAllText(path, "metric: auc\n# " + new string('x', 5_000_000) + "\n");

        var onDisk = Assert.Throws<MlopsException>(() => SweepFile.Read(path));
        var inMemory = Assert.Throws<MlopsException>(() => SweepFile.Parse(File.ReadAllText(path), "huge.yaml"));

        Assert.Contains($"{path}: the file is 5000015 bytes", onDisk.Message);
        Assert.Contains("huge.yaml: the file has 5000015 characters", inMemory.Message);
    }

    [Fact]
    public void Reading_a_file_names_its_path_in_errors_and_a_missing_file_is_not_found()
    {
        using var folder = new TempDirectory();
        var path = folder.File("sweep.yaml");
        File.WriteAllText(path, "metric: auc\ntrials: 0\n");

        var bad = Assert.Throws<MlopsException>(() => SweepFile.Read(path));
        var missing = Assert.Throws<NotFoundException>(() => SweepFile.Read(folder.File("none.yaml")));

        Assert.StartsWith($"{path}:2: trials is '0'", bad.Message);
        Assert.Contains("none.yaml", missing.Message);
        Assert.Equal(40, SweepFile.Read(WriteExample(folder)).Trials);
    }

    private static string WriteExample(TempDirectory folder)
    {
        var path = folder.File("example.yaml");
        File.WriteAllText(path, Example);
        return path;
    }

    [Property(MaxTest = 300)]
    public Property Any_int_or_float_range_reads_from_YAML_as_the_builder_makes_it_or_fails_as_the_builder_does(long low, long high, NormalFloat lowFloat, bool log)
    {
        var yaml = $"parameters:\n  n: {{ int: [{low}, {high}], log: {(log ? "true" : "false")} }}\n  x: {{ float: [{lowFloat.Get.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}, 1e6] }}\n";
        string Outcome(Func<SearchSpace> build)
        {
            try
            {
                return string.Join("; ", Describe(build()));
            }
            catch (MlopsException e)
            {
                return e.Message[(e.Message.IndexOf("The hyperparameter", StringComparison.Ordinal) is var at and >= 0 ? at : 0)..];
            }
        }

        var fromYaml = Outcome(() => SearchSpace.FromYaml(yaml, "space.yaml"));
        var built = Outcome(() => new SearchSpace().Int("n", low, high, log).Float("x", lowFloat.Get, 1e6));

        return (fromYaml == built).Label($"{fromYaml} <> {built}");
    }
}
