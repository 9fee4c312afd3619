using System.Diagnostics;
using System.Globalization;
using MlopsNotebooks;
using MlopsNotebooks.Versioning;

// Push and pull through remotes: a fresh directory remote first, as the yardstick, then every URL given, in one run.
// Measured through the core API that `mlops data push` and `mlops data pull` call (DataRepository.Push/Pull), so the
// figures leave out the tool's start-up (about 0.3 s a command); a pull includes writing the data into the work tree,
// as a user's pull does. Each given URL gets a fresh prefix (URL/run-<id>) so every remote starts empty.
// Usage: RemotesBench [--small COUNT] [--big-mib MIB] [--create-containers] [URL...]   (defaults: 10,000 objects of
// 1-4 KiB, 1024 MiB). --create-containers makes the container of each azure:// URL first (bench/remotes.sh --services
// starts an empty Azurite; s3rver makes its bucket itself).
var small = 10_000;
var createContainers = false;
var bigMiB = 1024;
var urls = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--small" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0:
            small = n;
            i++;
            break;
        case "--big-mib" when i + 1 < args.Length && int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m > 0:
            bigMiB = m;
            i++;
            break;
        case "--create-containers":
            createContainers = true;
            break;
        case var option when option.StartsWith('-'):
            Console.Error.WriteLine($"error: '{option}' is not an option here, or its value is not a positive whole number.");
            Console.Error.WriteLine("Usage: RemotesBench [--small COUNT] [--big-mib MIB] [--create-containers] [URL...]");
            return 2;
        default:
            urls.Add(args[i]);
            break;
    }
}

var work = Path.Combine(Path.GetTempPath(), "mlops-remotes-bench-" + Guid.NewGuid().ToString("N")[..8]);
var run = Guid.NewGuid().ToString("N")[..8];
Directory.CreateDirectory(work);
try
{
    var source = Path.Combine(work, "source");
    Console.WriteLine($"{small:N0} objects of 1-4 KiB and one of {bigMiB:N0} MiB; {Environment.ProcessorCount} cores; {work}");
    WriteData(source, small, bigMiB);
    using var repo = new DataRepository(source);
    repo.Add(Path.Combine(source, "small"), LinkType.Hardlink);
    repo.Add(Path.Combine(source, "big.bin"), LinkType.Hardlink);

    if (createContainers)
    {
        foreach (var url in urls.Where(u => u.StartsWith("azure://", StringComparison.OrdinalIgnoreCase)))
        {
            new Azure.Storage.Blobs.BlobServiceClient(Environment.GetEnvironmentVariable("AZURE_STORAGE_CONNECTION_STRING"))
                .GetBlobContainerClient(new Uri(url).Host).CreateIfNotExists();
        }
    }
    var remotes = new List<(string Shown, string Url)> { ("directory", Path.Combine(work, "directory-remote")) };
    remotes.AddRange(urls.Select(u => (u, $"{u.TrimEnd('/')}/run-{run}")));
    var rows = new List<Row>();
    foreach (var (shown, url) in remotes)
    {
        var name = $"bench{rows.Count}";
        repo.AddRemote(name, url, makeDefault: false);
        rows.Add(Time(shown, "push small", () => repo.Push(name, [Path.Combine(source, "small")])));
        rows.Add(Time(shown, "push big", () => repo.Push(name, [Path.Combine(source, "big.bin")])));
        var clone = Path.Combine(work, "clone");
        Directory.CreateDirectory(clone);
        foreach (var pointer in new[] { "small.mlops", "big.bin.mlops" })
        {
            File.Copy(Path.Combine(source, pointer), Path.Combine(clone, pointer));
        }
        using (var other = new DataRepository(clone))
        {
            other.AddRemote(name, url, makeDefault: true);
            rows.Add(Time(shown, "pull small", () => other.Pull(name, [Path.Combine(clone, "small")])));
            rows.Add(Time(shown, "pull big", () => other.Pull(name, [Path.Combine(clone, "big.bin")])));
        }
        Directory.Delete(clone, recursive: true);
    }

    Console.WriteLine();
    Console.WriteLine("| remote | operation | objects | MB | seconds | objects/s | MB/s | time vs directory |");
    Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var row in rows)
    {
        var yardstick = rows.First(r => r.Operation == row.Operation);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {row.Remote} | {row.Operation} | {row.Objects:N0} | {row.Bytes / 1e6:0.0} | {row.Seconds:0.000} | {Rate(row.Objects / row.Seconds)} | {row.Bytes / 1e6 / row.Seconds:0.0} | {row.Seconds / yardstick.Seconds:0.00}x |"));
    }
    return 0;
}
catch (MlopsException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (e.Hint is not null)
    {
        Console.Error.WriteLine(e.Hint);
    }
    return 1;
}
finally
{
    Directory.Delete(work, recursive: true);
}

// Whole numbers for thousands of objects a second, two decimals for the one big object.
static string Rate(double perSecond) => perSecond.ToString(perSecond < 10 ? "0.00" : "N0", CultureInfo.InvariantCulture);

static Row Time(string remote, string operation, Func<TransferResult> transfer)
{
    var clock = Stopwatch.StartNew();
    var result = transfer();
    var seconds = clock.Elapsed.TotalSeconds;
    if (result.Unavailable.Count > 0 || result.Transferred == 0)
    {
        throw new MlopsException($"{operation} through {remote} moved {result.Transferred} objects; {result.Unavailable.Count} were unavailable.",
            "The remote did not start empty, or lost objects: see the remote's own log.");
    }
    return new Row(remote, operation, result.Transferred, result.Bytes, seconds);
}

// Seeded content: the same files every run, so runs compare. Small files are random bytes (nothing to dedupe).
static void WriteData(string root, int small, int bigMiB)
{
    var random = new Random(1);
    for (var i = 0; i < small; i++)
    {
        var folder = Path.Combine(root, "small", (i / 1000).ToString("000", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        var bytes = new byte[random.Next(1024, 4097)];
        random.NextBytes(bytes);
        File.WriteAllBytes(Path.Combine(folder, $"{i:00000}.bin"), bytes);
    }
    var block = new byte[1 << 20];
    using var big = File.Create(Path.Combine(root, "big.bin"));
    for (var i = 0; i < bigMiB; i++)
    {
        random.NextBytes(block);
        big.Write(block);
    }
}

internal sealed record Row(string Remote, string Operation, int Objects, long Bytes, double Seconds);
