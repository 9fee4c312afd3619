using Azure.Storage.Blobs;

namespace MlopsNotebooks.Tests.Support;

/// <summary>
/// Azurite's blob service (npm, tests/tools), started once for the test run in memory; <see cref="OnDisk"/> starts one
/// of a test's own with its data in a folder, to restart it. Tests reach it with the development account's
/// well-known key (published by Microsoft, not a secret), through AZURE_STORAGE_CONNECTION_STRING as users do.
/// </summary>
public static class Azurite
{
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<BlobService> Service = new(() => BlobService.Shared("azurite-blob", port => Arguments(port, ["--inMemoryPersistence"])));

    public static BlobService Shared => Service.Value;

    /// <summary>An Azurite of the caller's own, keeping its data in <paramref name="folder"/> across restarts.</summary>
    public static BlobService OnDisk(string folder) => new("azurite-blob", port => Arguments(port, ["--location", folder]));

    /// <summary>The environment a process needs to reach <paramref name="service"/>, with another key when given.</summary>
    public static Dictionary<string, string?> Environment(BlobService service, string? key = null) => new()
    {
        ["AZURE_STORAGE_CONNECTION_STRING"] =
            $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={key ?? Key};BlobEndpoint={service.Address}/{Account};",
    };

    /// <summary>A new, empty container; its name.</summary>
    public static string NewContainer(BlobService service)
    {
        var name = "c" + Guid.NewGuid().ToString("N");
        new BlobServiceClient(Environment(service)["AZURE_STORAGE_CONNECTION_STRING"]).CreateBlobContainer(name);
        return name;
    }

    private static string[] Arguments(int port, string[] storage) =>
        ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. storage,
         "--disableTelemetry", "--skipApiVersionCheck", "--silent"];
}
