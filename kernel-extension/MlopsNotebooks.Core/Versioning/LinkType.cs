namespace MlopsNotebooks.Versioning;

/// <summary>
/// How a file in the work tree relates to its object in the cache, as DVC's cache types. Copy is the default and
/// always works; the others save the second copy and make adding a large file almost free, at the price of the work
/// tree file being read-only (hardlink, symlink) so that editing it cannot corrupt the cache.
/// </summary>
public enum LinkType
{
    Copy,
    Reflink,
    Hardlink,
    Symlink,
}
