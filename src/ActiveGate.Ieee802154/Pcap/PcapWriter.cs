using System.Buffers;
using System.Buffers.Binary;

namespace ActiveGate.Ieee802154.Pcap;

/// <summary>
/// Writes a classic libpcap capture (magic 0xA1B2C3D4, version 2.4, microsecond timestamps,
/// little-endian) to any <see cref="Stream"/>: a file, a FIFO Wireshark reads live, or memory.
/// </summary>
/// <remarks>
/// <para>The 24-byte global header is written by the constructor so a reader on a FIFO can start
/// decoding at once. Every record is flushed as one write (header and data together).</para>
/// <para>Thread-safe: the receive loop and the transmit path of a link may write concurrently.</para>
/// <code>
/// global header: magic(4) ver_major(2)=2 ver_minor(2)=4 thiszone(4)=0 sigfigs(4)=0 snaplen(4) network(4)
/// record header: ts_sec(4) ts_usec(4) incl_len(4) orig_len(4), then incl_len bytes
/// </code>
/// </remarks>
public sealed class PcapWriter : IDisposable, IAsyncDisposable
{
    /// <summary>Size of the pcap global header.</summary>
    public const int GlobalHeaderLength = 24;

    /// <summary>Size of each record header.</summary>
    public const int RecordHeaderLength = 16;

    private const uint Magic = 0xA1B2C3D4;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _disposed;

    /// <summary>Creates a writer and writes the global header.</summary>
    /// <param name="stream">Destination; must be writable.</param>
    /// <param name="linkType">195 (frames carry an FCS) or 230 (no FCS).</param>
    /// <param name="leaveOpen">When false, disposing the writer disposes the stream.</param>
    /// <param name="snapLength">Largest record length written; longer packets are truncated.</param>
    public PcapWriter(Stream stream, PcapLinkType linkType, bool leaveOpen = false, int snapLength = 65535)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapLength);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        LinkType = linkType;
        SnapLength = snapLength;

        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        _stream.Write(header);
        _stream.Flush();
    }

    /// <summary>The link type written in the global header.</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>The snap length written in the global header.</summary>
    public int SnapLength { get; }

    /// <summary>Writes one record with exactly the given bytes.</summary>
    public void WriteRecord(DateTimeOffset timestamp, ReadOnlySpan<byte> packet)
    {
        byte[] buffer = Rent(packet.Length, out _);
        try
        {
            int written = Format(timestamp, packet, buffer);
            _lock.Wait();
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _stream.Write(buffer, 0, written);
                _stream.Flush();
            }
            finally
            {
                _lock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

    }

    /// <summary>Writes one record with exactly the given bytes.</summary>
    public async ValueTask WriteRecordAsync(DateTimeOffset timestamp, ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        byte[] buffer = Rent(packet.Length, out _);
        try
        {
            int written = Format(timestamp, packet.Span, buffer);
            await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                await _stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
                await _stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _lock.Release();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes an MPDU given WITHOUT its FCS. For link type 195 the correct FCS is appended, so
    /// Wireshark reports <c>wpan.fcs_ok == 1</c>; for 230 the bytes are written as they are.
    /// </summary>
    public void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> mpduWithoutFcs)
    {
        if (LinkType != PcapLinkType.Ieee802154WithFcs)
        {
            WriteRecord(timestamp, mpduWithoutFcs);
            return;
        }

        byte[] frame = ArrayPool<byte>.Shared.Rent(mpduWithoutFcs.Length + Fcs.Length);
        try
        {
            mpduWithoutFcs.CopyTo(frame);
            Fcs.TryWrite(mpduWithoutFcs, frame.AsSpan(mpduWithoutFcs.Length));
            WriteRecord(timestamp, frame.AsSpan(0, mpduWithoutFcs.Length + Fcs.Length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <summary>Async form of <see cref="WriteFrame"/>.</summary>
    public async ValueTask WriteFrameAsync(DateTimeOffset timestamp, ReadOnlyMemory<byte> mpduWithoutFcs, CancellationToken cancellationToken = default)
    {
        if (LinkType != PcapLinkType.Ieee802154WithFcs)
        {
            await WriteRecordAsync(timestamp, mpduWithoutFcs, cancellationToken).ConfigureAwait(false);
            return;
        }

        int length = mpduWithoutFcs.Length + Fcs.Length;
        byte[] frame = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            mpduWithoutFcs.Span.CopyTo(frame);
            Fcs.TryWrite(mpduWithoutFcs.Span, frame.AsSpan(mpduWithoutFcs.Length));
            await WriteRecordAsync(timestamp, frame.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _lock.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_leaveOpen)
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    private byte[] Rent(int packetLength, out int recordLength)
    {
        recordLength = RecordHeaderLength + Math.Min(packetLength, SnapLength);
        return ArrayPool<byte>.Shared.Rent(recordLength);
    }

    private int Format(DateTimeOffset timestamp, ReadOnlySpan<byte> packet, Span<byte> destination)
    {
        int included = Math.Min(packet.Length, SnapLength);
        long ticks = timestamp.UtcTicks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long remainder);
        if (remainder < 0)
        {
            // Times before 1970 cannot be represented; clamp rather than write garbage.
            seconds = 0;
            remainder = 0;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], (uint)(remainder / TimeSpan.TicksPerMicrosecond));
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], (uint)included);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)packet.Length);
        packet[..included].CopyTo(destination[RecordHeaderLength..]);
        return RecordHeaderLength + included;
    }
}
