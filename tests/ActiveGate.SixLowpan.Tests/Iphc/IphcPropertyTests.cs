using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Iphc;

/// <summary>Random datagrams of every shape survive encode → (fragments →) decode unchanged.</summary>
public class IphcPropertyTests
{
    private static readonly MacAddress[] s_macs =
    [
        Golden.Root, Golden.Plug, MacAddress.FromShort(0x0001), MacAddress.FromShort(0xBEEF), MacAddress.FromExtended(0x0200000000000001),
    ];

    private static Ipv6Address RandomAddress(Random random, MacAddress mac, bool allowMulticast)
    {
        ulong iid = InterfaceIdentifier.FromMac(mac);
        return random.Next(allowMulticast ? 11 : 9) switch
        {
            0 => Ipv6Address.LinkLocal(mac),
            1 => Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, mac),
            2 => new Ipv6Address(Ipv6Address.LinkLocalHigh, 0x0000_00FF_FE00_0000UL | (uint)random.Next(65536)),
            3 => new Ipv6Address(0xFD00_0000_0000_0000, 0x0000_00FF_FE00_0000UL | (uint)random.Next(65536)),
            4 => new Ipv6Address(Ipv6Address.LinkLocalHigh, (ulong)random.NextInt64()),
            5 => new Ipv6Address(0xFD00_0000_0000_0000, (ulong)random.NextInt64()),
            6 => new Ipv6Address(0x2001_0DB8_0001_0000UL | (uint)random.Next(3), (ulong)random.NextInt64()),
            7 => new Ipv6Address((ulong)random.NextInt64() & 0x7FFF_FFFF_FFFF_FFFF, iid),
            8 => Ipv6Address.Unspecified,
            9 => new Ipv6Address(0xFF02_0000_0000_0000, (uint)random.Next(256)),
            _ => new Ipv6Address(0xFF00_0000_0000_0000 | ((uint)random.Next(256) << 48), (uint)random.Next(1 << 24)),
        };
    }

    [Fact]
    public void Random_datagrams_round_trip_through_frames()
    {
        var random = new Random(20261124);
        var contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
        contexts.Set(7, Ipv6Prefix.Parse("2001:db8:1::/48"));
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        Range[] ranges = new Range[LowpanCodec.MaxFramesPerDatagram];
        byte[] decoded = new byte[2048];
        using var reassembler = new Reassembler(new ReassemblyOptions { MaxDatagramSize = 2047 }, new FakeTimeProvider());
        for (int i = 0; i < 3000; i++)
        {
            MacAddress srcMac = s_macs[random.Next(s_macs.Length)];
            MacAddress dstMac = s_macs[random.Next(s_macs.Length)];
            Ipv6Address source = RandomAddress(random, srcMac, allowMulticast: false);
            Ipv6Address destination = RandomAddress(random, dstMac, allowMulticast: true);
            if (destination.IsUnspecified)
            {
                destination = Ipv6Address.LinkLocal(dstMac);
            }

            MacAddress linkDestination = destination.IsMulticast ? MacAddress.Broadcast : dstMac;
            byte[] payload = new byte[random.Next(4) == 0 ? random.Next(200, 1500) : random.Next(0, 60)];
            random.NextBytes(payload);
            RplHopByHopOption? rpl = random.Next(4) == 0 ? new RplHopByHopOption(true, false, false, (byte)random.Next(256), (ushort)random.Next(65536)) : null;
            Ipv6Address[] via = !destination.IsMulticast && random.Next(4) == 0 ? [Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, dstMac)] : [];
            byte[] buffer = new byte[4096];
            bool udp = random.Next(3) != 0;
            int n;
            byte hopLimit = (byte)(random.Next(2) == 0 ? 64 : random.Next(1, 256));
            if (udp)
            {
                Assert.True(Ipv6PacketBuilder.TryWriteUdp(source, destination, (ushort)random.Next(65536), (ushort)(random.Next(2) == 0 ? 0xF0B0 + random.Next(16) : random.Next(65536)), payload, buffer, out n, hopLimit, rpl, via));
            }
            else
            {
                Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(source, destination, 128, 0, payload, buffer, out n, hopLimit, rpl, via));
            }

            byte[] datagram = buffer[..n];
            // Random traffic class and flow label.
            uint first = (6u << 28) | ((uint)random.Next(256) << 20) | (uint)(random.Next(2) == 0 ? 0 : random.Next(1 << 20));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(datagram, first);

            MacHeader mac = MacHeader.Data(Lowpan.Pan, srcMac, linkDestination, (byte)i);
            LowpanError error = LowpanCodec.TryEncode(datagram, mac, contexts, (ushort)i, output, ranges, out int count);
            Assert.True(error == LowpanError.None, $"case {i}: encode {error} {source} -> {destination}");
            byte[]? result = null;
            for (int f = 0; f < count; f++)
            {
                MacFrame frame = MacFrameCodec.Read(output.AsSpan(ranges[f]));
                var link = new LinkAddresses(frame.Header.Source, frame.Header.Destination);
                if (count == 1)
                {
                    Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(frame.Payload, link, contexts, decoded, out int length));
                    result = decoded[..length];
                }
                else
                {
                    reassembler.Add(frame.Payload, link, contexts, out result, out LowpanError fragmentError);
                    Assert.Equal(LowpanError.None, fragmentError);
                }
            }

            Assert.True(datagram.AsSpan().SequenceEqual(result), $"case {i}: {source} -> {destination}, {datagram.Length} bytes, {count} frames");
        }
    }
}
