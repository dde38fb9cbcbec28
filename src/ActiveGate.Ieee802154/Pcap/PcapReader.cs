using System.Buffers.Binary;

namespace ActiveGate.Ieee802154.Pcap;

/// <summary>
/// Reads a classic libpcap capture from a <see cref="Stream"/>: either byte order, microsecond
/// (0xA1B2C3D4) or nanosecond (0xA1B23C4D) timestamps. pcapng is not supported.
/// </summary>
/// <remarks>Malformed input raises <see cref="PcapFormatException"/> and nothing else.</remarks>
public sealed class PcapReader : IDisposable
{
    /// <summary>Largest record accepted; protects against a corrupt length field allocating gigabytes.</summary>
    public const int MaxRecordLength = 262144;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;

    /// <summary>Reads and validates the global header.</summary>
    /// <exception cref="PcapFormatException">The header is truncated or the magic is unknown.</exception>
    public PcapReader(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;

        Span<byte> header = stackalloc byte[PcapWriter.GlobalHeaderLength];
        if (!ReadExactly(header))
        {
            throw new PcapFormatException("Truncated pcap global header.");
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        switch (magic)
        {
            case 0xA1B2C3D4: break;
            case 0xD4C3B2A1: _bigEndian = true; break;
            case 0xA1B23C4D: _nanoseconds = true; break;
            case 0x4D3CB2A1: _bigEndian = true; _nanoseconds = true; break;
            default: throw new PcapFormatException($"Unknown pcap magic 0x{magic:X8} (pcapng is not supported).");
        }

        VersionMajor = ReadUInt16(header[4..]);
        VersionMinor = ReadUInt16(header[6..]);
        SnapLength = ReadUInt32(header[16..]);
        LinkType = (PcapLinkType)ReadUInt32(header[20..]);
    }

    /// <summary>Major version from the header (2).</summary>
    public ushort VersionMajor { get; }

    /// <summary>Minor version from the header (4).</summary>
    public ushort VersionMinor { get; }

    /// <summary>Snap length from the header.</summary>
    public uint SnapLength { get; }

    /// <summary>Link type from the header; may be a value outside <see cref="PcapLinkType"/>.</summary>
    public PcapLinkType LinkType { get; }

    /// <summary>Reads the next record. Returns false at a clean end of the stream.</summary>
    /// <exception cref="PcapFormatException">A record header or body is truncated or its length is impossible.</exception>
    public bool TryReadNext(out PcapRecord record)
    {
        record = default;
        Span<byte> header = stackalloc byte[PcapWriter.RecordHeaderLength];
        int first = ReadAtMost(header);
        if (first == 0)
        {
            return false;
        }

        if (first < header.Length)
        {
            throw new PcapFormatException("Truncated pcap record header.");
        }

        uint seconds = ReadUInt32(header);
        uint fraction = ReadUInt32(header[4..]);
        uint included = ReadUInt32(header[8..]);
        uint original = ReadUInt32(header[12..]);
        if (included > MaxRecordLength)
        {
            throw new PcapFormatException($"pcap record length {included} exceeds {MaxRecordLength}.");
        }

        var data = new byte[included];
        if (!ReadExactly(data))
        {
            throw new PcapFormatException("Truncated pcap record body.");
        }

        long fractionTicks = _nanoseconds ? fraction / 100 : (long)fraction * TimeSpan.TicksPerMicrosecond;
        if (fractionTicks >= TimeSpan.TicksPerSecond)
        {
            throw new PcapFormatException($"pcap timestamp fraction {fraction} is out of range.");
        }

        var timestamp = new DateTimeOffset(DateTime.UnixEpoch.Ticks + (seconds * TimeSpan.TicksPerSecond) + fractionTicks, TimeSpan.Zero);
        record = new PcapRecord(timestamp, data, (int)Math.Min(original, int.MaxValue));
        return true;
    }

    /// <summary>Reads all remaining records.</summary>
    public IEnumerable<PcapRecord> ReadAll()
    {
        while (TryReadNext(out PcapRecord record))
        {
            yield return record;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private ushort ReadUInt16(ReadOnlySpan<byte> source) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(source) : BinaryPrimitives.ReadUInt16LittleEndian(source);

    private uint ReadUInt32(ReadOnlySpan<byte> source) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(source) : BinaryPrimitives.ReadUInt32LittleEndian(source);

    private bool ReadExactly(Span<byte> destination) => ReadAtMost(destination) == destination.Length;

    private int ReadAtMost(Span<byte> destination)
    {
        int total = 0;
        while (total < destination.Length)
        {
            int read = _stream.Read(destination[total..]);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }
}
