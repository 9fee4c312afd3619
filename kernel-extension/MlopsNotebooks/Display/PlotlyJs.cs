namespace MlopsNotebooks.Display;

/// <summary>
/// Where the pages and notebooks that show charts get plotly.js: a script reference (the CDN by default, or another
/// URL), or a copy embedded in the page for offline use (Plotly.NET's own, or a file). Chosen with
/// <c>--plotly-js cdn|embed|&lt;url&gt;|&lt;path&gt;</c> or the <c>MLOPS_PLOTLY_JS</c> variable.
/// </summary>
public sealed class PlotlyJs
{
    /// <summary>The environment variable that chooses plotly.js when no option does (the kernel reads it too).</summary>
    public const string EnvironmentVariable = "MLOPS_PLOTLY_JS";

    private const string Hint = "Pass cdn, embed (the copy inside Plotly.NET), an http(s) or file URL, or the path of a plotly.min.js file.";

    private static readonly Lazy<PlotlyJs> PlotlyNetCopy = new(ReadPlotlyNetCopy);
    private static PlotlyJs? _current;

    private PlotlyJs(string? url, string? script)
    {
        Url = url;
        Script = script;
    }

    /// <summary>The plotly.js version the charts are written for: the one Plotly.NET targets.</summary>
    public static string Version => global::Globals.PLOTLYJS_VERSION;

    /// <summary>plotly.js of <see cref="Version"/> from plotly's CDN: the default, which needs a network when a page is opened.</summary>
    public static PlotlyJs Cdn { get; } = new($"https://cdn.plot.ly/plotly-{Version}.min.js", null);

    /// <summary>The copy of plotly.js that Plotly.NET carries (the same <see cref="Version"/>), embedded: no network needed.</summary>
    public static PlotlyJs Embedded => PlotlyNetCopy.Value;

    /// <summary>The address pages load plotly.js from, or null when they carry a copy.</summary>
    public string? Url { get; }

    /// <summary>The copy pages carry, or null when they load it from <see cref="Url"/>.</summary>
    public string? Script { get; }

    /// <summary>
    /// What the charts of this process use: set by the CLI's <c>--plotly-js</c>; otherwise <see cref="EnvironmentVariable"/>,
    /// otherwise the CDN.
    /// </summary>
    public static PlotlyJs Current
    {
        get => Volatile.Read(ref _current) ?? FromEnvironment();
        set => Volatile.Write(ref _current, value);
    }

    /// <summary>The choice <see cref="EnvironmentVariable"/> makes, or the CDN when it is unset.</summary>
    public static PlotlyJs FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } value ? Parse(value, EnvironmentVariable) : Cdn;

    /// <summary>
    /// <c>cdn</c>, <c>embed</c>, an http(s) or file URL to reference, or the path of a file to embed. <paramref name="what"/>
    /// names the option or variable in messages.
    /// </summary>
    public static PlotlyJs Parse(string value, string what)
    {
        var text = value.Trim();
        if (text.Equals("cdn", StringComparison.OrdinalIgnoreCase))
        {
            return Cdn;
        }
        if (text.Equals("embed", StringComparison.OrdinalIgnoreCase))
        {
            return Embedded;
        }
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "file" && !Path.IsPathRooted(text))
        {
            // The URL is written into a JavaScript string and an HTML page: keep it to characters that need no escaping.
            return text.All(c => c > ' ' && c < 0x7f && c is not ('\'' or '"' or '<' or '>' or '\\' or '`'))
                ? new PlotlyJs(uri.AbsoluteUri, null)
                : throw new MlopsException($"{what} '{value}' is not a URL a page can load plotly.js from.", "Percent-encode quotes, spaces and angle brackets in it.");
        }
        if (text.Length == 0 || text.Contains("://", StringComparison.Ordinal))
        {
            throw new MlopsException($"{what} '{value}' is neither cdn, embed, a URL nor a file.", Hint);
        }
        return FromFile(text, what);
    }

    private static PlotlyJs FromFile(string path, string what)
    {
        string script;
        try
        {
            script = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new MlopsException($"{what}: plotly.js could not be read from {path}: {e.Message}", Hint, e);
        }
        return Checked(script, $"{what}: {path}");
    }

    /// <summary>
    /// A copy is written into a script element as it is: one that is empty, or that holds text which would end that
    /// element or change how the browser reads it, is not plotly.js.
    /// </summary>
    private static PlotlyJs Checked(string script, string source)
    {
        if (string.IsNullOrWhiteSpace(script))
        {
            throw new MlopsException($"{source} is empty, not plotly.js.", Hint);
        }
        foreach (var marker in new[] { "</script", "<!--", "<script" })
        {
            if (script.Contains(marker, StringComparison.OrdinalIgnoreCase))
            {
                throw new MlopsException($"{source} holds '{marker}', which would break the page it is embedded in; it is not plotly.js as published.",
                    "Use the plotly.min.js of the plotly.js-dist-min package, or --plotly-js embed.");
            }
        }
        return new PlotlyJs(null, script);
    }

    private static PlotlyJs ReadPlotlyNetCopy()
    {
        var name = $"Plotly.NET.plotly-{Version}.min.js";
        using var stream = typeof(Plotly.NET.GenericChart).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Plotly.NET carries no {name}.");
        using var reader = new StreamReader(stream);
        return Checked(reader.ReadToEnd(), "Plotly.NET's copy of plotly.js");
    }
}
