using System.CommandLine;
using MlopsNotebooks.Sweeps;
using MlopsNotebooks.Tracking;

namespace MlopsNotebooks.Cli.Sweep;

/// <summary>
/// <c>mlops sweep --space FILE --notebook NOTEBOOK</c>: search trainers and hyperparameters in CI, each trial a
/// parameterized run of the notebook; <c>mlops sweep show|best NAME</c>: read a sweep back, register its best model.
/// Processes started with the same name on one store are one sweep's workers.
/// </summary>
internal static class SweepCommands
{
    private static readonly Option<string?> Experiment = new("--experiment", "-e") { Description = "The experiment the sweep is in; default: the sweep file's, else Default." };

    private static Argument<string> Name() => new("name") { Description = "The sweep's name (its parent run's name)." };

    public static Command Create()
    {
        var space = new Option<string?>("--space") { Description = "The sweep file: the search space, and settings the flags override." };
        var notebook = new Option<string?>("--notebook") { Description = "The notebook each trial runs; its parameters cell declares every hyperparameter (by short name)." };
        var name = new Option<string?>("--name") { Description = "The sweep's name; workers with the same name join one sweep, and a stopped one resumes. Default: the file's, else the notebook's name." };
        var trials = new Option<int?>("--trials") { Description = "The most trials across all workers (failed ones count)." };
        var budget = new Option<string?>("--budget") { Description = "How long the sweep starts new trials, across all workers: 90s, 10m, 2h." };
        var tuner = new Option<string?>("--tuner") { Description = "tpe (model-based) or random." };
        var pruner = new Option<string?>("--pruner") { Description = "median (stops trials that lag by step) or none." };
        var metric = new Option<string?>("--metric") { Description = "The metric the notebook logs on its run, which the sweep optimizes, e.g. auc." };
        var seed = new Option<int?>("--seed") { Description = "Seeds the tuner, so that a sweep on one worker is repeatable." };
        tuner.AcceptOnlyFromAmong("tpe", "random");
        pruner.AcceptOnlyFromAmong("median", "none");
        var command = new Command("sweep", "Search trainers and hyperparameters: each trial runs the notebook with its values and a nested run of the sweep's.")
        {
            space, notebook, name, Experiment, trials, budget, tuner, pruner, metric, seed, GlobalOptions.Json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(space) is null || result.GetValue(notebook) is null)
            {
                result.AddError("Give the search space and the notebook: mlops sweep --space sweep.yaml --notebook train.ipynb.");
            }
            if (result.GetValue(trials) is <= 0)
            {
                result.AddError("--trials must be a positive number.");
            }
            if (result.GetValue(budget) is { } text)
            {
                try
                {
                    if (Arguments.Duration(text, "--budget") <= TimeSpan.Zero)
                    {
                        result.AddError("--budget must be longer than 0, e.g. 10m.");
                    }
                }
                catch (MlopsException e)
                {
                    result.AddError($"{e.Message} {e.Hint}");
                }
            }
        });
        command.Handles(parse => new SweepSettings(parse.GetValue(space)!, parse.GetValue(notebook)!, parse.GetValue(name), parse.GetValue(Experiment),
            parse.GetValue(trials), parse.GetValue(budget) is { } b ? Arguments.Duration(b, "--budget") : null, parse.GetValue(tuner), parse.GetValue(pruner),
            parse.GetValue(metric), parse.GetValue(seed), parse.GetValue(GlobalOptions.TrackingUri)), Run);

        var showName = Name();
        command.Add(new Command("show", "The trials of a sweep: number, state, value, values, duration, and the best.") { showName, Experiment, GlobalOptions.Json }
            .Handles(parse => new ShowSweepSettings(parse.GetValue(showName)!, parse.GetValue(Experiment)), Show));
        var bestName = Name();
        var model = new Option<string>("--register") { Description = "The model name to register the best trial's model as.", Required = true };
        var alias = new Option<string?>("--alias") { Description = "Point this alias at the new version, e.g. candidate." };
        command.Add(new Command("best", "Register the model the best trial logged as the next version of a model.") { bestName, model, alias, Experiment, GlobalOptions.Json }
            .Handles(parse => new BestSweepSettings(parse.GetValue(bestName)!, parse.GetValue(Experiment), parse.GetValue(model)!, parse.GetValue(alias)), Best));
        return command;
    }

    public static int Run(SweepSettings settings, CliContext cli) =>
        Report(Sweep(settings, cli.Json ? cli.Error : cli.Output).Status, cli);

    /// <summary>Runs this process's worker of the sweep, telling <paramref name="progressTo"/> how it goes.</summary>
    public static SweepResult Sweep(SweepSettings settings, TextWriter progressTo)
    {
        // Everything that can be wrong with the file, the flags or the notebook is found before the sweep's run exists.
        var file = SweepFile.Read(settings.SpacePath);
        var metric = settings.Metric ?? file.Metric;
        var trials = NotebookTrials.For(settings.NotebookPath, file.Space, metric, settings.TrackingUri);
        var progress = SweepProgress.For(progressTo);
        var options = file.ToOptions() with
        {
            Name = settings.Name ?? file.Name ?? Path.GetFileNameWithoutExtension(settings.NotebookPath),
            Experiment = settings.Experiment,
            Metric = metric,
            Direction = settings.Metric is null ? file.Direction : TrainerCatalog.DirectionOf(metric, file.Task) ?? file.Direction,
            Trials = settings.Trials ?? file.Trials,
            Budget = settings.Budget ?? file.Budget,
            Tuner = Tuners.Named(settings.Tuner ?? file.Tuner),
            Pruner = Pruners.Named(settings.Pruner ?? file.Pruner),
            Seed = settings.Seed ?? file.Seed,
            Progress = progress,
        };
        // The engine checks the name once the store is open; a bad one must not create the store or the experiment.
        Names.ValidateName("sweep", options.Name);
        Names.ValidateKey("metric", metric);

        // The sweep's runs are the notebook's: its trials are its runs, continued by each run of it.
        using var session = new MlopsSession(new Provenance(Source: Path.GetFullPath(settings.NotebookPath)), settings.TrackingUri);
        using (MlopsSession.Use(session))
        {
            try
            {
                return Mlops.Sweep(file.Space, trials.Evaluate, options);
            }
            finally
            {
                progress.Finish();
            }
        }
    }

    public static int Show(ShowSweepSettings settings, CliContext cli)
    {
        using var client = cli.OpenReader();
        return Report(Load(client, settings.Experiment, settings.Name).Status, cli);
    }

    public static int Best(BestSweepSettings settings, CliContext cli)
    {
        using var client = cli.OpenClient();
        var version = Load(client, settings.Experiment, settings.Name).RegisterBest(settings.Model, settings.Alias);
        cli.Write(Views.ModelJson.Version(version), Views.ModelText.Registered(version));
        return MlopsCli.Ok;
    }

    // A sweep by name: in the experiment given, else in the one experiment that has a sweep of that name.
    internal static SweepResult Load(TrackingClient client, string? experiment, string name)
    {
        if (experiment is not null)
        {
            return SweepResult.Load(client, experiment, name);
        }
        var holding = client.ListExperiments().Where(e => client.Store.GetRun(SweepRecord.ParentRunId(e.ExperimentId, name)) is not null).ToList();
        return holding.Count switch
        {
            1 => SweepResult.Load(client, holding[0].Name, name),
            0 => throw new NotFoundException($"There is no sweep named '{name}'.", "Check the name; `mlops runs list` lists runs, sweeps among them."),
            _ => throw new MlopsException($"Experiments {string.Join(", ", holding.Select(e => e.Name))} each have a sweep named '{name}'.", "Name one with --experiment."),
        };
    }

    // The table, and a sweep with no complete trial is a failure to fix (the trials' notes say why).
    private static int Report(SweepStatus status, CliContext cli)
    {
        cli.Write(SweepViews.Json(status), SweepViews.Text(status));
        if (status.Best is null)
        {
            throw new MlopsException($"No trial of sweep {status.Name} completed.",
                status.Trials.FirstOrDefault(t => t.Note is not null) is { } failed ? $"Trial {failed.Number}: {failed.Note}" : "Run the sweep with more trials or a longer budget.");
        }
        return MlopsCli.Ok;
    }
}
