using MlopsNotebooks.Registry;

namespace MlopsNotebooks.Cli.Serve;

/// <summary>
/// A model as the commands that run one name it: a registered version (name, name/3, name@alias), exported to a
/// temporary bundle for the command's lifetime, or a bundle folder (anything that reads as a path).
/// </summary>
internal static partial class RegisteredBundle
{
    [System.Text.RegularExpressions.GeneratedRegex(@"^(models:/)?[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[0-9]+|@[A-Za-z0-9_.-]+)?$")]
    private static partial System.Text.RegularExpressions.Regex ReferencePattern();

    public static async Task<T> UseAsync<T>(string model, CliContext cli, Func<string, Task<T>> use)
    {
        var exported = Directory.Exists(model) || !ReferencePattern().IsMatch(model) ? null : Path.Combine(Path.GetTempPath(), $"mlops-bundle-{Guid.NewGuid():N}");
        try
        {
            if (exported is not null)
            {
                using var client = cli.OpenReader();
                new ModelRegistry(client).Export(model, exported);
            }
            return await use(exported ?? model);
        }
        finally
        {
            if (exported is not null && Directory.Exists(exported))
            {
                Directory.Delete(exported, recursive: true);
            }
        }
    }
}
