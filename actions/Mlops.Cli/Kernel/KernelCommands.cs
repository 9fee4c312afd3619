using System.CommandLine;
using MlopsNotebooks.Kernel.Jupyter;
using MlopsNotebooks.Runner.Interactive;

namespace MlopsNotebooks.Cli.Kernel;

/// <summary><c>mlops kernel install</c>: the spec's name and the kernels folder it goes into.</summary>
internal sealed record InstallKernelSettings(string Name, string KernelsFolder);

/// <summary><c>mlops kernel</c>: the C# Jupyter kernel, and <c>mlops kernel install</c>, which registers it with Jupyter.</summary>
internal static class KernelCommands
{
    public static Command Create()
    {
        var connectionFile = new Argument<string>("connection-file") { Description = "The connection file Jupyter writes ({connection_file} in the kernel spec)." };
        var kernel = new Command("kernel", "Run the C# Jupyter kernel (Jupyter starts it with a connection file), or install its kernel spec.")
        {
            connectionFile,
            Install(),
        };
        kernel.Handles(parse => ConnectionInfo.Load(parse.GetValue(connectionFile)!), (connection, cli) =>
        {
            var folder = Directory.GetCurrentDirectory();
            return JupyterKernel.Run(connection, new InteractiveOptions
            {
                WorkingDirectory = folder,
                NotebookPath = NotebookPaths.FromSessionName(Environment.GetEnvironmentVariable("JPY_SESSION_NAME"), folder),
            }, cli.Error);
        });
        return kernel;
    }

    private static Command Install()
    {
        var user = new Option<bool>("--user") { Description = "Install for the current user (~/.local/share/jupyter/kernels) instead of system-wide." };
        var prefix = new Option<string?>("--prefix") { Description = "Install under PREFIX/share/jupyter/kernels (a virtual environment's or conda's prefix)." };
        var name = new Option<string>("--name")
        {
            Description = $"The kernel's name, as notebooks record it (default {KernelSpec.DefaultName}; .net-csharp opens notebooks saved with .NET Interactive unchanged).",
            DefaultValueFactory = _ => KernelSpec.DefaultName,
        };
        var install = new Command("install", "Write the kernel spec that lets Jupyter, JupyterLab and VS Code run C# notebooks in this kernel.")
        {
            user, prefix, name,
        };
        install.Handles(parse =>
        {
            var (isUser, prefixPath) = (parse.GetValue(user), parse.GetValue(prefix));
            if (isUser && prefixPath is not null)
            {
                throw new MlopsException("--user and --prefix name two places.", "Pass one of them, or neither for the system-wide Jupyter.");
            }
            var folder = prefixPath is not null ? KernelSpec.KernelsFolder(SpecScope.Prefix, prefixPath)
                : KernelSpec.KernelsFolder(isUser ? SpecScope.User : SpecScope.System);
            return new InstallKernelSettings(parse.GetValue(name)!, folder);
        }, InstallSpec);
        return install;
    }

    private static int InstallSpec(InstallKernelSettings settings, CliContext cli)
    {
        var folder = KernelSpec.Install(settings.Name, settings.KernelsFolder, KernelSpec.ThisCommand(typeof(KernelCommands).Assembly.Location));
        cli.Output.WriteLine($"Installed the kernel spec {settings.Name} (\"{KernelSpec.DisplayName}\") in {folder}.");
        cli.Output.WriteLine($"Select it in JupyterLab or VS Code (Kernel > Change Kernel > {KernelSpec.DisplayName}), or run a notebook headless with");
        cli.Output.WriteLine($"  jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name={settings.Name} notebook.ipynb");
        return MlopsCli.Ok;
    }
}
