using System.Runtime.InteropServices;
using System.Text;

namespace ActiveGate.Outbox;

/// <summary>
/// fsync(2) of a directory, so a newly created segment's directory entry survives power loss (fsync of the file
/// alone does not guarantee that, fsync(2) NOTES). .NET cannot open a directory as a file, hence the P/Invoke.
/// A no-op where unsupported; failures are reported, never thrown (the data itself is already synced).
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (Linux)

    public static bool TryFlush(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        byte[] path = Encoding.UTF8.GetBytes(directory + "\0");
        int fd = NativeMethods.open(path, ReadOnlyDirectory);
        if (fd < 0)
        {
            return false;
        }

        try
        {
            return NativeMethods.fsync(fd) == 0;
        }
        finally
        {
            _ = NativeMethods.close(fd);
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable CA2101, SYSLIB1054 // byte[] path (already UTF-8, NUL-terminated): no string marshalling; LibraryImport would need AllowUnsafeBlocks in the agent project.
        internal static extern int open(byte[] path, int flags);
#pragma warning restore CA2101, SYSLIB1054

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // see above
        internal static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int close(int fd);
#pragma warning restore SYSLIB1054
    }
}
