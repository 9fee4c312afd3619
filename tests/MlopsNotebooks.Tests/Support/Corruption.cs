namespace MlopsNotebooks.Tests.Support;

/// <summary>Damage as disks and networks do it.</summary>
public static class Corruption
{
    /// <summary>Flips one bit of a file (even a read-only one) at an offset.</summary>
    public static void FlipByte(string path, long offset)
    {
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = offset;
        var b = (byte)file.ReadByte();
        file.Position = offset;
        file.WriteByte((byte)(b ^ 0x01));
    }
}
