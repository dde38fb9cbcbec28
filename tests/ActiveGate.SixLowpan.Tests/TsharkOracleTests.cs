using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;

namespace ActiveGate.SixLowpan.Tests;

/// <summary>Wireshark as the oracle: every kind of frame our encoder makes, decoded by tshark.</summary>
public class TsharkOracleTests
{
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private static readonly Ipv6Address s_rootLl = Ipv6Address.LinkLocal(Golden.Root);
    private static readonly Ipv6Address s_plugLl = Ipv6Address.LinkLocal(Golden.Plug);
    private static readonly Ipv6Address s_rootG = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, Golden.Root);
    private static readonly Ipv6Address s_plugG = Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, Golden.Plug);

    private static readonly string[] s_fields =
    [
        "wpan.fcs_ok", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport", "udp.checksum.status",
        "coap.code", "coap.opt.uri_path_recon", "6lowpan.iphc.sam", "6lowpan.iphc.dam", "6lowpan.iphc.m",
        "icmpv6.type", "icmpv6.checksum.status",
    ];

    [Fact]
    public void Unicast_coap_frames_in_every_address_form()
    {
        byte[] get = TestCoap.Get(0x1234, [0xbe, 0xef], "sensors", "power");
        MacAddress shortA = MacAddress.FromShort(0x0001);
        MacAddress shortB = MacAddress.FromShort(0x0002);
        var frames = new List<byte[]>
        {
            // link-local, IIDs from the MAC (SAM=DAM=3)
            Lowpan.Encode(Lowpan.Udp(s_rootLl, s_plugLl, 5683, 5683, get), Golden.Root, Golden.Plug, s_contexts)[0],
            // context 0 (SAC=DAC=1, SAM=DAM=3)
            Lowpan.Encode(Lowpan.Udp(s_rootG, s_plugG, 5683, 5683, get), Golden.Root, Golden.Plug, s_contexts)[0],
            // 64-bit IIDs inline (SAM=DAM=1)
            Lowpan.Encode(Lowpan.Udp(Ipv6Address.Parse("fd00::1"), Ipv6Address.Parse("fe80::2"), 5683, 5683, get), Golden.Root, Golden.Plug, s_contexts)[0],
            // 16-bit forms from short MAC addresses and inline
            Lowpan.Encode(Lowpan.Udp(Ipv6Address.LinkLocal(shortA), Ipv6Address.Parse("fd00::ff:fe00:9"), 5683, 5683, get), shortA, shortB, s_contexts)[0],
            // full 128-bit addresses
            Lowpan.Encode(Lowpan.Udp(Ipv6Address.Parse("2001:db8::1"), Ipv6Address.Parse("2001:db8::2"), 5683, 5683, get), Golden.Root, Golden.Plug, s_contexts)[0],
        };

        var rows = Tshark.Decode(frames, Tshark.Context0, s_fields);
        Assert.Equal(5, rows.Count);
        Assert.Equal(["1", "fe80::212:4b00:102:304", "fe80::212:4b00:60d:b2a1", "5683", "5683", "1", "1", "/sensors/power", "0x0003", "0x0003", "0"], rows[0][..11]);
        Assert.Equal(["1", "fd00::212:4b00:102:304", "fd00::212:4b00:60d:b2a1", "5683", "5683", "1", "1", "/sensors/power", "0x0003", "0x0003", "0"], rows[1][..11]);
        Assert.Equal(["1", "fd00::1", "fe80::2", "5683", "5683", "1", "1", "/sensors/power", "0x0001", "0x0001", "0"], rows[2][..11]);
        Assert.Equal(["1", "fe80::ff:fe00:1", "fd00::ff:fe00:9", "5683", "5683", "1", "1", "/sensors/power", "0x0003", "0x0002", "0"], rows[3][..11]);
        Assert.Equal(["1", "2001:db8::1", "2001:db8::2", "5683", "5683", "1", "1", "/sensors/power", "0x0000", "0x0000", "0"], rows[4][..11]);
    }

    [Fact]
    public void Multicast_forms_and_short_ports()
    {
        byte[] payload = [1, 2, 3];
        string[] groups = ["ff02::1", "ff05::1:3", "ff05::12:3456:789a", "ff0e::1:2:3:4:5"];
        var frames = groups
            .Select(g => Lowpan.Encode(Lowpan.Udp(s_rootLl, Ipv6Address.Parse(g), 0xF0B1, 0xF0B3, payload), Golden.Root, MacAddress.Broadcast, s_contexts)[0])
            .ToList();
        var rows = Tshark.Decode(frames, Tshark.Context0, s_fields);
        for (int i = 0; i < groups.Length; i++)
        {
            Assert.Equal(groups[i], rows[i][2]);
            Assert.Equal(["61617", "61619", "1"], rows[i][3..6]);
            Assert.Equal("1", rows[i][10]);
            Assert.Equal($"0x000{3 - i}", rows[i][9]);
        }
    }

    [Fact]
    public void Icmpv6_echo_request_and_reply()
    {
        byte[] buffer = new byte[256];
        var frames = new List<byte[]>();
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(s_rootG, s_plugG, 128, 0, [0x12, 0x34, 0x00, 0x01, 0xAA, 0xBB], buffer, out int n));
        frames.Add(Lowpan.Encode(buffer[..n], Golden.Root, Golden.Plug, s_contexts)[0]);
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(s_plugLl, s_rootLl, 129, 0, [0x12, 0x34, 0x00, 0x01, 0xAA, 0xBB], buffer, out n));
        frames.Add(Lowpan.Encode(buffer[..n], Golden.Plug, Golden.Root, s_contexts)[0]);
        var rows = Tshark.Decode(frames, Tshark.Context0, "wpan.fcs_ok", "ipv6.src", "ipv6.dst", "icmpv6.type", "icmpv6.checksum.status", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number");
        Assert.Equal(["1", "fd00::212:4b00:102:304", "fd00::212:4b00:60d:b2a1", "128", "1", "0x1234", "1"], rows[0]);
        Assert.Equal(["1", "fe80::212:4b00:60d:b2a1", "fe80::212:4b00:102:304", "129", "1", "0x1234", "1"], rows[1]);
    }

    [Fact]
    public void Hop_by_hop_rpl_option_and_source_routing_header()
    {
        byte[] get = TestCoap.Get(7, [1], "relay");
        var rpl = new RplHopByHopOption(Down: true, false, false, InstanceId: 0x1E, SenderRank: 256);
        Ipv6Address a = Ipv6Address.Parse("fd00::212:4b00:60d:b2a1");
        Ipv6Address b = Ipv6Address.Parse("fd00::212:4b00:60d:c3d4");
        Ipv6Address c = Ipv6Address.Parse("fd00::212:4b00:60d:e5f6");
        var frames = new List<byte[]>
        {
            Lowpan.Encode(Lowpan.Udp(s_rootG, a, 5683, 5683, get, rpl: rpl), Golden.Root, Golden.Plug, s_contexts)[0],
            Lowpan.Encode(Lowpan.Udp(s_rootG, c, 5683, 5683, get, via: [a, b]), Golden.Root, Golden.Plug, s_contexts)[0],
        };
        var rows = Tshark.Decode(frames, Tshark.Context0,
            "wpan.fcs_ok", "ipv6.opt.rpl.instance_id", "ipv6.opt.rpl.sender_rank", "ipv6.opt.rpl.flag.o",
            "ipv6.routing.type", "ipv6.routing.segleft", "ipv6.routing.rpl.full_address", "ipv6.dst", "udp.checksum.status", "coap.opt.uri_path_recon");
        Assert.Equal(["1", "0x1e", "0x0100", "1", "", "", "", "fd00::212:4b00:60d:b2a1", "1", "/relay"], rows[0]);
        Assert.Equal("1", rows[1][0]);
        Assert.Equal(["3", "2"], rows[1][4..6]);
        Assert.Equal("fd00::212:4b00:60d:c3d4,fd00::212:4b00:60d:e5f6", rows[1][6]);
        Assert.Equal("fd00::212:4b00:60d:b2a1", rows[1][7]);
        Assert.Equal(["1", "/relay"], rows[1][8..]);
    }

    [Fact]
    public void Fragmented_coap_response_is_reassembled_by_wireshark()
    {
        byte[] payload = new byte[400];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)('a' + (i % 26));
        }

        // CoAP ACK 2.05, MID 0x1234, token beef, Content-Format text/plain (0), payload.
        byte[] coap = [0x62, 0x45, 0x12, 0x34, 0xbe, 0xef, 0xC0, 0xFF, .. payload];
        byte[] datagram = Lowpan.Udp(s_plugLl, s_rootLl, 5683, 5683, coap);
        byte[][] frames = Lowpan.Encode(datagram, Golden.Plug, Golden.Root, s_contexts, tag: 0x0202);
        Assert.True(frames.Length >= 5);
        Assert.All(frames, f => Assert.True(f.Length <= 125));
        var rows = Tshark.Decode(frames, ["-2", .. Tshark.Context0],
            "wpan.fcs_ok", "6lowpan.frag.size", "6lowpan.frag.tag", "6lowpan.frag.offset", "6lowpan.reassembled.length", "coap.code", "udp.checksum.status");
        Assert.Equal(frames.Length, rows.Count);
        Assert.All(rows, r => Assert.Equal(["1", datagram.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "0x0202"], r[..3]));
        Assert.Equal([datagram.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), "69", "1"], rows[^1][4..]);
    }
}
