using System.Globalization;

namespace MlopsNotebooks.Monitoring;

/// <summary>
/// Compares current data with a reference, column by column (each column's test chosen as Evidently chooses it), and
/// says whether the data set drifted: at least <see cref="DriftOptions.DriftShare"/> of the compared columns did.
/// The model's predictions are compared the same way when the current data holds the reference's prediction column.
/// </summary>
public static class DriftAnalysis
{
    /// <summary>Compares data held in memory: exact mode from the whole reference columns, or profile mode from the profile.</summary>
    public static DriftReport Compare(Reference reference, DataColumns current, DriftOptions options)
    {
        Check(options, reference.Profile);
        if (options.Mode == DriftMode.Profile)
        {
            var profile = new CurrentProfile(reference.Profile);
            profile.Add(current);
            return Compare(reference, profile, options);
        }
        if (reference.Exact is null)
        {
            throw new MlopsException("The reference keeps only its profile, not its whole columns, so exact drift cannot be computed.",
                "Use profile mode (--mode profile), whose figures state their error bound.");
        }
        var compared = Selected(reference.Profile, options);
        var exact = reference.Exact.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var columns = new ColumnDrift[compared.Count];
        try
        {
            Parallel.For(0, columns.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                var name = compared[i].Name;
                columns[i] = current[name] is { } column
                    ? ExactDrift.Compare(exact[name], ExactColumn.From(column), options)
                    : Absent(compared[i]);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<MlopsException>().FirstOrDefault() is { } refused)
        {
            // a test that does not fit a column is the user's to fix, whichever column found it first
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(refused);
        }
        ColumnDrift? prediction = null;
        if (reference.ExactPrediction is { } whole && current[whole.Name] is { } predicted)
        {
            prediction = ExactDrift.Compare(whole, ExactColumn.From(predicted), ForPrediction(options));
        }
        return Report(reference.Profile, options, current.Rows, columns, prediction,
            current.Columns.Select(c => c.Name).Where(n => reference.Profile.Column(n) is null && n != reference.Profile.Prediction?.Name));
    }

    /// <summary>Compares data fed to a <see cref="CurrentProfile"/> (a stream of any length): profile mode.</summary>
    public static DriftReport Compare(Reference reference, CurrentProfile current, DriftOptions options)
    {
        Check(options, reference.Profile);
        var compared = Selected(reference.Profile, options);
        var columns = compared.Select(c => current.Saw(c.Name) ? ProfileComparison.Compare(c, current[c.Name]!, options) : Absent(c)).ToArray();
        var prediction = current.Prediction is { } predicted && current.Saw(predicted.Reference.Name)
            ? ProfileComparison.Compare(predicted.Reference, predicted, ForPrediction(options))
            : null;
        return Report(reference.Profile, options with { Mode = DriftMode.Profile }, current.Rows, columns, prediction, current.Unknown);
    }

    // A test named for the inputs may not fit the prediction (ks on a predicted label): the prediction gets Evidently's choice.
    private static DriftOptions ForPrediction(DriftOptions options) => options with { Test = DriftTests.Auto, Threshold = null, Columns = null };

    private static void Check(DriftOptions options, ReferenceProfile profile)
    {
        if (!DriftTests.All.Contains(options.Test))
        {
            throw new MlopsException($"'{options.Test}' is not a drift test.", $"Use one of {string.Join(", ", DriftTests.All)}.");
        }
        if (options.Threshold is { } threshold && (!double.IsFinite(threshold) || threshold < 0
            || DriftTests.IsPValueTest(options.Test) && threshold >= 1))
        {
            throw new MlopsException($"{threshold.ToString(CultureInfo.InvariantCulture)} is not a usable threshold for {options.Test}.",
                "A p-value threshold lies between 0 and 1 (e.g. 0.05); a distance threshold is 0 or more (e.g. 0.1).");
        }
        if (options.Threshold is not null && options.Test == DriftTests.Auto)
        {
            throw new MlopsException("A threshold needs a test: auto picks a different test per column, each with its own kind of threshold.",
                "Name the test too, e.g. --test wasserstein --threshold 0.2.");
        }
        if (!(options.DriftShare is > 0 and <= 1))
        {
            throw new MlopsException($"The drift share {options.DriftShare.ToString(CultureInfo.InvariantCulture)} is not between 0 and 1.", "Use e.g. 0.5: the data set drifts when half its columns do.");
        }
        if (profile.Columns.Count == 0)
        {
            throw new MlopsException("The reference has no columns to compare.", "Profile the data the model was trained on.");
        }
    }

    private static List<ColumnProfile> Selected(ReferenceProfile profile, DriftOptions options)
    {
        if (options.Columns is not { } names)
        {
            return profile.Columns;
        }
        var unknown = names.Where(n => profile.Column(n) is null).ToList();
        if (unknown.Count > 0)
        {
            throw new NotFoundException($"The reference has no column {string.Join(", ", unknown.Select(ModelRegistryNames.Quote))}.",
                $"Its columns: {string.Join(", ", profile.Columns.Select(c => c.Name))}.");
        }
        return names.Distinct(StringComparer.Ordinal).Select(n => profile.Column(n)!).ToList();
    }

    // The note of a reference column the current data lacks; the report lists those columns once more in its notes.
    private const string MissingNote = "missing from the current data";

    private static ColumnDrift Absent(ColumnProfile column) => new()
    {
        Column = column.Name,
        Kind = column.Kind,
        ReferenceCount = column.Count,
        Note = MissingNote,
    };

    private static DriftReport Report(ReferenceProfile profile, DriftOptions options, long rows, IReadOnlyList<ColumnDrift> columns, ColumnDrift? prediction, IEnumerable<string> unknown)
    {
        var notes = new List<string>();
        if (rows == 0)
        {
            notes.Add("The current data has no rows: nothing was compared.");
        }
        var absent = columns.Where(c => c.Note == MissingNote).Select(c => c.Column).ToList();
        if (absent.Count > 0 && rows > 0)
        {
            notes.Add($"Columns missing from the current data (not compared): {string.Join(", ", absent)}.");
        }
        var extra = unknown.ToList();
        if (extra.Count > 0)
        {
            notes.Add($"Columns the reference does not have (not compared): {string.Join(", ", extra.Take(20))}{(extra.Count > 20 ? $" and {extra.Count - 20} more" : "")}.");
        }
        if (profile.Prediction is { } expected && prediction is null && rows > 0)
        {
            notes.Add($"The current data has no {expected.Name} column: the predictions' drift was not compared.");
        }
        return new DriftReport
        {
            Model = profile.Model,
            Version = profile.Version,
            Mode = options.Mode,
            Created = DateTimeOffset.UtcNow,
            ReferenceRows = profile.Rows,
            CurrentRows = rows,
            Columns = columns,
            DriftShare = options.DriftShare,
            Prediction = prediction,
            Notes = notes,
        };
    }
}
