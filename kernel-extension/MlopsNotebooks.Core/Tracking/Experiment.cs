namespace MlopsNotebooks.Tracking;

/// <summary>A named group of runs, e.g. one per notebook or per modelling question.</summary>
public sealed record Experiment(string ExperimentId, string Name, LifecycleStage Stage, DateTimeOffset CreationTime)
{
    /// <summary>The experiment runs go to when none is set.</summary>
    public const string DefaultName = "Default";
}

/// <summary>Deleted runs and experiments are kept, hidden, until restored or purged.</summary>
public enum LifecycleStage
{
    Active,
    Deleted,
}

/// <summary>Which runs a listing includes.</summary>
public enum ViewType
{
    ActiveOnly,
    DeletedOnly,
    All,
}
