using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Rpl;
using ActiveGate.SixLowpan.Rpl.Messages;
using ActiveGate.SixLowpan.Rpl.Root;
using ActiveGate.SixLowpan.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using static ActiveGate.SixLowpan.Tests.Rpl.RplTestMesh;

namespace ActiveGate.SixLowpan.Tests.Rpl;

/// <summary>Wireshark (Debian tshark) as an independent decoder of what the root sends.</summary>
public sealed class RplTsharkTests : IDisposable
{
    private const ushort PanId = 0xABCD;
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingSink _sink = new();
    private readonly RplRoot _root;

    public RplTsharkTests()
    {
        _root = new RplRoot(new RplRootOptions { DodagId = DodagId, Mode = RplMode.NonStoring }, _sink, _time, random: new Random(3));
    }

    public void Dispose() => _root.Dispose();

    /// <summary>An 802.15.4 data frame carrying the datagram with the uncompressed-IPv6 dispatch 0x41 (RFC 4944 §5.1).</summary>
    private static byte[] UncompressedFrame(MacAddress source, MacAddress destination, byte sequence, ReadOnlySpan<byte> datagram)
    {
        MacHeader header = MacHeader.Data(PanId, source, destination, sequence);
        byte[] payload = [0x41, .. datagram];
        byte[] frame = new byte[MacFrameCodec.MaxFrameLengthWithoutFcs];
        Assert.True(MacFrameCodec.TryWrite(header, payload, frame, out int length, out MacFrameError error), error.ToString());
        return frame[..length];
    }

    /// <summary>The same datagram IPHC-compressed by the colleague's codec (context 0 = fd00::/64).</summary>
    private static byte[] IphcFrame(MacAddress source, MacAddress destination, byte sequence, ReadOnlySpan<byte> datagram)
    {
        byte[] output = new byte[4 * 127];
        Range[] frames = new Range[4];
        LowpanError error = LowpanCodec.TryEncode(datagram, MacHeader.Data(PanId, source, destination, sequence), s_contexts, 1, output, frames, out int count);
        Assert.Equal(LowpanError.None, error);
        Assert.Equal(1, count);
        return output[frames[0]];
    }

    private static byte[] Icmp(RplOutgoingMessage message)
    {
        ReadOnlySpan<byte> icmp = message.Icmpv6Message.Span;
        byte[] datagram = new byte[Ipv6Header.Length + icmp.Length];
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(message.Source, message.Destination, icmp[0], icmp[1], icmp[4..], datagram, out int length, hopLimit: 64));
        return datagram[..length];
    }

    [Fact]
    public void Tshark_decodes_our_dio_with_configuration_and_prefix()
    {
        _root.Start();
        _time.Run(TimeSpan.FromMilliseconds(4096));
        RplOutgoingMessage dio = Assert.Single(_sink.Messages);
        byte[] frame = IphcFrame(RootMac, MacAddress.Broadcast, 1, Icmp(dio));

        string[] row = Assert.Single(Tshark.Decode(
            [frame],
            Tshark.Context0,
            "wpan.fcs_ok", "ipv6.src", "ipv6.dst", "icmpv6.type", "icmpv6.code", "icmpv6.checksum.status",
            "icmpv6.rpl.dio.instance", "icmpv6.rpl.dio.version", "icmpv6.rpl.dio.rank", "icmpv6.rpl.dio.flag.g", "icmpv6.rpl.dio.flag.mop",
            "icmpv6.rpl.dio.dtsn", "icmpv6.rpl.dio.dagid", "icmpv6.rpl.opt.config.interval_double", "icmpv6.rpl.opt.config.interval_min",
            "icmpv6.rpl.opt.config.redundancy", "icmpv6.rpl.opt.config.max_rank_inc", "icmpv6.rpl.opt.config.min_hop_rank_inc",
            "icmpv6.rpl.opt.config.ocp", "icmpv6.rpl.opt.config.def_lifetime", "icmpv6.rpl.opt.config.lifetime_unit",
            "icmpv6.rpl.opt.prefix", "icmpv6.rpl.opt.prefix.length"));
        Assert.Equal(
            ["1", RootLinkLocal.ToString(), "ff02::1a", "155", "1", "1", "30", "240", "128", "1", "0x01", "240", DodagId.ToString(),
             "8", "12", "10", "1024", "128", "1", "30", "60", "fd00::", "64"],
            row);
    }

    [Fact]
    public void Tshark_decodes_dao_in_both_formats_and_our_dao_ack_in_an_uncompressed_ipv6_frame()
    {
        // A node's non-storing DAO (RPL-Lite format), IPHC with context 0, as the root receives it...
        RplDao dao = NonStoringDao(2, 1, 0xF3);
        byte[] daoIcmp = RplMessageCodec.Encode(dao, Global(2), DodagId);
        byte[] daoDatagram = new byte[Ipv6Header.Length + daoIcmp.Length];
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(Global(2), DodagId, 155, 2, daoIcmp.AsSpan(4), daoDatagram, out _));
        byte[] daoFrame = IphcFrame(Mac(1), RootMac, 7, daoDatagram);

        // ...a storing-mode DAO (no parent address) from a direct child, uncompressed...
        byte[] storingIcmp = RplMessageCodec.Encode(StoringDao(1, 0x11), LinkLocal(1), RootLinkLocal);
        byte[] storingDatagram = new byte[Ipv6Header.Length + storingIcmp.Length];
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(LinkLocal(1), RootLinkLocal, 155, 2, storingIcmp.AsSpan(4), storingDatagram, out _));
        byte[] storingFrame = UncompressedFrame(Mac(1), RootMac, 8, storingDatagram);

        // ...and the DAO-ACK our root answers with, uncompressed IPv6 (dispatch 0x41).
        Line(2).DeliverDao(_root, 1, 0xF2);
        Assert.True(_root.HandleIcmp(new RplReceiveContext(Global(2), DodagId, Mac(1)), daoIcmp));
        RplOutgoingMessage ack = _sink.Messages[^1];
        Assert.Equal(RplConstants.CodeDaoAck, ack.Code);
        byte[] ackFrame = UncompressedFrame(RootMac, Mac(1), 9, Icmp(ack));

        IReadOnlyList<string[]> rows = Tshark.Decode(
            [daoFrame, storingFrame, ackFrame],
            Tshark.Context0,
            "icmpv6.type", "icmpv6.code", "icmpv6.checksum.status", "ipv6.src", "ipv6.dst",
            "icmpv6.rpl.dao.instance", "icmpv6.rpl.dao.flag.k", "icmpv6.rpl.dao.sequence", "icmpv6.rpl.opt.target.prefix",
            "icmpv6.rpl.opt.transit.pathlifetime", "icmpv6.rpl.opt.transit.parent",
            "icmpv6.rpl.daoack.instance", "icmpv6.rpl.daoack.sequence", "icmpv6.rpl.daoack.status", "6lowpan.pattern");
        Assert.Equal(3, rows.Count);
        Assert.Equal(
            ["155", "2", "1", Global(2).ToString(), DodagId.ToString(), "30", "1", "243", Global(2).ToString(), "30", Global(1).ToString(), "", "", "", "0x03"],
            rows[0]);
        Assert.Equal(
            ["155", "2", "1", LinkLocal(1).ToString(), RootLinkLocal.ToString(), "30", "0", "17", Global(1).ToString(), "30", "", "", "", "", "0x41"],
            rows[1]);
        Assert.Equal(
            ["155", "3", "1", DodagId.ToString(), Global(2).ToString(), "", "", "", "", "", "", "30", "243", "0", "0x41"],
            rows[2]);
    }

    [Fact]
    public void Tshark_decodes_a_source_routed_coap_get_to_the_deepest_node()
    {
        RplTestMesh mesh = Line(6);
        for (int i = 1; i <= mesh.Count; i++)
        {
            mesh.DeliverDao(_root, i, 240);
        }

        Span<Ipv6Address> via = stackalloc Ipv6Address[16];
        Assert.True(_root.TryGetSourceRoute(Global(6), via, out int count));
        Assert.Equal(5, count);

        // CoAP CON GET /power, MID 0x1234, token be ef.
        byte[] coap = Convert.FromHexString("42011234BEEFB5706F776572");
        byte[] datagram = new byte[200];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(DodagId, Global(6), 5683, 5683, coap, datagram, out int length, rplOption: _root.DownwardOption, via: via[..count]));
        byte[] frame = IphcFrame(RootMac, Mac(1), 10, datagram.AsSpan(0, length));

        string[] row = Assert.Single(Tshark.Decode(
            [frame],
            Tshark.Context0,
            "ipv6.src", "ipv6.dst", "ipv6.routing.type", "ipv6.routing.segleft", "ipv6.routing.rpl.cmprI", "ipv6.routing.rpl.cmprE",
            "ipv6.routing.rpl.full_address", "ipv6.opt.rpl.flag.o", "ipv6.opt.rpl.instance_id", "ipv6.opt.rpl.sender_rank",
            "udp.checksum.status", "coap.code", "coap.opt.uri_path_recon"));
        Assert.Equal(
            [DodagId.ToString(), Global(1).ToString(), "3", "5", "15", "15",
             string.Join(',', new[] { 2, 3, 4, 5, 6 }.Select(i => Global(i).ToString())), "1", "0x1e", "0x0080", "1", "1", "/power"],
            row);
    }
}
