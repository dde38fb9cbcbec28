using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.SixLowpan.Tests.Ipv6;

public class Ipv6CodecTests
{
    [Theory]
    [InlineData("00:12:4b:00:06:0d:b2:a1", "fe80::212:4b00:60d:b2a1")]
    [InlineData("02:00:00:00:00:00:00:01", "fe80::1")]
    [InlineData("12:34", "fe80::ff:fe00:1234")]
    public void Link_local_from_mac_and_back(string mac, string expected)
    {
        MacAddress address = MacAddress.Parse(mac);
        Ipv6Address ip = Ipv6Address.LinkLocal(address);
        Assert.Equal(expected, ip.ToString());
        Assert.Equal(address, InterfaceIdentifier.ToMac(ip.Low));
    }

    [Fact]
    public void Prefix_parse_contains_and_overlay()
    {
        Ipv6Prefix prefix = Ipv6Prefix.Parse("2001:db8:1:ffff::/50");
        Assert.Equal("2001:db8:1:c000::/50", prefix.ToString());
        Assert.True(prefix.Contains(Ipv6Address.Parse("2001:db8:1:c123::1")));
        Assert.False(prefix.Contains(Ipv6Address.Parse("2001:db8:1:8000::1")));
        Assert.Equal("2001:db8:1:c000::5", prefix.Overlay(Ipv6Address.Parse("::5")).ToString());
        Assert.False(Ipv6Prefix.TryParse("fd00::", out _));
        Assert.False(Ipv6Prefix.TryParse("fd00::/129", out _));
        Assert.False(Ipv6Prefix.TryParse("10.0.0.0/8", out _));
    }

    [Fact]
    public void Address_classification()
    {
        Assert.True(Ipv6Address.Parse("ff02::1a").IsMulticast);
        Assert.True(Ipv6Address.Parse("fe80::1").IsLinkLocal);
        Assert.False(Ipv6Address.Parse("fe80:1::1").IsLinkLocal);
        Assert.True(Ipv6Address.Unspecified.IsUnspecified);
        Assert.False(Ipv6Address.TryParse("1.2.3.4", out _));
        Assert.Equal(Ipv6Address.AllRplNodes, Ipv6Address.FromIPAddress(System.Net.IPAddress.Parse("ff02::1a")));
    }

    [Fact]
    public void Header_round_trip_and_version_check()
    {
        var header = new Ipv6Header
        {
            TrafficClass = 0xB8, FlowLabel = 0xABCDE, PayloadLength = 12, NextHeader = 17, HopLimit = 3,
            Source = Ipv6Address.Parse("fd00::1"), Destination = Ipv6Address.Parse("fd00::2"),
        };
        byte[] bytes = new byte[40];
        Assert.True(header.TryWrite(bytes));
        Assert.True(Ipv6Header.TryRead(bytes, out Ipv6Header back));
        Assert.Equal(header, back);
        bytes[0] = 0x40;
        Assert.False(Ipv6Header.TryRead(bytes, out _));
        Assert.False(Ipv6Header.TryRead(bytes.AsSpan(0, 39), out _));
    }

    [Fact]
    public void Udp_checksum_matches_a_known_packet()
    {
        // Golden frame 1's UDP checksum is 0x8f31 over fe80::212:4b00:102:304 -> fe80::212:4b00:60d:b2a1.
        byte[] coap = Convert.FromHexString("42011234beefb773656e736f727305706f776572");
        byte[] buffer = new byte[128];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse("fe80::212:4b00:60d:b2a1"), 5683, 5683, coap, buffer, out int n));
        Assert.Equal(0x8f, buffer[46]);
        Assert.Equal(0x31, buffer[47]);
        Assert.True(Ipv6Packet.TryParse(buffer.AsSpan(0, n), out Ipv6PacketInfo info, out _));
        Assert.True(InternetChecksum.Verify(info.Header.Source, info.FinalDestination, 17, buffer.AsSpan(40, n - 40)));
    }

    [Fact]
    public void Icmpv6_echo_is_built_and_verified()
    {
        byte[] buffer = new byte[128];
        Ipv6Address a = Ipv6Address.Parse("fd00::1");
        Ipv6Address b = Ipv6Address.Parse("fd00::2");
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(a, b, Icmpv6Type.EchoRequest, 0, [0x12, 0x34, 0x00, 0x07, 9, 9], buffer, out int n));
        Assert.True(Icmpv6Message.TryRead(buffer.AsSpan(40, n - 40), a, b, out Icmpv6Message message, out _));
        Assert.Equal((0x1234, 7), (message.EchoIdentifier, message.EchoSequence));
        Assert.Equal(new byte[] { 9, 9 }, message.EchoData.ToArray());
        buffer[n - 1] ^= 1;
        Assert.False(Icmpv6Message.TryRead(buffer.AsSpan(40, n - 40), a, b, out _, out LowpanError error));
        Assert.Equal(LowpanError.BadChecksum, error);
    }

    [Fact]
    public void Source_route_header_round_trips_with_compression()
    {
        Ipv6Address first = Ipv6Address.Parse("fd00::212:4b00:0:1");
        Ipv6Address[] hops = [Ipv6Address.Parse("fd00::212:4b00:0:2"), Ipv6Address.Parse("fd00::212:4b00:0:3"), Ipv6Address.Parse("fd00::212:4b00:0:4")];
        byte[] header = new byte[128];
        Assert.True(RplSourceRoutingHeader.TryWrite(17, first, hops, header, out int n));
        Assert.Equal(0, n % 8);
        Assert.Equal(0xFF, header[4]); // CmprI = CmprE = 15 bytes shared with the first hop
        Assert.Equal(8 + 8, n); // 3 x 1 byte + 5 pad
        Ipv6Address[] read = new Ipv6Address[8];
        Assert.True(RplSourceRoutingHeader.TryRead(header.AsSpan(0, n), first, read, out int count, out int left));
        Assert.Equal(3, count);
        Assert.Equal(3, left);
        Assert.Equal(hops, read[..3]);
        Assert.False(RplSourceRoutingHeader.TryRead(header.AsSpan(0, 7), first, read, out _, out _));
        Assert.False(RplSourceRoutingHeader.TryRead(header.AsSpan(0, n), first, new Ipv6Address[2], out _, out _));
    }

    [Fact]
    public void Rpl_option_in_hop_by_hop_is_found_among_padding_and_rfc9008_type()
    {
        byte[] hbh = [17, 0, 0x00, 0x23, 4, 0x80, 0x1E, 0x01, 0x00, 0x00];
        Assert.True(RplHopByHopOption.TryFind(hbh, out RplHopByHopOption option));
        Assert.True(option.Down);
        Assert.Equal(0x1E, option.InstanceId);
        Assert.Equal(256, option.SenderRank);
        Assert.False(RplHopByHopOption.TryFind([17, 0, 1, 4, 0, 0, 0, 0], out _));
        Assert.False(RplHopByHopOption.TryFind([17, 0, 0x63, 9, 0, 0, 0, 0], out _));
    }

    [Fact]
    public void Packet_parser_rejects_bad_extension_chains()
    {
        byte[] buffer = new byte[128];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 1, 2, [1], buffer, out int n, rplOption: new RplHopByHopOption(false, false, false, 0, 1)));
        byte[] packet = buffer[..n];
        Assert.True(Ipv6Packet.TryParse(packet, out Ipv6PacketInfo info, out _));
        Assert.Equal(48, info.UpperLayerOffset);
        packet[41] = 5; // HBH claims 48 bytes
        Assert.False(Ipv6Packet.TryParse(packet, out _, out LowpanError error));
        Assert.Equal(LowpanError.Truncated, error);
        Assert.False(Ipv6Packet.TryParse(buffer.AsSpan(0, n + 1), out _, out error));
        Assert.Equal(LowpanError.InvalidIpv6Header, error);
    }

    [Theory]
    [InlineData("fd00::1", "fd00::1", 16)]
    [InlineData("fd00::212:4b00:a01:1", "fd00::212:4b00:a01:2", 15)]
    [InlineData("fd00::212:4b00:a01:1", "fd00::312:4b00:a01:1", 8)]
    [InlineData("fd00::1", "fd01::1", 1)]
    [InlineData("fd00::1", "2001:db8::1", 0)]
    public void Common_prefix_counts_the_leading_bytes_two_addresses_share(string a, string b, int bytes)
    {
        Assert.Equal(bytes, Ipv6Address.Parse(a).CommonPrefixBytes(Ipv6Address.Parse(b)));
        Assert.Equal(bytes, Ipv6Address.Parse(b).CommonPrefixBytes(Ipv6Address.Parse(a)));
    }
}
