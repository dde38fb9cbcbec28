using System.Buffers.Binary;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan;

/// <summary>
/// Turns IPv6 datagrams into 802.15.4 frames (IPHC, then FRAG1/FRAGN when needed) and
/// unfragmented frames back into IPv6 datagrams. Stateless and allocation-free; fragment
/// reassembly lives in <see cref="Reassembler"/>.
/// </summary>
public static class LowpanCodec
{
    /// <summary>
    /// Upper bound of frames per datagram: 2047 bytes in fragments carrying at least 80 bytes each
    /// (125 - 23 MAC - 5 FRAGN, rounded down to 8) need 26; 32 leaves room.
    /// </summary>
    public const int MaxFramesPerDatagram = 32;

    /// <summary>
    /// Encodes <paramref name="datagram"/> into one frame, or into back-to-back fragments when it does
    /// not fit. Frames are written one after another into <paramref name="output"/> and described by
    /// <paramref name="frames"/>; frame i uses MAC sequence number <c>macTemplate.SequenceNumber + i</c>.
    /// </summary>
    /// <param name="datagram">A complete IPv6 datagram.</param>
    /// <param name="macTemplate">MAC header for every frame (addresses, PAN, ACK request, first DSN).</param>
    /// <param name="contexts">Contexts for stateful compression, or null for stateless only.</param>
    /// <param name="datagramTag">Tag used if the datagram must be fragmented.</param>
    /// <param name="output">Room for the frames; <c>frames × 125</c> bytes always suffices.</param>
    /// <param name="frames">Receives the range of each frame in <paramref name="output"/>.</param>
    /// <param name="frameCount">Frames written.</param>
    /// <param name="compressHeaders">False sends the datagram uncompressed after the 0x41 dispatch (RFC 4944 §5.1), for peers without IPHC.</param>
    public static LowpanError TryEncode(ReadOnlySpan<byte> datagram, in MacHeader macTemplate, ContextTable? contexts, ushort datagramTag, Span<byte> output, Span<Range> frames, out int frameCount, bool compressHeaders = true)
    {
        frameCount = 0;
        int macLength = MacFrameCodec.GetHeaderLength(macTemplate);
        int capacity = MacFrameCodec.MaxFrameLengthWithoutFcs - macLength;
        if (frames.Length == 0 || output.Length <= macLength)
        {
            return LowpanError.DestinationTooSmall;
        }

        var link = new LinkAddresses(macTemplate.Source, macTemplate.Destination);

        // Compress optimistically at the unfragmented position; shift by the FRAG1 header if needed.
        Span<byte> firstPayload = output[macLength..];
        IphcCompressResult compressed;
        if (!compressHeaders)
        {
            if (!Ipv6Header.TryRead(datagram, out Ipv6Header header) || header.PayloadLength != datagram.Length - Ipv6Header.Length)
            {
                return LowpanError.InvalidIpv6Header;
            }

            // The dispatch byte replaces nothing of the datagram: everything follows it as is.
            firstPayload[0] = Iphc.Iphc.Ipv6Dispatch;
            compressed = new IphcCompressResult(0, 1, LowpanError.None);
        }
        else if (!IphcCompressor.TryCompress(datagram, link, contexts, firstPayload, out compressed))
        {
            return compressed.Error == LowpanError.DestinationTooSmall && firstPayload.Length >= capacity
                ? LowpanError.TooLarge
                : compressed.Error;
        }

        int rest = datagram.Length - compressed.DatagramBytesConsumed;
        if (compressed.BytesWritten + rest <= capacity)
        {
            if (firstPayload.Length < compressed.BytesWritten + rest)
            {
                return LowpanError.DestinationTooSmall;
            }

            MacFrameCodec.TryWriteHeader(macTemplate, output, out _);
            datagram[compressed.DatagramBytesConsumed..].CopyTo(firstPayload[compressed.BytesWritten..]);
            frames[0] = new Range(0, macLength + compressed.BytesWritten + rest);
            frameCount = 1;
            return LowpanError.None;
        }

        if (datagram.Length > Iphc.Iphc.MaxDatagramSize)
        {
            return LowpanError.TooLarge;
        }

        // FRAG1: compressed headers plus enough payload that the uncompressed coverage is a multiple of 8.
        int room = capacity - FragmentHeader.FirstLength - compressed.BytesWritten;
        int covered = ((compressed.DatagramBytesConsumed + room) & ~7);
        int payloadInFirst = covered - compressed.DatagramBytesConsumed;
        if (payloadInFirst < 0)
        {
            return LowpanError.TooLarge;
        }

        int position = 0;
        MacHeader mac = macTemplate;
        int frameLength = macLength + FragmentHeader.FirstLength + compressed.BytesWritten + payloadInFirst;
        if (output.Length < frameLength)
        {
            return LowpanError.DestinationTooSmall;
        }

        firstPayload[..compressed.BytesWritten].CopyTo(firstPayload[FragmentHeader.FirstLength..]);
        MacFrameCodec.TryWriteHeader(mac, output, out _);
        new FragmentHeader(true, datagram.Length, datagramTag, 0).TryWrite(firstPayload);
        datagram.Slice(compressed.DatagramBytesConsumed, payloadInFirst)
            .CopyTo(firstPayload[(FragmentHeader.FirstLength + compressed.BytesWritten)..]);
        frames[frameCount++] = new Range(0, frameLength);
        position = frameLength;

        int offset = covered;
        int perFragment = (capacity - FragmentHeader.SubsequentLength) & ~7;
        while (offset < datagram.Length)
        {
            if (frameCount == frames.Length)
            {
                return LowpanError.DestinationTooSmall;
            }

            int chunk = Math.Min(perFragment, datagram.Length - offset);
            frameLength = macLength + FragmentHeader.SubsequentLength + chunk;
            if (output.Length - position < frameLength)
            {
                return LowpanError.DestinationTooSmall;
            }

            mac = mac with { SequenceNumber = (byte)(macTemplate.SequenceNumber + frameCount) };
            Span<byte> frame = output.Slice(position, frameLength);
            MacFrameCodec.TryWriteHeader(mac, frame, out _);
            new FragmentHeader(false, datagram.Length, datagramTag, offset).TryWrite(frame[macLength..]);
            datagram.Slice(offset, chunk).CopyTo(frame[(macLength + FragmentHeader.SubsequentLength)..]);
            frames[frameCount++] = new Range(position, position + frameLength);
            position += frameLength;
            offset += chunk;
        }

        return LowpanError.None;
    }

    /// <summary>
    /// Decodes an unfragmented 6LoWPAN payload (IPHC, 0x41, optionally after a BC0 header) into an
    /// IPv6 datagram. Fragments return <see cref="LowpanError.UnsupportedDispatch"/>: pass them to a
    /// <see cref="Reassembler"/>.
    /// </summary>
    public static LowpanError TryDecode(ReadOnlySpan<byte> lowpan, LinkAddresses link, ContextTable? contexts, Span<byte> destination, out int datagramLength)
    {
        datagramLength = 0;
        if (lowpan.Length == 0)
        {
            return LowpanError.Truncated;
        }

        if (LowpanDispatch.Classify(lowpan[0]) == LowpanDispatchKind.Broadcast)
        {
            if (lowpan.Length < 2)
            {
                return LowpanError.Truncated;
            }

            lowpan = lowpan[2..];
            if (lowpan.Length == 0)
            {
                return LowpanError.Truncated;
            }
        }

        switch (LowpanDispatch.Classify(lowpan[0]))
        {
            case LowpanDispatchKind.Ipv6:
                return DecodeUncompressed(lowpan[1..], destination, out datagramLength);
            case LowpanDispatchKind.Iphc:
                if (!IphcDecompressor.TryDecompress(lowpan, link, contexts, 0, destination, out IphcDecompressResult result))
                {
                    return result.Error;
                }

                int rest = lowpan.Length - result.BytesConsumed;
                if (destination.Length < result.BytesWritten + rest)
                {
                    return LowpanError.DestinationTooSmall;
                }

                lowpan[result.BytesConsumed..].CopyTo(destination[result.BytesWritten..]);
                datagramLength = result.BytesWritten + rest;
                if (result.UdpChecksumElided)
                {
                    FillElidedUdpChecksum(destination[..datagramLength], result.UdpOffset);
                }

                return LowpanError.None;
            default:
                return LowpanError.UnsupportedDispatch;
        }
    }

    /// <summary>Computes and stores the UDP checksum a sender elided (NHC-UDP C=1).</summary>
    internal static void FillElidedUdpChecksum(Span<byte> datagram, int udpOffset)
    {
        Ipv6Address source = Ipv6Address.Read(datagram[8..]);
        Ipv6Address destinationAddress = Ipv6Address.Read(datagram[24..]);
        Span<byte> udp = datagram[udpOffset..];
        udp[6] = 0;
        udp[7] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], InternetChecksum.ComputeForUdp(source, destinationAddress, udp));
    }

    private static LowpanError DecodeUncompressed(ReadOnlySpan<byte> packet, Span<byte> destination, out int datagramLength)
    {
        datagramLength = 0;
        if (!Ipv6Header.TryRead(packet, out Ipv6Header header))
        {
            return packet.Length < Ipv6Header.Length ? LowpanError.Truncated : LowpanError.InvalidIpv6Header;
        }

        int length = Ipv6Header.Length + header.PayloadLength;
        if (length > packet.Length)
        {
            return LowpanError.Truncated;
        }

        if (destination.Length < length)
        {
            return LowpanError.DestinationTooSmall;
        }

        packet[..length].CopyTo(destination);
        datagramLength = length;
        return LowpanError.None;
    }
}
