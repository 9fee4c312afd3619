using System.Runtime.InteropServices;

namespace MlopsNotebooks.Versioning;

/// <summary>What the state cache keys a file by: if none of these changed, neither did the content.</summary>
public readonly record struct FileStamp(long Size, long MtimeNanoseconds, long Inode)
{
    /// <summary>Set when the path itself is a symbolic link (not part of the key).</summary>
    public bool IsSymlink { get; init; }

    /// <summary>Set for a FIFO, socket or device: nothing to version, and a FIFO blocks its reader.</summary>
    public bool IsSpecial { get; init; }

    /// <summary>When the inode last changed (a write, a rename into place, a chmod), in ns; 0 where unknown.</summary>
    public long CtimeNanoseconds { get; init; }

    public bool Equals(FileStamp other) => Size == other.Size && MtimeNanoseconds == other.MtimeNanoseconds && Inode == other.Inode;

    public override int GetHashCode() => HashCode.Combine(Size, MtimeNanoseconds, Inode);
}

/// <summary>
/// The few file-system calls .NET does not offer: one <c>lstat</c> for size, mtime in nanoseconds and inode (DVC's
/// state key), hard links and reflinks. Linux x64 uses libc directly; elsewhere the portable fallbacks are used
/// (no inode, no reflink).
/// </summary>
internal static partial class FileSystemCalls
{
    private static readonly bool LinuxX64 = OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    public static FileStamp Stamp(string path)
    {
        if (LinuxX64)
        {
            if (lstat(path, out var st) != 0)
            {
                throw new FileNotFoundException($"Cannot read {path} (errno {Marshal.GetLastPInvokeError()}).", path);
            }
            const uint typeMask = 0xF000, symlink = 0xA000, regular = 0x8000, directory = 0x4000;
            var type = st.Mode & typeMask;
            return new FileStamp(st.Size, st.MtimeSeconds * 1_000_000_000 + st.MtimeNanoseconds, (long)st.Inode)
            {
                IsSymlink = type == symlink,
                IsSpecial = type is not (symlink or regular or directory),
                CtimeNanoseconds = st.CtimeSeconds * 1_000_000_000 + st.CtimeNanoseconds,
            };
        }
        var info = new FileInfo(path);
        return new FileStamp(info.Length, (info.LastWriteTimeUtc.Ticks - DateTime.UnixEpoch.Ticks) * 100, 0) { IsSymlink = info.LinkTarget is not null };
    }

    public static void HardLink(string source, string target)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            throw new MlopsException("Hard links are supported on Linux and macOS only here.", "Use the copy link type.");
        }
        if (link(source, target) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new UnavailableException($"Cannot hard-link {source} into the cache (errno {errno}{(errno == 18 ? ": they are on different file systems" : "")}).",
                "Use the copy link type, or keep the cache on the same file system as the data.");
        }
    }

    public static void Reflink(string source, string target)
    {
        const uint ficlone = 0x40049409;
        if (!OperatingSystem.IsLinux())
        {
            throw new MlopsException("Reflinks are supported on Linux only here.", "Use the copy or hardlink link type.");
        }
        using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write);
        if (ioctl((int)output.SafeFileHandle.DangerousGetHandle(), ficlone, (int)input.SafeFileHandle.DangerousGetHandle()) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new UnavailableException($"This file system cannot reflink {source} (errno {errno}).",
                "Reflinks need btrfs, XFS or another copy-on-write file system; use the copy or hardlink link type.");
        }
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string oldpath, string newpath);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(int fd, uint request, int argument);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int lstat(string path, out LinuxX64Stat buffer);

    // struct stat as glibc lays it out on x86_64.
    [StructLayout(LayoutKind.Sequential)]
    private struct LinuxX64Stat
    {
        public ulong Device;
        public ulong Inode;
        public ulong Links;
        public uint Mode;
        public uint Uid;
        public uint Gid;
        public int Padding;
        public ulong RDevice;
        public long Size;
        public long BlockSize;
        public long Blocks;
        public long AtimeSeconds;
        public long AtimeNanoseconds;
        public long MtimeSeconds;
        public long MtimeNanoseconds;
        public long CtimeSeconds;
        public long CtimeNanoseconds;
        public long Reserved0;
        public long Reserved1;
        public long Reserved2;
    }
}
