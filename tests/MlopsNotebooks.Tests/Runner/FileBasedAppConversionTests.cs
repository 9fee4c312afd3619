using MlopsNotebooks.Notebooks;
using MlopsNotebooks.Runner.Apps;
using MlopsNotebooks.Tests.Packaging;
using MlopsNotebooks.Tests.Support;

namespace MlopsNotebooks.Tests.Runner;

/// <summary>The converter and the failure reader on their own: no build (FileBasedAppTests builds and runs apps).</summary>
public sealed class FileBasedAppConversionTests
{
    [Fact]
    public void The_committed_churn_app_is_what_convert_writes_from_the_churn_notebook()
    {
        var folder = Path.Combine(Programs.RepositoryRoot, "notebooks");
        var conversion = NotebookToApp.Convert(Notebook.Read(Path.Combine(folder, "churn-train.ipynb")), "churn-train.ipynb", folder, skipUnsupported: false,
            ToolPackageTests.Version);
        Assert.Empty(conversion.Unconverted);
        // In this repository (central package versions, warnings as errors) the app says what it needs to build here.
        Assert.Contains("#:property ManagePackageVersionsCentrally=false\n#:property TreatWarningsAsErrors=false\n", conversion.Code);
        Assert.Equal(conversion.Code, File.ReadAllText(Path.Combine(folder, "churn-train.cs")).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_package_that_does_not_restore_fails_at_its_package_directive_and_a_frame_outside_the_app_is_passed_over()
    {
        using var dir = new TempDirectory();
        var app = dir.File("train.cs");
        File.WriteAllText(app, "#:package Microsoft.ML@5.0.1\n#:package Churn.Features@9.9.9\nConsole.WriteLine(1);\nHelpers.Run();\n");
        var restore = AppFailures.Read(app, $"{app}.csproj : error NU1101: Unable to find package Churn.Features. No packages exist with this id in source(s): kit\n", 1);
        Assert.Equal(("PackageRestoreError", 2), (restore.Kind, restore.Line));
        Assert.StartsWith("NU1101: Unable to find package Churn.Features.", restore.Message);

        var thrown = AppFailures.Read(app, $"""
            Unhandled exception. System.IO.FileNotFoundException: Could not find file 'data.csv'.
               at System.IO.FileStream.ValidateFileHandle(SafeFileHandle fileHandle, String path)
               at Helpers.Run() in {dir.File("helpers.cs")}:line 7
               at Program.<Main>$(String[] args) in {app}:line 4

            """, 134);
        Assert.Equal(("System.IO.FileNotFoundException", 4, "Could not find file 'data.csv'."), (thrown.Kind, thrown.Line, thrown.Message));
    }
}
