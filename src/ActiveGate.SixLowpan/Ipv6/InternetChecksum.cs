using System.Buffers.Binary;

namespace ActiveGate.SixLowpan.Ipv6;

/// <summary>The ones'-complement Internet checksum with the IPv6 pseudo-header (RFC 8200 §8.1).</summary>
public static class InternetChecksum
{
    /// <summary>
    /// Checksum of an upper-layer packet (UDP or ICMPv6) with the pseudo-header
    /// <c>src(16) dst(16) upper-layer length(4) zero(3) next header(1)</c>. The checksum field inside
    /// <paramref name="upperLayerPacket"/> must be zero when computing, or left in place when verifying
    /// (then a correct packet yields 0).
    /// </summary>
    /// <param name="destination">The FINAL destination (the last routing-header address when one is present).</param>
    public static ushort Compute(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> upperLayerPacket)
    {
        ulong sum = Fold32(source.High) + Fold32(source.Low) + Fold32(destination.High) + Fold32(destination.Low);
        sum += (uint)upperLayerPacket.Length;
        sum += nextHeader;
        sum += Sum(upperLayerPacket);
        return (ushort)~Fold16(sum);
    }

    /// <summary>
    /// The checksum to put on the wire: like <see cref="Compute"/> but a UDP result of 0 is sent as
    /// 0xFFFF (RFC 8200: zero means "no checksum" and is not allowed over IPv6).
    /// </summary>
    public static ushort ComputeForUdp(Ipv6Address source, Ipv6Address destination, ReadOnlySpan<byte> udpPacket)
    {
        ushort checksum = Compute(source, destination, IpProtocol.Udp, udpPacket);
        return checksum == 0 ? (ushort)0xFFFF : checksum;
    }

    /// <summary>True when a packet with its checksum field in place verifies.</summary>
    public static bool Verify(Ipv6Address source, Ipv6Address destination, byte nextHeader, ReadOnlySpan<byte> upperLayerPacket) =>
        Compute(source, destination, nextHeader, upperLayerPacket) == 0;

    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        int i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        for (; i + 2 <= data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (ulong)data[i] << 8;
        }

        return sum;
    }

    private static ulong Fold32(ulong value) => (value >> 32) + (value & 0xFFFF_FFFF);

    private static ushort Fold16(ulong sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }
}
