using MlopsNotebooks.Sweeps;

namespace MlopsNotebooks.Tests.Sweeps;

public sealed class SearchSpaceTests
{
    private static SearchSpace Base() => new SearchSpace().Choice("kind", "a", "b").Int("rows", 10, 20);

    public static TheoryData<string, Func<SearchSpace, SearchSpace>, string> BadParameters => new()
    {
        { "empty int range", s => s.Int("depth", 8, 4), "'depth' has an empty range" },
        { "empty float range", s => s.Float("rate", 0.5, 0.1), "'rate' has an empty range" },
        { "log int range at zero", s => s.Int("depth", 0, 10, log: true), "'depth' is log-scaled from 0" },
        { "log float range through zero", s => s.Float("rate", -1, 1, log: true), "'rate' is log-scaled from -1" },
        { "NaN bound", s => s.Float("rate", double.NaN, 1), "'rate' has the bound NaN" },
        { "infinite bound", s => s.Float("rate", 0, double.PositiveInfinity), "'rate' has the bound Infinity" },
        { "empty choice", s => s.Choice("loss"), "'loss' has no choices" },
        { "duplicate choice", s => s.Choice("loss", "hinge", "log", "hinge"), "'loss' lists the choice 'hinge' twice" },
        { "blank choice", s => s.Choice("loss", "hinge", " "), "'loss' has a blank choice" },
        { "duplicate name", s => s.Int("rows", 1, 2), "'rows' is declared twice" },
        { "name with a space", s => s.Int("max depth", 1, 2), "'max depth' is not a C# identifier" },
        { "name starting with a digit", s => s.Int("2depth", 1, 2), "'2depth' is not a C# identifier" },
        { "C# keyword", s => s.Int("class", 1, 2), "'class' is not a C# identifier" },
        { "short name not an identifier", s => s.Int("FastTree.number-of-leaves", 1, 2), "'FastTree.number-of-leaves' is not a C# identifier" },
        { "two dots", s => s.Int("A.B.c", 1, 2), "'A.B.c' is not a C# identifier" },
        { "empty name", s => s.Int("", 1, 2), "has no name" },
        { "short name clashing with a plain one", s => s.Int("Tree.rows", 1, 2), "'Tree.rows' has the same short name as 'rows'" },
        { "condition on an undeclared parameter", s => s.Int("depth", 1, 2, when: new Condition("model", ["a"])), "'depth' is conditional on 'model', which is not a choice declared before it" },
        { "condition on a number", s => s.Int("depth", 1, 2, when: new Condition("rows", ["10"])), "'depth' is conditional on 'rows', which is not a choice" },
        { "condition on a value not among the choices", s => s.Int("depth", 1, 2, when: new Condition("kind", ["c"])), "'depth' is conditional on 'kind' being 'c', which is not one of its choices" },
        { "condition on no values", s => s.Int("depth", 1, 2, when: new Condition("kind", [])), "'depth' is conditional on 'kind' having one of no values" },
    };

    [Theory]
    [MemberData(nameof(BadParameters))]
    public void A_bad_hyperparameter_is_refused_with_its_name_and_a_hint_and_nothing_of_it_is_kept(string _, Func<SearchSpace, SearchSpace> add, string message)
    {
        var space = Base();
        var before = space.Parameters.ToList();

        var error = Assert.Throws<MlopsException>(() => add(space));

        Assert.Contains(message, error.Message);
        Assert.False(string.IsNullOrWhiteSpace(error.Hint));
        Assert.Equal(before, space.Parameters);
    }

    [Fact]
    public void A_range_with_equal_bounds_is_a_constant_and_is_accepted()
    {
        var space = new SearchSpace().Int("trees", 100, 100).Float("rate", 0.1, 0.1);

        var values = new RandomTuner().Suggest(space, [], Direction.Maximize, new Random(1));

        Assert.Equal(100L, values["trees"]);
        Assert.Equal(0.1, values["rate"]);
    }

    [Fact]
    public void A_condition_on_a_choice_declared_before_is_accepted_and_decides_when_the_parameter_is_active()
    {
        var space = Base().Int("depth", 1, 4, when: new Condition("kind", ["b"]));

        Assert.False(SearchSpace.IsActive(space.Parameters[^1], new Dictionary<string, object> { ["kind"] = "a" }));
        Assert.True(SearchSpace.IsActive(space.Parameters[^1], new Dictionary<string, object> { ["kind"] = "b" }));
    }

    [Fact]
    public void The_trainers_space_is_a_trainer_choice_then_each_trainers_hyperparameters_conditional_on_it()
    {
        var space = SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree", "SdcaLogisticRegression");

        var choice = Assert.IsType<ChoiceParameter>(space.Parameters[0]);
        Assert.Equal(SearchSpace.TrainerParameter, choice.Name);
        Assert.Equal(["FastTree", "SdcaLogisticRegression"], choice.Choices);
        Assert.Equal(MlTask.BinaryClassification, space.Task);
        Assert.Contains(space.Parameters, p => p.Name == "FastTree.numberOfLeaves" && p.ShortName == "numberOfLeaves");
        Assert.All(space.Parameters.Skip(1), p =>
        {
            Assert.Equal(SearchSpace.TrainerParameter, p.When!.Parameter);
            Assert.Equal([p.Name.Split('.')[0]], p.When.Values);
        });
    }

    [Fact]
    public void With_no_trainer_named_the_space_holds_every_trainer_of_the_task()
    {
        var choice = (ChoiceParameter)SearchSpace.Trainers(MlTask.Regression).Parameters[0];

        Assert.Equal(TrainerCatalog.For(MlTask.Regression).Select(t => t.Name), choice.Choices);
    }

    [Fact]
    public void An_unknown_trainer_is_refused_with_the_known_ones()
    {
        var error = Assert.Throws<MlopsException>(() => SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree", "XGBoost"));

        Assert.Contains("no binary classification trainer named 'XGBoost'", error.Message);
        Assert.Contains("FastTree, FastForest, LightGbm, SdcaLogisticRegression, LbfgsLogisticRegression", error.Hint);
    }

    [Fact]
    public void An_unknown_hyperparameter_of_a_trainer_is_refused_with_the_known_ones()
    {
        var space = SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree");

        var error = Assert.Throws<MlopsException>(() => space.Int("FastTree.maxDepth", 2, 8, when: new Condition("trainer", ["FastTree"])));

        Assert.Contains("FastTree has no hyperparameter named 'maxDepth'", error.Message);
        Assert.Contains("numberOfLeaves", error.Hint);
    }

    [Fact]
    public void Set_range_narrows_a_trainers_range_keeping_its_kind_and_condition()
    {
        var space = SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree").SetRange("FastTree.numberOfLeaves", 4, 16, log: false);

        var leaves = Assert.IsType<IntParameter>(space.Parameters.Single(p => p.Name == "FastTree.numberOfLeaves"));
        Assert.Equal((4L, 16L, false), (leaves.Low, leaves.High, leaves.Log));
        Assert.Equal("FastTree", leaves.When!.Values.Single());
    }

    [Theory]
    [InlineData("FastTree.numberOfLeaves", 1, 16, "has the range [1, 16], outside what ML.NET accepts: [2, 2147483647]")]
    [InlineData("FastTree.featureFraction", 0.5, 1.5, "has the range [0.5, 1.5], outside what ML.NET accepts: (0, 1]")]
    [InlineData("FastTree.learningRate", 0, 0.5, "outside what ML.NET accepts: (0, ∞)")]
    [InlineData("FastTree.numberOfTrees", 2.5, 8, "is an integer, and the range [2.5, 8] is not")]
    [InlineData("FastTree.numberOfTrees", 8, 4, "has an empty range")]
    [InlineData("FastTree.learningRate", 0, 0.5, "is log-scaled from 0")]
    [InlineData("FastTree.depth", 1, 2, "no hyperparameter named 'FastTree.depth'")]
    [InlineData("trainer", 1, 2, "is a choice, which has no range")]
    public void A_range_ML_NET_would_refuse_is_refused_and_the_space_is_unchanged(string name, double low, double high, string message)
    {
        var space = SearchSpace.Trainers(MlTask.BinaryClassification, "FastTree");
        var before = space.Parameters.ToList();

        var error = Assert.Throws<MlopsException>(() => space.SetRange(name, low, high, log: message.Contains("log-scaled")));

        Assert.Contains(message, error.Message);
        Assert.NotNull(error.Hint);
        Assert.Equal(before, space.Parameters);
    }
}
