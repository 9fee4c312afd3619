using System.Collections.Concurrent;

namespace MlopsNotebooks.Storage;

/// <summary>
/// The backends of one seam by URI scheme, as MLflow registers its stores: a factory per scheme, and every other scheme
/// refused with the seam's own "not supported" message. The scheme is what comes before <c>://</c>; a plain path has
/// the empty scheme (<see cref="UriSchemes.PlainPath"/>). Callers never <c>new</c> a backend: they ask the seam's registry.
/// </summary>
public sealed class SchemeRegistry<TFactory>(Func<string, string, MlopsException> unsupported) where TFactory : Delegate
{
    private readonly ConcurrentDictionary<string, TFactory> _factories = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Makes <paramref name="factory"/> the backend for <paramref name="scheme"/>, replacing an earlier one.</summary>
    public void Register(string scheme, TFactory factory) => _factories[scheme] = factory;

    /// <summary>The schemes that have a backend, sorted.</summary>
    public IReadOnlyList<string> Schemes => _factories.Keys.Order(StringComparer.Ordinal).ToList();

    public bool Supports(string? uri)
    {
        var scheme = UriSchemes.Of(uri);
        return _factories.ContainsKey(scheme) || (TeamBackends.Schemes.Contains(scheme) && TeamBackends.EnsureLoaded() && _factories.ContainsKey(scheme));
    }

    /// <summary>The factory for <paramref name="uri"/>'s scheme; an unregistered scheme gets the seam's message.</summary>
    public TFactory For(string? uri)
    {
        var scheme = UriSchemes.Of(uri);
        if (_factories.TryGetValue(scheme, out var factory))
        {
            return factory;
        }
        if (TeamBackends.Schemes.Contains(scheme))
        {
            if (TeamBackends.EnsureLoaded() && _factories.TryGetValue(scheme, out factory))
            {
                return factory;
            }
            var error = unsupported(uri ?? "", scheme);
            throw new MlopsException(error.Message, TeamBackends.MissingHint(scheme), error);
        }
        throw unsupported(uri ?? "", scheme);
    }
}

/// <summary>How the registries read a URI's scheme.</summary>
public static class UriSchemes
{
    /// <summary>The scheme of a plain path, a URI without <c>://</c>.</summary>
    public const string PlainPath = "";

    /// <summary>
    /// What comes before <c>://</c>, or <see cref="PlainPath"/> for a path (or no URI). A URI that starts with
    /// <c>://</c> names no scheme, which no backend takes.
    /// </summary>
    public static string Of(string? uri)
    {
        var end = uri?.IndexOf("://", StringComparison.Ordinal) ?? -1;
        return end < 0 ? PlainPath : end == 0 ? "://" : uri![..end];
    }
}
