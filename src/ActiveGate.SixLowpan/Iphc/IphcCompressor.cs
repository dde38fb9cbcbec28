using System.Buffers.Binary;
using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Iphc;

/// <summary>Result of <see cref="IphcCompressor.TryCompress"/>.</summary>
/// <param name="DatagramBytesConsumed">Bytes of the IPv6 datagram the compressed headers replace (40 + compressed extension headers + 8 for UDP).</param>
/// <param name="BytesWritten">Bytes of compressed header written (IPHC and NHC), to be followed by the rest of the datagram.</param>
/// <param name="Error">Why compression failed.</param>
public readonly record struct IphcCompressResult(int DatagramBytesConsumed, int BytesWritten, LowpanError Error);

/// <summary>
/// LOWPAN_IPHC compression (RFC 6282 §3) with NHC for UDP (§4.3) and for Hop-by-Hop, Routing,
/// Destination Options and Mobility headers (§4.2). Stateless and allocation-free.
/// </summary>
/// <remarks>
/// Choices (what Contiki-NG and RIOT do): the UDP checksum is always carried inline; ports use the
/// shortest form; addresses use the shortest stateless (fe80::/64) or context-based form, with a
/// CID byte only when a context other than 0 is used; trailing padding of extension headers is
/// carried, not elided.
/// </remarks>
public static class IphcCompressor
{
    /// <summary>
    /// Compresses the headers of <paramref name="datagram"/> (a complete IPv6 packet) into
    /// <paramref name="destination"/>. The caller appends <c>datagram[result.DatagramBytesConsumed..]</c>.
    /// On failure nothing is left in <paramref name="destination"/>.
    /// </summary>
    public static bool TryCompress(ReadOnlySpan<byte> datagram, LinkAddresses link, ContextTable? contexts, Span<byte> destination, out IphcCompressResult result)
    {
        if (!Ipv6Header.TryRead(datagram, out Ipv6Header ip) || ip.PayloadLength != datagram.Length - Ipv6Header.Length)
        {
            result = new IphcCompressResult(0, 0, LowpanError.InvalidIpv6Header);
            return false;
        }

        var w = new Writer(destination);
        w.Skip(2);

        // Addresses first (they decide CID), written later in order; compute modes now.
        AddressEncoding src = EncodeSource(ip.Source, link.Source, contexts);
        AddressEncoding dst = ip.Destination.IsMulticast
            ? EncodeMulticast(ip.Destination, contexts)
            : EncodeUnicast(ip.Destination, link.Destination, contexts);

        bool cid = src.ContextId > 0 || dst.ContextId > 0;
        if (cid)
        {
            w.Byte((byte)((Math.Max(src.ContextId, 0) << 4) | Math.Max(dst.ContextId, 0)));
        }

        int tf = WriteTrafficClass(ip.TrafficClass, ip.FlowLabel, ref w);

        bool nhCompressed = IsNhcCompressible(datagram, ip.NextHeader, Ipv6Header.Length);
        if (!nhCompressed)
        {
            w.Byte(ip.NextHeader);
        }

        int hlim = ip.HopLimit switch
        {
            1 => 1,
            64 => 2,
            255 => 3,
            _ => 0,
        };
        if (hlim == 0)
        {
            w.Byte(ip.HopLimit);
        }

        WriteAddress(ip.Source, src, ref w);
        WriteAddress(ip.Destination, dst, ref w);

        int consumed = Ipv6Header.Length;
        if (nhCompressed)
        {
            consumed = WriteNhcChain(datagram, ip.NextHeader, ref w);
        }

        if (!w.Ok)
        {
            destination[..Math.Min(destination.Length, w.Position)].Clear();
            result = new IphcCompressResult(0, 0, LowpanError.DestinationTooSmall);
            return false;
        }

        destination[0] = (byte)(Iphc.Dispatch | (tf << 3) | (nhCompressed ? 0x04 : 0) | hlim);
        destination[1] = (byte)((cid ? 0x80 : 0) | (src.Stateful ? 0x40 : 0) | (src.Mode << 4)
            | (dst.Multicast ? 0x08 : 0) | (dst.Stateful ? 0x04 : 0) | dst.Mode);
        result = new IphcCompressResult(consumed, w.Position, LowpanError.None);
        return true;
    }

    private static int WriteTrafficClass(byte trafficClass, uint flowLabel, ref Writer w)
    {
        int ecn = trafficClass & 0x03;
        int dscp = trafficClass >> 2;
        if (flowLabel == 0)
        {
            if (trafficClass == 0)
            {
                return 3;
            }

            w.Byte((byte)((ecn << 6) | dscp));
            return 2;
        }

        if (dscp == 0)
        {
            w.Byte((byte)((ecn << 6) | (int)((flowLabel >> 16) & 0x0F)));
            w.Byte((byte)(flowLabel >> 8));
            w.Byte((byte)flowLabel);
            return 1;
        }

        w.Byte((byte)((ecn << 6) | dscp));
        w.Byte((byte)((flowLabel >> 16) & 0x0F));
        w.Byte((byte)(flowLabel >> 8));
        w.Byte((byte)flowLabel);
        return 0;
    }

    private static AddressEncoding EncodeSource(Ipv6Address address, MacAddress mac, ContextTable? contexts)
    {
        if (address.IsUnspecified)
        {
            // SAC=1 SAM=00 is the unspecified address; no context needed.
            return new AddressEncoding(0, Stateful: true, ContextId: -1, Multicast: false);
        }

        return EncodeUnicast(address, mac, contexts);
    }

    private static AddressEncoding EncodeUnicast(Ipv6Address address, MacAddress mac, ContextTable? contexts)
    {
        if (address.IsLinkLocal)
        {
            return new AddressEncoding(StatelessMode(address.Low, mac), Stateful: false, ContextId: -1, Multicast: false);
        }

        if (contexts is not null && contexts.TryFindForCompression(address, out int id, out Ipv6Prefix prefix))
        {
            if (mac.Mode != AddressingMode.None && prefix.Overlay(new Ipv6Address(0, InterfaceIdentifier.FromMac(mac))) == address)
            {
                return new AddressEncoding(3, true, id, false);
            }

            if (prefix.Overlay(new Ipv6Address(0, 0x0000_00FF_FE00_0000 | (address.Low & 0xFFFF))) == address)
            {
                return new AddressEncoding(2, true, id, false);
            }

            if (prefix.Overlay(new Ipv6Address(0, address.Low)) == address)
            {
                return new AddressEncoding(1, true, id, false);
            }
        }

        return new AddressEncoding(0, false, -1, false);
    }

    private static int StatelessMode(ulong iid, MacAddress mac)
    {
        if (mac.Mode != AddressingMode.None && iid == InterfaceIdentifier.FromMac(mac))
        {
            return 3;
        }

        return InterfaceIdentifier.IsShortForm(iid) ? 2 : 1;
    }

    private static AddressEncoding EncodeMulticast(Ipv6Address address, ContextTable? contexts)
    {
        ulong high = address.High;
        ulong low = address.Low;

        // ff02::00XX -> 8 bits
        if (high == 0xFF02_0000_0000_0000 && low <= 0xFF)
        {
            return new AddressEncoding(3, false, -1, true);
        }

        // ffXX::00XX:XXXX -> 32 bits (bytes 2..12 zero)
        if ((high & 0x0000_FFFF_FFFF_FFFF) == 0 && (low & 0xFFFF_FFFF_FF00_0000) == 0)
        {
            return new AddressEncoding(2, false, -1, true);
        }

        // ffXX::00XX:XXXX:XXXX -> 48 bits (bytes 2..10 zero)
        if ((high & 0x0000_FFFF_FFFF_FFFF) == 0 && (low & 0xFFFF_FF00_0000_0000) == 0)
        {
            return new AddressEncoding(1, false, -1, true);
        }

        // RFC 3306 unicast-prefix-based ffXX:XX40:PPPP:PPPP:PPPP:PPPP:XXXX:XXXX with the prefix in a /64 context.
        if (contexts is not null && ((high >> 32) & 0xFF) == 64)
        {
            var embedded = new Ipv6Address(((high & 0xFFFF_FFFF) << 32) | (low >> 32), 0);
            if (contexts.TryFindForCompression(embedded, out int id, out Ipv6Prefix prefix) && prefix.Length == 64)
            {
                return new AddressEncoding(0, true, id, true);
            }
        }

        return new AddressEncoding(0, false, -1, true);
    }

    private static void WriteAddress(Ipv6Address address, AddressEncoding encoding, ref Writer w)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.Write(bytes);
        if (encoding.Multicast)
        {
            switch (encoding.Stateful, encoding.Mode)
            {
                case (false, 0): w.Bytes(bytes); break;
                case (false, 1): w.Byte(bytes[1]); w.Bytes(bytes[11..]); break;
                case (false, 2): w.Byte(bytes[1]); w.Bytes(bytes[13..]); break;
                case (false, 3): w.Byte(bytes[15]); break;
                default: w.Bytes(bytes[1..3]); w.Bytes(bytes[12..]); break;
            }

            return;
        }

        switch (encoding.Mode)
        {
            case 0 when !encoding.Stateful: w.Bytes(bytes); break;
            case 1: w.Bytes(bytes[8..]); break;
            case 2: w.Bytes(bytes[14..]); break;
            default: break;
        }
    }

    private static bool IsNhcCompressible(ReadOnlySpan<byte> datagram, byte nextHeader, int offset)
    {
        if (nextHeader == IpProtocol.Udp)
        {
            return datagram.Length - offset >= 8;
        }

        if (Iphc.ExtensionId(nextHeader) < 0 || datagram.Length - offset < 8)
        {
            return false;
        }

        int length = (datagram[offset + 1] + 1) * 8;
        return length - 2 <= 255 && offset + length <= datagram.Length;
    }

    private static int WriteNhcChain(ReadOnlySpan<byte> datagram, byte nextHeader, ref Writer w)
    {
        int offset = Ipv6Header.Length;
        while (true)
        {
            if (nextHeader == IpProtocol.Udp)
            {
                WriteNhcUdp(datagram.Slice(offset, 8), ref w);
                return offset + 8;
            }

            // NHC-EH: 1110 EID NH, [next header], length in octets after the length byte, body.
            int eid = Iphc.ExtensionId(nextHeader);
            byte following = datagram[offset];
            int length = (datagram[offset + 1] + 1) * 8;
            bool followingCompressed = IsNhcCompressible(datagram, following, offset + length);
            w.Byte((byte)(Iphc.NhcExtension | (eid << 1) | (followingCompressed ? 1 : 0)));
            if (!followingCompressed)
            {
                w.Byte(following);
            }

            w.Byte((byte)(length - 2));
            w.Bytes(datagram.Slice(offset + 2, length - 2));
            offset += length;
            if (!followingCompressed)
            {
                return offset;
            }

            nextHeader = following;
        }
    }

    private static void WriteNhcUdp(ReadOnlySpan<byte> udp, ref Writer w)
    {
        ushort sourcePort = BinaryPrimitives.ReadUInt16BigEndian(udp);
        ushort destinationPort = BinaryPrimitives.ReadUInt16BigEndian(udp[2..]);
        if ((sourcePort & 0xFFF0) == Iphc.UdpPort4BitBase && (destinationPort & 0xFFF0) == Iphc.UdpPort4BitBase)
        {
            w.Byte(Iphc.NhcUdp | 0x03);
            w.Byte((byte)(((sourcePort & 0x0F) << 4) | (destinationPort & 0x0F)));
        }
        else if ((destinationPort & 0xFF00) == Iphc.UdpPort8BitBase)
        {
            w.Byte(Iphc.NhcUdp | 0x01);
            w.Bytes(udp[..2]);
            w.Byte((byte)destinationPort);
        }
        else if ((sourcePort & 0xFF00) == Iphc.UdpPort8BitBase)
        {
            w.Byte(Iphc.NhcUdp | 0x02);
            w.Byte((byte)sourcePort);
            w.Bytes(udp.Slice(2, 2));
        }
        else
        {
            w.Byte(Iphc.NhcUdp);
            w.Bytes(udp[..4]);
        }

        // Checksum always inline: eliding it needs upper-layer authorisation (RFC 6282 §4.3.2).
        w.Bytes(udp.Slice(6, 2));
    }

    private readonly record struct AddressEncoding(int Mode, bool Stateful, int ContextId, bool Multicast);

    /// <summary>Bounds-checked forward writer; once out of space it stops writing and reports !Ok.</summary>
    private ref struct Writer
    {
        private readonly Span<byte> _destination;

        public Writer(Span<byte> destination)
        {
            _destination = destination;
            Position = 0;
            Ok = true;
        }

        public int Position { get; private set; }

        public bool Ok { get; private set; }

        public void Skip(int count)
        {
            if (Position + count > _destination.Length)
            {
                Ok = false;
            }

            Position += count;
        }

        public void Byte(byte value)
        {
            if (Ok && Position < _destination.Length)
            {
                _destination[Position] = value;
            }
            else
            {
                Ok = false;
            }

            Position++;
        }

        public void Bytes(scoped ReadOnlySpan<byte> values)
        {
            if (Ok && Position + values.Length <= _destination.Length)
            {
                values.CopyTo(_destination[Position..]);
            }
            else
            {
                Ok = false;
            }

            Position += values.Length;
        }
    }
}
