using System.Text.Json.Nodes;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Kernel;

/// <summary><c>mlops kernel install</c>: the spec Jupyter finds the kernel by, and the names and places it refuses.</summary>
public sealed class KernelInstallTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Install_under_a_prefix_writes_a_spec_whose_argv_runs_this_mlops_with_the_connection_file_and_says_how_to_select_it()
    {
        var (code, output, error) = Programs.Run(Programs.Mlops, ["kernel", "install", "--prefix", _dir.Path]);
        Assert.True(code == 0, error);
        var folder = Path.Combine(_dir.Path, "share", "jupyter", "kernels", "mlops-csharp");
        var spec = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "kernel.json")))!;
        // The tests start mlops as `dotnet mlops.dll`, so the spec starts it the same way: the dotnet host by its full path.
        var argv = spec["argv"]!.AsArray().Select(a => (string)a!).ToArray();
        Assert.Equal("dotnet", Path.GetFileName(argv[0]));
        Assert.True(Path.IsPathRooted(argv[0]) && File.Exists(argv[0]), argv[0]);
        Assert.Equal([Programs.Mlops, "kernel", "{connection_file}"], argv[1..]);
        Assert.Equal("C# (MlopsNotebooks)", (string?)spec["display_name"]);
        Assert.Equal("C#", (string?)spec["language"]);
        Assert.Equal("message", (string?)spec["interrupt_mode"]);
        Assert.Contains(folder, output);
        Assert.Contains("--ExecutePreprocessor.kernel_name=mlops-csharp", output);
        Assert.Contains("Kernel > Change Kernel", output);
    }

    [Fact]
    public void Install_for_the_user_writes_into_the_users_jupyter_data_folder_under_the_name_given()
    {
        var data = Path.Combine(_dir.Path, "data");
        var (code, output, error) = Programs.Run(Programs.Mlops, ["kernel", "install", "--user", "--name", ".net-csharp"],
            environment: new Dictionary<string, string?> { ["JUPYTER_DATA_DIR"] = data });
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(data, "kernels", ".net-csharp", "kernel.json")), output);

        var home = Path.Combine(_dir.Path, "home");
        var (atHome, _, homeError) = Programs.Run(Programs.Mlops, ["kernel", "install", "--user"],
            environment: new Dictionary<string, string?> { ["HOME"] = home, ["JUPYTER_DATA_DIR"] = null, ["XDG_DATA_HOME"] = null });
        Assert.True(atHome == 0, homeError);
        Assert.True(File.Exists(Path.Combine(home, ".local", "share", "jupyter", "kernels", "mlops-csharp", "kernel.json")));
    }

    [Theory]
    [InlineData("c sharp")]
    [InlineData("../escape")]
    [InlineData("kernel/name")]
    [InlineData("ü")]
    [InlineData("..")]
    [InlineData(".")]
    public void A_kernel_name_jupyter_would_not_list_or_that_names_a_folder_above_is_refused_with_exit_1_and_nothing_written(string name)
    {
        var (code, _, error) = Programs.Run(Programs.Mlops, ["kernel", "install", "--prefix", _dir.Path, "--name", name]);
        Assert.Equal(1, code);
        Assert.Contains("is not a kernel name", error);
        Assert.Contains("letters, digits", error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void User_and_prefix_together_are_refused_with_exit_1_and_nothing_written()
    {
        var (code, _, error) = Programs.Run(Programs.Mlops, ["kernel", "install", "--user", "--prefix", _dir.Path],
            environment: new Dictionary<string, string?> { ["JUPYTER_DATA_DIR"] = Path.Combine(_dir.Path, "data") });
        Assert.Equal(1, code);
        Assert.Contains("--user and --prefix", error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir.Path));
    }

    [Fact]
    public void A_prefix_that_cannot_be_written_is_an_error_that_suggests_user()
    {
        var file = Path.Combine(_dir.Path, "a-file");
        File.WriteAllText(file, "");
        var (code, _, error) = Programs.Run(Programs.Mlops, ["kernel", "install", "--prefix", file]);
        Assert.Equal(1, code);
        Assert.Contains("cannot be written", error);
        Assert.Contains("--user", error);
        Assert.DoesNotContain("   at ", error);
    }
}
