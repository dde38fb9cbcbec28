using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace ActiveGate.Radio.Serial;

/// <summary>
/// The byte stream of a terminal device (/dev/ttyUSB0, a pty), read by one dedicated thread that sleeps in poll(2)
/// until bytes arrive: one wake-up per burst of bytes and none while the radio is quiet.
/// </summary>
/// <remarks>
/// Why not <see cref="System.IO.Ports.SerialPort.BaseStream"/>: on Linux its I/O loop polls the device with a 1 ms
/// timeout for as long as a read is pending, which for a radio link is always: a thousand wake-ups a second, measured
/// as 2.6 % of a core on the 2-vCPU test machine with the radio idle. <see cref="SerialPortConnector"/> still opens and
/// configures the line with System.IO.Ports (speed, framing, handshake, DTR); the terminal settings belong to the
/// device, so this second descriptor, opened first, sees them.
/// </remarks>
internal sealed unsafe partial class TerminalStream : Stream
{
    private const int ReadChunk = 4096;
    private const int ORdWr = 0x2;
    private const int ONoCtty = 0x100;
    private const int ONonBlock = 0x800;
    private const int OCloExec = 0x80000;
    private const short PollIn = 0x001;
    private const short PollOut = 0x004;
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const short PollNval = 0x020;
    private const int EINTR = 4;
    private const int EAGAIN = 11;

    private readonly int _fd;
    private readonly int _wakeRead;
    private readonly int _wakeWrite;
    private readonly Pipe _received = new(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19, useSynchronizationContext: false));
    private readonly Stream _receivedStream;
    private readonly Thread _reader;
    private readonly Lock _writeLock = new();
    private readonly TimeSpan _writeTimeout;
    private IDisposable? _closeAfterwards;
    private int _disposed;

    private TerminalStream(int fd, int wakeRead, int wakeWrite, string path, TimeSpan writeTimeout)
    {
        _fd = fd;
        _wakeRead = wakeRead;
        _wakeWrite = wakeWrite;
        _writeTimeout = writeTimeout;
        _receivedStream = _received.Reader.AsStream();
        _reader = new Thread(ReaderLoop) { IsBackground = true, Name = "radio-rx " + Path.GetFileName(path) };
    }

    /// <summary>Opens <paramref name="path"/> read-write, non-blocking, never as our controlling terminal.</summary>
    public static TerminalStream Open(string path, TimeSpan writeTimeout)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("terminal devices are read with poll(2) on Linux only");
        }

        int fd = Native.open(path, ORdWr | ONoCtty | ONonBlock | OCloExec);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw errno switch
            {
                2 /* ENOENT */ => new FileNotFoundException($"no such device: {path}", path),
                13 /* EACCES */ => new UnauthorizedAccessException($"no permission to open {path} (is the service user in the dialout group?)"),
                _ => new IOException($"cannot open {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"),
            };
        }

        int* wake = stackalloc int[2];
        if (Native.pipe2(wake, OCloExec | ONonBlock) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _ = Native.close(fd);
            throw new IOException($"pipe2 failed: errno {errno}");
        }

        var stream = new TerminalStream(fd, wake[0], wake[1], path, writeTimeout);
        stream._reader.Start();
        return stream;
    }

    /// <summary>Something to close after the descriptor, e.g. the port object that configured the line.</summary>
    public void CloseAfterwards(IDisposable resource) => _closeAfterwards = resource;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    private void ReaderLoop()
    {
        PipeWriter writer = _received.Writer;
        Exception? ended = null;
        PollFd* fds = stackalloc PollFd[2];
        try
        {
            while (true)
            {
                fds[0] = new PollFd { Fd = _fd, Events = PollIn };
                fds[1] = new PollFd { Fd = _wakeRead, Events = PollIn };
                if (Native.poll(fds, 2, -1) < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    ended = new IOException($"poll failed: errno {errno}");
                    break;
                }

                if (fds[1].Revents != 0)
                {
                    break; // disposed
                }

                short revents = fds[0].Revents;
                if ((revents & PollIn) != 0)
                {
                    Memory<byte> memory = writer.GetMemory(ReadChunk);
                    nint n;
                    using (MemoryHandle pin = memory.Pin())
                    {
                        n = Native.read(_fd, (byte*)pin.Pointer, (nuint)memory.Length);
                    }

                    if (n > 0)
                    {
                        writer.Advance((int)n);
                        // Blocks only while the consumer is a megabyte behind: back-pressure instead of unbounded memory.
                        FlushResult flushed = writer.FlushAsync().AsTask().GetAwaiter().GetResult();
                        if (flushed.IsCompleted || flushed.IsCanceled)
                        {
                            break; // the reader is gone, or Dispose cut a back-pressure wait short
                        }

                        continue;
                    }

                    if (n < 0)
                    {
                        int errno = Marshal.GetLastPInvokeError();
                        if (errno is EINTR or EAGAIN)
                        {
                            continue;
                        }

                        ended = new IOException($"radio read failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); unplugged?");
                        break;
                    }

                    ended = new IOException("the radio's terminal closed (hang-up)");
                    break;
                }

                if ((revents & (PollHup | PollErr | PollNval)) != 0)
                {
                    ended = new IOException("the radio's terminal hung up (unplugged?)");
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            ended = ex;
        }

        writer.Complete(ended);
    }

    public override int Read(byte[] buffer, int offset, int count) => _receivedStream.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _receivedStream.Read(buffer);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => _receivedStream.ReadAsync(buffer, offset, count, cancellationToken);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => _receivedStream.ReadAsync(buffer, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Writes everything, waiting for room (e.g. while the radio holds CTS) at most the write timeout.</summary>
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        long deadline = Environment.TickCount64 + (long)_writeTimeout.TotalMilliseconds;
        lock (_writeLock)
        {
            fixed (byte* start = buffer)
            {
                int offset = 0;
                while (offset < buffer.Length)
                {
                    nint n = Native.write(_fd, start + offset, (nuint)(buffer.Length - offset));
                    if (n > 0)
                    {
                        offset += (int)n;
                        continue;
                    }

                    int errno = Marshal.GetLastPInvokeError();
                    if (n < 0 && errno == EINTR)
                    {
                        continue;
                    }

                    if (n < 0 && errno != EAGAIN)
                    {
                        throw new IOException($"radio write failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); unplugged?");
                    }

                    int left = (int)(deadline - Environment.TickCount64);
                    var poll = new PollFd { Fd = _fd, Events = PollOut };
                    if (left <= 0 || Native.poll(&poll, 1, left) == 0)
                    {
                        throw new TimeoutException($"the radio accepted no data for {_writeTimeout.TotalMilliseconds:0} ms");
                    }
                }
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Frames are small and the tty driver buffers them: the write completes synchronously.</summary>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            byte one = 1;
            _ = Native.write(_wakeWrite, &one, 1);
            _received.Writer.CancelPendingFlush();
            if (disposing && Thread.CurrentThread != _reader)
            {
                _reader.Join();
            }

            _received.Reader.Complete();
            _ = Native.close(_wakeRead);
            _ = Native.close(_wakeWrite);
            _ = Native.close(_fd);
            try
            {
                _closeAfterwards?.Dispose();
            }
            catch (IOException)
            {
                // The device is already gone (unplug); nothing left to close.
            }
        }

        base.Dispose(disposing);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private static partial class Native
    {
        private const string LibC = "libc";

        [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        public static partial int open(string path, int flags);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int pipe2(int* fds, int flags);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial nint read(int fd, byte* buffer, nuint count);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial nint write(int fd, byte* buffer, nuint count);

        [LibraryImport(LibC, SetLastError = true)]
        public static partial int close(int fd);
    }
}
