using System.CommandLine;

namespace MlopsNotebooks.Cli.Kernel;

/// <summary><c>mlops kernel</c>: the C# Jupyter kernel, and <c>mlops kernel install</c>, which registers it with Jupyter.</summary>
internal static class KernelCommands
{
    public static Command Create()
    {
        var connectionFile = new Argument<string>("connection-file") { Description = "The connection file Jupyter writes ({connection_file} in the kernel spec)." };
        var kernel = new Command("kernel", "Run the C# Jupyter kernel (Jupyter starts it with a connection file), or install its kernel spec.")
        {
            connectionFile,
        };
        kernel.Handles(parse => parse.GetValue(connectionFile)!, (_, _) => throw new MlopsException("The kernel is not built yet.", null));
        return kernel;
    }
}
