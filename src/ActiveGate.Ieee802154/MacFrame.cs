using System.Buffers.Binary;

namespace ActiveGate.Ieee802154;

/// <summary>A decoded MAC frame: its header and a view of its payload (no copy).</summary>
public readonly ref struct MacFrame
{
    /// <summary>Creates the view.</summary>
    public MacFrame(MacHeader header, int headerLength, ReadOnlySpan<byte> payload)
    {
        Header = header;
        HeaderLength = headerLength;
        Payload = payload;
    }

    /// <summary>The MAC header fields.</summary>
    public MacHeader Header { get; }

    /// <summary>Bytes taken by the MAC header.</summary>
    public int HeaderLength { get; }

    /// <summary>The MAC payload (for data frames: a 6LoWPAN frame; for MAC commands: command id and body).</summary>
    public ReadOnlySpan<byte> Payload { get; }
}

/// <summary>
/// Span-based 802.15.4-2003/2006 MAC frame codec. Frames are handled WITHOUT the FCS: the radio
/// adds and checks it (use <see cref="Fcs"/> for captures). Stateless and allocation-free.
/// </summary>
public static class MacFrameCodec
{
    /// <summary>aMaxPHYPacketSize: the largest PSDU, FCS included.</summary>
    public const int MaxPhyPacketSize = 127;

    /// <summary>Largest MPDU without its 2-byte FCS.</summary>
    public const int MaxFrameLengthWithoutFcs = MaxPhyPacketSize - Fcs.Length;

    private const int FcfFrameTypeMask = 0x0007;
    private const int FcfSecurity = 1 << 3;
    private const int FcfFramePending = 1 << 4;
    private const int FcfAckRequest = 1 << 5;
    private const int FcfPanIdCompression = 1 << 6;
    private const int FcfSequenceSuppression = 1 << 8;
    private const int FcfIePresent = 1 << 9;
    private const int FcfDstModeShift = 10;
    private const int FcfVersionShift = 12;
    private const int FcfSrcModeShift = 14;

    /// <summary>Bytes the header will take when written.</summary>
    public static int GetHeaderLength(in MacHeader header)
    {
        int length = 3 + header.Destination.Length + header.Source.Length;
        if (header.Destination.Mode != AddressingMode.None)
        {
            length += 2;
        }

        if (header.Source.Mode != AddressingMode.None && !CompressesPan(header))
        {
            length += 2;
        }

        return length;
    }

    /// <summary>
    /// Decodes a frame given without FCS. On failure <paramref name="error"/> says why and
    /// <paramref name="frame"/> is default.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> mpdu, out MacFrame frame, out MacFrameError error)
    {
        frame = default;
        if (!TryReadHeader(mpdu, out MacHeader header, out int headerLength, out error))
        {
            return false;
        }

        frame = new MacFrame(header, headerLength, mpdu[headerLength..]);
        return true;
    }

    /// <summary>Decodes a frame, throwing <see cref="MacFrameFormatException"/> when malformed.</summary>
    public static MacFrame Read(ReadOnlySpan<byte> mpdu) =>
        TryRead(mpdu, out MacFrame frame, out MacFrameError error) ? frame : throw new MacFrameFormatException(error);

    /// <summary>Decodes only the MAC header.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> mpdu, out MacHeader header, out int headerLength, out MacFrameError error)
    {
        header = default;
        headerLength = 0;
        if (mpdu.Length > MaxPhyPacketSize)
        {
            // Tolerate a trailing FCS (127 bytes) but nothing longer than a PHY packet.
            error = MacFrameError.TooLong;
            return false;
        }

        if (mpdu.Length < 2)
        {
            error = MacFrameError.Truncated;
            return false;
        }

        int fcf = BinaryPrimitives.ReadUInt16LittleEndian(mpdu);
        int frameType = fcf & FcfFrameTypeMask;
        if (frameType > 3)
        {
            error = MacFrameError.ReservedFrameType;
            return false;
        }

        if ((fcf & FcfSecurity) != 0)
        {
            error = MacFrameError.SecurityEnabled;
            return false;
        }

        var version = (MacFrameVersion)((fcf >> FcfVersionShift) & 3);
        if (version > MacFrameVersion.Ieee2015)
        {
            error = MacFrameError.UnsupportedVersion;
            return false;
        }

        bool is2015 = version == MacFrameVersion.Ieee2015;
        if (is2015 && (fcf & FcfIePresent) != 0)
        {
            error = MacFrameError.InformationElementsNotSupported;
            return false;
        }

        int dstModeBits = (fcf >> FcfDstModeShift) & 3;
        int srcModeBits = (fcf >> FcfSrcModeShift) & 3;
        if (dstModeBits == 1 || srcModeBits == 1)
        {
            error = MacFrameError.ReservedAddressingMode;
            return false;
        }

        var dstMode = (AddressingMode)dstModeBits;
        var srcMode = (AddressingMode)srcModeBits;
        bool panCompression = (fcf & FcfPanIdCompression) != 0;
        bool suppressed = is2015 && (fcf & FcfSequenceSuppression) != 0;
        bool dstPanPresent;
        bool srcPanPresent;
        if (is2015)
        {
            (dstPanPresent, srcPanPresent) = PanPresence2015(dstMode, srcMode, panCompression);
        }
        else
        {
            if (panCompression && (dstMode == AddressingMode.None || srcMode == AddressingMode.None))
            {
                error = MacFrameError.InvalidPanIdCompression;
                return false;
            }

            dstPanPresent = dstMode != AddressingMode.None;
            srcPanPresent = srcMode != AddressingMode.None && !panCompression;
        }

        int offset = suppressed ? 2 : 3;
        int needed = offset
            + (dstPanPresent ? 2 : 0) + MacAddress.LengthOf(dstMode)
            + (srcPanPresent ? 2 : 0) + MacAddress.LengthOf(srcMode);
        if (mpdu.Length < needed)
        {
            error = MacFrameError.Truncated;
            return false;
        }

        ushort dstPan = 0;
        if (dstPanPresent)
        {
            dstPan = BinaryPrimitives.ReadUInt16LittleEndian(mpdu[offset..]);
            offset += 2;
        }

        MacAddress destination = MacAddress.Read(dstMode, mpdu[offset..]);
        offset += destination.Length;
        ushort srcPan = dstPan;
        if (srcPanPresent)
        {
            srcPan = BinaryPrimitives.ReadUInt16LittleEndian(mpdu[offset..]);
            offset += 2;
        }

        if (!dstPanPresent)
        {
            dstPan = srcPan;
        }

        MacAddress source = MacAddress.Read(srcMode, mpdu[offset..]);
        offset += source.Length;

        header = new MacHeader
        {
            FrameType = (MacFrameType)frameType,
            FramePending = (fcf & FcfFramePending) != 0,
            AckRequest = (fcf & FcfAckRequest) != 0,
            PanIdCompression = panCompression,
            Version = version,
            SequenceNumber = suppressed ? (byte)0 : mpdu[2],
            SequenceNumberSuppressed = suppressed,
            DestinationPanId = dstPan,
            Destination = destination,
            SourcePanId = srcPan,
            Source = source,
        };
        headerLength = offset;
        error = MacFrameError.None;
        return true;
    }

    /// <summary>
    /// Writes a 2003/2006 MAC header. PAN id compression is applied when both addresses are present
    /// and the PAN ids are equal. Writes nothing and returns false when the destination is too small
    /// or the header asks for version 2015.
    /// </summary>
    public static bool TryWriteHeader(in MacHeader header, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        int length = GetHeaderLength(header);
        if (destination.Length < length || header.Version > MacFrameVersion.Ieee2006)
        {
            return false;
        }

        bool compress = CompressesPan(header);
        int fcf = (int)header.FrameType
            | (header.FramePending ? FcfFramePending : 0)
            | (header.AckRequest ? FcfAckRequest : 0)
            | (compress ? FcfPanIdCompression : 0)
            | ((int)header.Destination.Mode << FcfDstModeShift)
            | ((int)header.Version << FcfVersionShift)
            | ((int)header.Source.Mode << FcfSrcModeShift);
        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)fcf);
        destination[2] = header.SequenceNumber;
        int offset = 3;
        if (header.Destination.Mode != AddressingMode.None)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], header.DestinationPanId);
            offset += 2;
            header.Destination.TryWrite(destination[offset..]);
            offset += header.Destination.Length;
        }

        if (header.Source.Mode != AddressingMode.None)
        {
            if (!compress)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(destination[offset..], header.SourcePanId);
                offset += 2;
            }

            header.Source.TryWrite(destination[offset..]);
            offset += header.Source.Length;
        }

        bytesWritten = offset;
        return true;
    }

    /// <summary>
    /// Writes header and payload (no FCS). Fails with <see cref="MacFrameError.TooLong"/> when the
    /// frame would exceed 125 bytes (127 with the FCS the radio adds).
    /// </summary>
    public static bool TryWrite(in MacHeader header, ReadOnlySpan<byte> payload, Span<byte> destination, out int bytesWritten, out MacFrameError error)
    {
        bytesWritten = 0;
        int headerLength = GetHeaderLength(header);
        if (headerLength + payload.Length > MaxFrameLengthWithoutFcs)
        {
            error = MacFrameError.TooLong;
            return false;
        }

        if (destination.Length < headerLength + payload.Length)
        {
            error = MacFrameError.DestinationTooSmall;
            return false;
        }

        if (header.Version > MacFrameVersion.Ieee2006)
        {
            error = MacFrameError.UnsupportedVersion;
            return false;
        }

        TryWriteHeader(header, destination, out int written);
        payload.CopyTo(destination[written..]);
        bytesWritten = written + payload.Length;
        error = MacFrameError.None;
        return true;
    }

    /// <summary>Which PAN ids a 2015 frame carries (IEEE 802.15.4-2015 Table 7-2).</summary>
    private static (bool Destination, bool Source) PanPresence2015(AddressingMode dst, AddressingMode src, bool compression)
    {
        bool hasDst = dst != AddressingMode.None;
        bool hasSrc = src != AddressingMode.None;
        if (!hasDst && !hasSrc)
        {
            return (compression, false);
        }

        if (hasDst && !hasSrc)
        {
            return (!compression, false);
        }

        if (!hasDst)
        {
            return (false, !compression);
        }

        if (dst == AddressingMode.Extended && src == AddressingMode.Extended)
        {
            return (!compression, false);
        }

        return (true, !compression);
    }

    private static bool CompressesPan(in MacHeader header) =>
        header.Destination.Mode != AddressingMode.None
        && header.Source.Mode != AddressingMode.None
        && header.DestinationPanId == header.SourcePanId;
}
