using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace MlopsNotebooks.Runner;

/// <summary>
/// The processes a notebook's cells start. One that outlives its cell (a server, a <c>sleep 600 &amp;</c>) keeps the
/// runner's stdout open, so whatever reads it (CI, a test, a pipe) waits until it ends. The runner adopts such orphans
/// while cells run (Linux's child subreaper: a process whose parent exits is reparented to the runner, not to init) and
/// kills every process below it that was not there when the run started, when the run ends or a cell times out.
/// </summary>
internal sealed class CellProcesses
{
    private const int PrSetChildSubreaper = 36;

    private const int WaitNoHang = 1;

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, out int status, int options);

    /// <summary>Processes of the host that were running before the cells (a host embedding the runner keeps them).</summary>
    private readonly HashSet<int> _before;

    private CellProcesses(HashSet<int> before) => _before = before;

    /// <summary>
    /// Notes the processes already below this one, and makes processes the cells leave behind children of the runner,
    /// so that they can be found at the end.
    /// </summary>
    public static CellProcesses Watch()
    {
        if (!OperatingSystem.IsLinux())
        {
            return new CellProcesses([]);
        }
        prctl(PrSetChildSubreaper, 1, 0, 0, 0);
        return new CellProcesses([.. Descendants(Environment.ProcessId)]);
    }

    /// <summary>Kills every process the cells started that is still running; returns how many were killed.</summary>
    public int EndAll()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }
        var killed = 0;
        // A process killed here may leave orphans of its own that are reparented to the runner a moment later.
        for (var round = 0; round < 5; round++)
        {
            var below = Descendants(Environment.ProcessId).Where(p => !_before.Contains(p)).ToList();
            if (below.Count == 0)
            {
                break;
            }
            foreach (var pid in below)
            {
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill();
                    killed++;
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    // it ended on its own meanwhile
                }
            }
            // Adopted processes are the runner's children: reap them, or they stay behind as zombies.
            foreach (var pid in below)
            {
                for (var tries = 0; tries < 50 && waitpid(pid, out _, WaitNoHang) == 0; tries++)
                {
                    Thread.Sleep(10);
                }
            }
        }
        return killed;
    }

    /// <summary>The processes below <paramref name="root"/> in the process tree, read from /proc.</summary>
    private static List<int> Descendants(int root)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(folder, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // it ended while being read
            }
            // "pid (name) state ppid ...": the name may hold spaces and parentheses, so read after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 2 && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var parent))
            {
                (children.TryGetValue(parent, out var list) ? list : children[parent] = []).Add(pid);
            }
        }
        var result = new List<int>();
        var pending = new Queue<int>([root]);
        while (pending.Count > 0)
        {
            foreach (var child in children.GetValueOrDefault(pending.Dequeue()) ?? [])
            {
                result.Add(child);
                pending.Enqueue(child);
            }
        }
        return result;
    }
}
