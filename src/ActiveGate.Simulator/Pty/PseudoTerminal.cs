using System.Runtime.InteropServices;

namespace ActiveGate.Simulator.Pty;

/// <summary>
/// A pseudo-terminal made with openpty(3): the simulator keeps the master (it plays the radio board),
/// the agent opens the slave path (<see cref="SlavePath"/>, e.g. /dev/pts/5) as if it were /dev/ttyUSB0.
/// </summary>
/// <remarks>
/// The simulator also keeps the slave open itself. Otherwise reading the master fails with EIO whenever
/// no agent has the slave open (before it starts, while it reconnects), and the board would "unplug".
/// The line is put in raw mode (cfmakeraw): no echo, no CR/LF translation, 8-bit clean for SLIP.
/// The master is non-blocking: when no agent reads and the tty buffer is full, what the board sends is
/// dropped (counted), as a UART's output is lost on an unplugged cable, instead of stalling the mesh.
/// </remarks>
public sealed partial class PseudoTerminal : IDisposable
{
    private const short PollIn = 0x001;
    private const short PollOut = 0x004;
    private const int FGetFl = 3;
    private const int FSetFl = 4;
    private const int ONonBlock = 0x800;
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    private readonly int _master;
    private readonly int _slave;
    private readonly Lock _writeLock = new();
    private int _disposed;

    private PseudoTerminal(int master, int slave, string slavePath)
    {
        _master = master;
        _slave = slave;
        SlavePath = slavePath;
    }

    /// <summary>The device path the agent opens.</summary>
    public string SlavePath { get; }

    /// <summary>Bytes dropped because nobody read the terminal and its buffer was full.</summary>
    public long BytesDropped { get; private set; }

    /// <summary>Opens a new pseudo-terminal pair in raw mode.</summary>
    public static PseudoTerminal Open()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The simulator needs Linux pseudo-terminals.");
        }

        int master, slave;
        int result;
        try
        {
            result = Native.openpty(out master, out slave, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.34 keeps openpty in libutil.
            result = Native.openpty_util(out master, out slave, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        }

        if (result != 0)
        {
            throw new IOException($"openpty failed: errno {Marshal.GetLastPInvokeError()}");
        }

        try
        {
            MakeRaw(slave);
            int flags = Native.fcntl(master, FGetFl, 0);
            if (flags < 0 || Native.fcntl(master, FSetFl, flags | ONonBlock) < 0)
            {
                throw new IOException($"fcntl(O_NONBLOCK) failed: errno {Marshal.GetLastPInvokeError()}");
            }

            string path = SlaveName(slave);
            return new PseudoTerminal(master, slave, path);
        }
        catch
        {
            _ = Native.close(master);
            _ = Native.close(slave);
            throw;
        }
    }

    /// <summary>
    /// Reads what the agent wrote, waiting at most <paramref name="timeout"/>; returns 0 on timeout.
    /// Blocking, for the simulator's own reader thread.
    /// </summary>
    public int Read(Span<byte> buffer, TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var poll = new PollFd { Fd = _master, Events = PollIn };
        int ready = Native.poll(ref poll, 1, (int)timeout.TotalMilliseconds);
        if (ready == 0)
        {
            return 0;
        }

        if (ready < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            return errno == EINTR ? 0 : throw new IOException($"poll failed: errno {errno}");
        }

        if ((poll.Revents & PollIn) == 0 && (poll.Revents & (PollErr | PollHup)) != 0)
        {
            throw new IOException("The pseudo-terminal was closed.");
        }

        unsafe
        {
            fixed (byte* p = buffer)
            {
                nint n = Native.read(_master, p, (nuint)buffer.Length);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    return errno is EINTR or EAGAIN ? 0 : throw new IOException($"read failed: errno {errno}");
                }

                return (int)n;
            }
        }
    }

    /// <summary>Writes everything to the agent's side.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_writeLock)
        {
            unsafe
            {
                fixed (byte* p = data)
                {
                    int offset = 0;
                    while (offset < data.Length)
                    {
                        nint n = Native.write(_master, p + offset, (nuint)(data.Length - offset));
                        if (n >= 0)
                        {
                            offset += (int)n;
                            continue;
                        }

                        int errno = Marshal.GetLastPInvokeError();
                        if (errno == EINTR)
                        {
                            continue;
                        }

                        if (errno != EAGAIN)
                        {
                            throw new IOException($"write failed: errno {errno}");
                        }

                        // Buffer full: give a slow reader 20 ms, then drop the rest of this write.
                        var poll = new PollFd { Fd = _master, Events = PollOut };
                        if (Native.poll(ref poll, 1, 20) <= 0)
                        {
                            BytesDropped += data.Length - offset;
                            return;
                        }
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _ = Native.close(_slave);
        _ = Native.close(_master);
    }

    private static unsafe void MakeRaw(int fd)
    {
        // struct termios is 60 bytes on glibc x64/arm64 and 60 on armhf; a larger buffer is harmless.
        byte* termios = stackalloc byte[256];
        if (Native.tcgetattr(fd, termios) != 0)
        {
            throw new IOException($"tcgetattr failed: errno {Marshal.GetLastPInvokeError()}");
        }

        Native.cfmakeraw(termios);
        if (Native.tcsetattr(fd, 0 /* TCSANOW */, termios) != 0)
        {
            throw new IOException($"tcsetattr failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static unsafe string SlaveName(int fd)
    {
        byte* name = stackalloc byte[256];
        int result = Native.ttyname_r(fd, name, 256);
        if (result != 0)
        {
            throw new IOException($"ttyname_r failed: {result}");
        }

        return Marshal.PtrToStringUTF8((IntPtr)name) ?? throw new IOException("ttyname_r returned no name");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private static unsafe partial class Native
    {
        private const string LibC = "libc.so.6";

        [LibraryImport(LibC, EntryPoint = "openpty", SetLastError = true)]
        public static partial int openpty(out int master, out int slave, IntPtr name, IntPtr termios, IntPtr winsize);

        [LibraryImport("libutil.so.1", EntryPoint = "openpty", SetLastError = true)]
        public static partial int openpty_util(out int master, out int slave, IntPtr name, IntPtr termios, IntPtr winsize);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int tcgetattr(int fd, byte* termios);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int tcsetattr(int fd, int optionalActions, byte* termios);

        [LibraryImport(LibC)]
        public static partial void cfmakeraw(byte* termios);

        [LibraryImport(LibC)]
        public static partial int ttyname_r(int fd, byte* buffer, nuint length);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial nint read(int fd, byte* buffer, nuint count);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial nint write(int fd, byte* buffer, nuint count);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int close(int fd);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int fcntl(int fd, int command, int argument);
    }
}
