namespace MlopsNotebooks.Sweeps;

public sealed partial class SearchSpace
{
    /// <summary>
    /// The catalog's default space for <paramref name="trainers"/> of <paramref name="task"/> (all of them when none is
    /// named): a <see cref="TrainerParameter"/> choice, then each trainer's hyperparameters as <c>Trainer.name</c>,
    /// active only when it is chosen. Narrow one with <see cref="SetRange"/>; add the pipeline's own with <see cref="Int"/>.
    /// </summary>
    public static SearchSpace Trainers(MlTask task, params string[] trainers)
    {
        var chosen = trainers is null || trainers.Length == 0
            ? TrainerCatalog.For(task)
            : trainers.Select(name => TrainerCatalog.Get(task, name)).ToList();
        var space = new SearchSpace { Task = task };
        space.Choice(TrainerParameter, chosen.Select(t => t.Name).ToArray());
        foreach (var trainer in chosen)
        {
            foreach (var hyperparameter in trainer.Hyperparameters)
            {
                space.Add(hyperparameter.Range with
                {
                    Name = $"{trainer.Name}.{hyperparameter.Range.Name}",
                    When = new Condition(TrainerParameter, [trainer.Name]),
                });
            }
        }
        return space;
    }
}
