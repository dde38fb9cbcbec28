using System.Buffers.Binary;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Iphc;

/// <summary>Result of <see cref="IphcDecompressor.TryDecompress"/>.</summary>
/// <param name="BytesConsumed">Compressed bytes read (IPHC, inline fields, NHC headers).</param>
/// <param name="BytesWritten">Uncompressed header bytes written (40 + extension headers + 8 for UDP).</param>
/// <param name="UdpOffset">Offset of the UDP header in the output, or -1 when UDP was not NHC-compressed.</param>
/// <param name="UdpChecksumElided">NHC-UDP had C=1: the checksum field is 0 and must be computed once the whole datagram is present.</param>
/// <param name="Error">Why decompression failed.</param>
public readonly record struct IphcDecompressResult(int BytesConsumed, int BytesWritten, int UdpOffset, bool UdpChecksumElided, LowpanError Error);

/// <summary>
/// LOWPAN_IPHC decompression (RFC 6282) with NHC-UDP and NHC extension headers. Stateless,
/// allocation-free, and never throws on malformed input.
/// </summary>
public static class IphcDecompressor
{
    /// <summary>
    /// Decompresses the headers starting at the IPHC dispatch in <paramref name="compressed"/> into
    /// <paramref name="destination"/>. The caller copies <c>compressed[result.BytesConsumed..]</c>
    /// after <c>result.BytesWritten</c>.
    /// </summary>
    /// <param name="datagramSize">
    /// The full IPv6 datagram size from a FRAG1 header, or 0 for an unfragmented frame (the size is then
    /// the decompressed headers plus the rest of <paramref name="compressed"/>). Used to fill the IPv6
    /// Payload Length and UDP Length, which IPHC always elides.
    /// </param>
    public static bool TryDecompress(ReadOnlySpan<byte> compressed, LinkAddresses link, ContextTable? contexts, int datagramSize, Span<byte> destination, out IphcDecompressResult result)
    {
        LowpanError error = Decompress(compressed, link, contexts, datagramSize, destination, out result);
        if (error != LowpanError.None)
        {
            result = new IphcDecompressResult(0, 0, -1, false, error);
            return false;
        }

        return true;
    }

    private static LowpanError Decompress(ReadOnlySpan<byte> input, LinkAddresses link, ContextTable? contexts, int datagramSize, Span<byte> output, out IphcDecompressResult result)
    {
        result = default;
        if (input.Length < 2)
        {
            return LowpanError.Truncated;
        }

        byte b0 = input[0];
        byte b1 = input[1];
        if ((b0 & Iphc.DispatchMask) != Iphc.Dispatch)
        {
            return LowpanError.UnsupportedDispatch;
        }

        if (output.Length < Ipv6Header.Length)
        {
            return LowpanError.DestinationTooSmall;
        }

        int tf = (b0 >> 3) & 3;
        bool nhCompressed = (b0 & 0x04) != 0;
        int hlim = b0 & 3;
        bool cid = (b1 & 0x80) != 0;
        bool sac = (b1 & 0x40) != 0;
        int sam = (b1 >> 4) & 3;
        bool multicast = (b1 & 0x08) != 0;
        bool dac = (b1 & 0x04) != 0;
        int dam = b1 & 3;

        int pos = 2;
        int sci = 0;
        int dci = 0;
        if (cid)
        {
            if (pos >= input.Length)
            {
                return LowpanError.Truncated;
            }

            sci = input[pos] >> 4;
            dci = input[pos] & 0x0F;
            pos++;
        }

        int tfLength = tf switch
        {
            0 => 4,
            1 => 3,
            2 => 1,
            _ => 0,
        };
        if (pos + tfLength > input.Length)
        {
            return LowpanError.Truncated;
        }

        byte trafficClass = 0;
        uint flowLabel = 0;
        switch (tf)
        {
            case 0:
                trafficClass = (byte)(((input[pos] & 0x3F) << 2) | (input[pos] >> 6));
                flowLabel = ((uint)(input[pos + 1] & 0x0F) << 16) | ((uint)input[pos + 2] << 8) | input[pos + 3];
                break;
            case 1:
                trafficClass = (byte)(input[pos] >> 6);
                flowLabel = ((uint)(input[pos] & 0x0F) << 16) | ((uint)input[pos + 1] << 8) | input[pos + 2];
                break;
            case 2:
                trafficClass = (byte)(((input[pos] & 0x3F) << 2) | (input[pos] >> 6));
                break;
            default:
                break;
        }

        pos += tfLength;
        byte nextHeader = 0;
        if (!nhCompressed)
        {
            if (pos >= input.Length)
            {
                return LowpanError.Truncated;
            }

            nextHeader = input[pos++];
        }

        byte hopLimit;
        switch (hlim)
        {
            case 1: hopLimit = 1; break;
            case 2: hopLimit = 64; break;
            case 3: hopLimit = 255; break;
            default:
                if (pos >= input.Length)
                {
                    return LowpanError.Truncated;
                }

                hopLimit = input[pos++];
                break;
        }

        LowpanError error = ReadSource(input, ref pos, sac, sam, sci, link.Source, contexts, out Ipv6Address source);
        if (error != LowpanError.None)
        {
            return error;
        }

        error = multicast
            ? ReadMulticast(input, ref pos, dac, dam, dci, contexts, out Ipv6Address destinationAddress)
            : ReadUnicast(input, ref pos, dac, dam, dci, link.Destination, contexts, out destinationAddress);
        if (error != LowpanError.None)
        {
            return error;
        }

        new Ipv6Header
        {
            TrafficClass = trafficClass,
            FlowLabel = flowLabel,
            NextHeader = nextHeader,
            HopLimit = hopLimit,
            Source = source,
            Destination = destinationAddress,
        }.TryWrite(output);

        int offset = Ipv6Header.Length;
        int udpOffset = -1;
        bool checksumElided = false;
        if (nhCompressed)
        {
            error = ReadNhcChain(input, ref pos, output, ref offset, out udpOffset, out checksumElided);
            if (error != LowpanError.None)
            {
                return error;
            }
        }

        int total = datagramSize == 0 ? offset + (input.Length - pos) : datagramSize;
        if (total < offset)
        {
            return LowpanError.InvalidFragment;
        }

        if (total - Ipv6Header.Length > ushort.MaxValue)
        {
            return LowpanError.TooLarge;
        }

        BinaryPrimitives.WriteUInt16BigEndian(output[4..], (ushort)(total - Ipv6Header.Length));
        if (udpOffset >= 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(output[(udpOffset + 4)..], (ushort)(total - udpOffset));
        }

        result = new IphcDecompressResult(pos, offset, udpOffset, checksumElided, LowpanError.None);
        return LowpanError.None;
    }

    private static LowpanError ReadSource(ReadOnlySpan<byte> input, ref int pos, bool sac, int sam, int sci, MacAddress mac, ContextTable? contexts, out Ipv6Address address)
    {
        if (sac && sam == 0)
        {
            address = Ipv6Address.Unspecified;
            return LowpanError.None;
        }

        return ReadUnicast(input, ref pos, sac, sam, sci, mac, contexts, out address);
    }

    private static LowpanError ReadUnicast(ReadOnlySpan<byte> input, ref int pos, bool stateful, int mode, int contextId, MacAddress mac, ContextTable? contexts, out Ipv6Address address)
    {
        address = default;
        Ipv6Prefix prefix = default;
        if (stateful)
        {
            if (mode == 0)
            {
                return LowpanError.ReservedEncoding;
            }

            if (contexts is null || !contexts.TryGet(contextId, out prefix))
            {
                return LowpanError.UnknownContext;
            }
        }

        ulong high = stateful ? 0 : Ipv6Address.LinkLocalHigh;
        ulong low;
        switch (mode)
        {
            case 0:
                if (pos + 16 > input.Length)
                {
                    return LowpanError.Truncated;
                }

                address = Ipv6Address.Read(input[pos..]);
                pos += 16;
                return LowpanError.None;
            case 1:
                if (pos + 8 > input.Length)
                {
                    return LowpanError.Truncated;
                }

                low = BinaryPrimitives.ReadUInt64BigEndian(input[pos..]);
                pos += 8;
                break;
            case 2:
                if (pos + 2 > input.Length)
                {
                    return LowpanError.Truncated;
                }

                low = 0x0000_00FF_FE00_0000UL | BinaryPrimitives.ReadUInt16BigEndian(input[pos..]);
                pos += 2;
                break;
            default:
                if (mac.Mode == AddressingMode.None)
                {
                    return LowpanError.MissingLinkAddress;
                }

                low = InterfaceIdentifier.FromMac(mac);
                break;
        }

        address = new Ipv6Address(high, low);
        if (stateful)
        {
            // Bits covered by the context always come from it; the rest from the inline/derived IID (RFC 6282 §3.1.1).
            address = prefix.Overlay(address);
        }

        return LowpanError.None;
    }

    private static LowpanError ReadMulticast(ReadOnlySpan<byte> input, ref int pos, bool dac, int dam, int contextId, ContextTable? contexts, out Ipv6Address address)
    {
        address = default;
        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        bytes[0] = 0xFF;
        if (dac)
        {
            if (dam != 0)
            {
                return LowpanError.ReservedEncoding;
            }

            // ffXX:XXLL:PPPP:PPPP:PPPP:PPPP:XXXX:XXXX, 48 bits inline, prefix and length from the context (RFC 3306).
            if (pos + 6 > input.Length)
            {
                return LowpanError.Truncated;
            }

            if (contexts is null || !contexts.TryGet(contextId, out Ipv6Prefix prefix))
            {
                return LowpanError.UnknownContext;
            }

            bytes[1] = input[pos];
            bytes[2] = input[pos + 1];
            bytes[3] = (byte)Math.Min(prefix.Length, 64);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[4..], prefix.Address.High);
            input.Slice(pos + 2, 4).CopyTo(bytes[12..]);
            pos += 6;
            address = Ipv6Address.Read(bytes);
            return LowpanError.None;
        }

        int length = dam switch
        {
            0 => 16,
            1 => 6,
            2 => 4,
            _ => 1,
        };
        if (pos + length > input.Length)
        {
            return LowpanError.Truncated;
        }

        ReadOnlySpan<byte> inline = input.Slice(pos, length);
        switch (dam)
        {
            case 0: inline.CopyTo(bytes); break;
            case 1: bytes[1] = inline[0]; inline[1..].CopyTo(bytes[11..]); break;
            case 2: bytes[1] = inline[0]; inline[1..].CopyTo(bytes[13..]); break;
            default: bytes[1] = 0x02; bytes[15] = inline[0]; break;
        }

        pos += length;
        address = Ipv6Address.Read(bytes);
        return LowpanError.None;
    }

    private static LowpanError ReadNhcChain(ReadOnlySpan<byte> input, ref int pos, Span<byte> output, ref int offset, out int udpOffset, out bool checksumElided)
    {
        udpOffset = -1;
        checksumElided = false;
        int nextHeaderSlot = 6;
        while (true)
        {
            if (pos >= input.Length)
            {
                return LowpanError.Truncated;
            }

            byte nhc = input[pos++];
            if ((nhc & Iphc.NhcUdpMask) == Iphc.NhcUdp)
            {
                output[nextHeaderSlot] = IpProtocol.Udp;
                return ReadNhcUdp(nhc, input, ref pos, output, ref offset, out udpOffset, out checksumElided);
            }

            if ((nhc & Iphc.NhcExtensionMask) != Iphc.NhcExtension)
            {
                return LowpanError.UnsupportedNextHeaderCompression;
            }

            int protocol = Iphc.ExtensionProtocol((nhc >> 1) & 7);
            if (protocol < 0)
            {
                return LowpanError.UnsupportedNextHeaderCompression;
            }

            output[nextHeaderSlot] = (byte)protocol;
            bool followingCompressed = (nhc & 1) != 0;
            byte following = 0;
            if (!followingCompressed)
            {
                if (pos >= input.Length)
                {
                    return LowpanError.Truncated;
                }

                following = input[pos++];
            }

            if (pos >= input.Length)
            {
                return LowpanError.Truncated;
            }

            int length = input[pos++];
            if (pos + length > input.Length)
            {
                return LowpanError.Truncated;
            }

            // The uncompressed header is 8-octet aligned; elided trailing padding is restored with Pad1/PadN.
            int total = (2 + length + 7) & ~7;
            int padding = total - 2 - length;
            if (padding > 0 && protocol is not (IpProtocol.HopByHop or IpProtocol.DestinationOptions))
            {
                return LowpanError.InvalidExtensionHeader;
            }

            if (offset + total > output.Length)
            {
                return LowpanError.DestinationTooSmall;
            }

            output[offset] = following;
            output[offset + 1] = (byte)((total / 8) - 1);
            input.Slice(pos, length).CopyTo(output[(offset + 2)..]);
            Span<byte> pad = output.Slice(offset + 2 + length, padding);
            pad.Clear();
            if (padding >= 2)
            {
                pad[0] = 1;
                pad[1] = (byte)(padding - 2);
            }

            pos += length;
            nextHeaderSlot = offset;
            offset += total;
            if (!followingCompressed)
            {
                return LowpanError.None;
            }
        }
    }

    private static LowpanError ReadNhcUdp(byte nhc, ReadOnlySpan<byte> input, ref int pos, Span<byte> output, ref int offset, out int udpOffset, out bool checksumElided)
    {
        udpOffset = -1;
        checksumElided = (nhc & Iphc.NhcUdpChecksumElided) != 0;
        int portMode = nhc & 3;
        int portBytes = portMode switch
        {
            0 => 4,
            1 or 2 => 3,
            _ => 1,
        };
        int needed = portBytes + (checksumElided ? 0 : 2);
        if (pos + needed > input.Length)
        {
            return LowpanError.Truncated;
        }

        if (offset + 8 > output.Length)
        {
            return LowpanError.DestinationTooSmall;
        }

        ushort sourcePort;
        ushort destinationPort;
        switch (portMode)
        {
            case 0:
                sourcePort = BinaryPrimitives.ReadUInt16BigEndian(input[pos..]);
                destinationPort = BinaryPrimitives.ReadUInt16BigEndian(input[(pos + 2)..]);
                break;
            case 1:
                sourcePort = BinaryPrimitives.ReadUInt16BigEndian(input[pos..]);
                destinationPort = (ushort)(Iphc.UdpPort8BitBase | input[pos + 2]);
                break;
            case 2:
                sourcePort = (ushort)(Iphc.UdpPort8BitBase | input[pos]);
                destinationPort = BinaryPrimitives.ReadUInt16BigEndian(input[(pos + 1)..]);
                break;
            default:
                sourcePort = (ushort)(Iphc.UdpPort4BitBase | (input[pos] >> 4));
                destinationPort = (ushort)(Iphc.UdpPort4BitBase | (input[pos] & 0x0F));
                break;
        }

        pos += portBytes;
        Span<byte> udp = output.Slice(offset, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], destinationPort);
        udp[4] = 0;
        udp[5] = 0;
        if (checksumElided)
        {
            udp[6] = 0;
            udp[7] = 0;
        }
        else
        {
            udp[6] = input[pos];
            udp[7] = input[pos + 1];
            pos += 2;
        }

        udpOffset = offset;
        offset += 8;
        return LowpanError.None;
    }
}
