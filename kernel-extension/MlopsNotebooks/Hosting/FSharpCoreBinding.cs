using System.Reflection;
using System.Runtime.Loader;

namespace MlopsNotebooks.Hosting;

/// <summary>
/// Plotly.NET 6 (the version served) asks for FSharp.Core 10.1, while the .NET Interactive kernel already runs its own
/// FSharp.Core 10.0 in the default load context, where a second version cannot load: every chart then fails with
/// FileNotFoundException. The kernel extension calls <see cref="BindToLoaded"/> so that such a request binds to the
/// FSharp.Core already loaded when the major version is the same (the sample's charts render so in the kernel).
/// </summary>
public static class FSharpCoreBinding
{
    private static int _installed;

    public static void BindToLoaded()
    {
        if (Interlocked.Exchange(ref _installed, 1) == 0)
        {
            AssemblyLoadContext.Default.Resolving += (context, requested) => Resolve(context.Assemblies, requested);
        }
    }

    internal static Assembly? Resolve(IEnumerable<Assembly> loaded, AssemblyName requested)
    {
        if (requested.Name != "FSharp.Core")
        {
            return null;
        }
        var present = loaded.FirstOrDefault(a => a.GetName().Name == "FSharp.Core");
        return present?.GetName().Version?.Major == requested.Version?.Major ? present : null;
    }
}
