using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Fragmentation;
using ActiveGate.SixLowpan.Icmpv6;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;

namespace ActiveGate.SixLowpan.Tests;

/// <summary>Our decoder on the shared golden pcaps yields what expected.txt (and tshark) say.</summary>
public class GoldenDecodeTests
{
    private static readonly ContextTable s_contexts = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);

    private static (byte[] Datagram, Ipv6PacketInfo Info) Decode(byte[] mpdu, ContextTable? contexts = null)
    {
        MacFrame mac = MacFrameCodec.Read(mpdu);
        byte[] datagram = new byte[1280];
        LowpanError error = LowpanCodec.TryDecode(mac.Payload, new LinkAddresses(mac.Header.Source, mac.Header.Destination), contexts ?? s_contexts, datagram, out int length);
        Assert.Equal(LowpanError.None, error);
        Assert.True(Ipv6Packet.TryParse(datagram.AsSpan(0, length), out Ipv6PacketInfo info, out error), error.ToString());
        return (datagram[..length], info);
    }

    private static void AssertUdp(byte[] datagram, Ipv6PacketInfo info, ushort sourcePort, ushort destinationPort)
    {
        Assert.Equal(IpProtocol.Udp, info.UpperLayerProtocol);
        ReadOnlySpan<byte> udp = datagram.AsSpan(info.UpperLayerOffset);
        Assert.True(UdpHeader.TryRead(udp, out UdpHeader header));
        Assert.Equal(sourcePort, header.SourcePort);
        Assert.Equal(destinationPort, header.DestinationPort);
        Assert.Equal(udp.Length, header.Length);
        Assert.True(InternetChecksum.Verify(info.Header.Source, info.FinalDestination, IpProtocol.Udp, udp), "UDP checksum");
    }

    [Fact]
    public void Frame1_link_local_coap_get()
    {
        (byte[] datagram, Ipv6PacketInfo info) = Decode(Golden.Frames()[0]);
        Assert.Equal("fe80::212:4b00:102:304", info.Header.Source.ToString());
        Assert.Equal("fe80::212:4b00:60d:b2a1", info.Header.Destination.ToString());
        Assert.Equal(64, info.Header.HopLimit);
        AssertUdp(datagram, info, 5683, 5683);
        (byte code, ushort mid, string path) = TestCoap.Parse(datagram.AsSpan(info.UpperLayerOffset + 8));
        Assert.Equal(1, code);
        Assert.Equal(4660, mid);
        Assert.Equal("/sensors/power", path);
    }

    [Fact]
    public void Frame2_context0_addresses()
    {
        (byte[] datagram, Ipv6PacketInfo info) = Decode(Golden.Frames()[1]);
        Assert.Equal("fd00::212:4b00:102:304", info.Header.Source.ToString());
        Assert.Equal("fd00::212:4b00:60d:b2a1", info.Header.Destination.ToString());
        AssertUdp(datagram, info, 5683, 5683);
        Assert.Equal((1, 4661, "/sensors/power"), TestCoap.Parse(datagram.AsSpan(info.UpperLayerOffset + 8)));
    }

    [Fact]
    public void Frame2_without_context_is_refused_not_misdecoded()
    {
        MacFrame mac = MacFrameCodec.Read(Golden.Frames()[1]);
        LowpanError error = LowpanCodec.TryDecode(mac.Payload, new LinkAddresses(mac.Header.Source, mac.Header.Destination), new ContextTable(), new byte[1280], out _);
        Assert.Equal(LowpanError.UnknownContext, error);
    }

    [Fact]
    public void Frame2_with_legacy_aaaa_context_decodes_to_aaaa()
    {
        (_, Ipv6PacketInfo info) = Decode(Golden.Frames()[1], ContextTable.WithContext0(Ipv6Prefix.LegacyContikiMesh));
        Assert.Equal("aaaa::212:4b00:102:304", info.Header.Source.ToString());
    }

    [Fact]
    public void Frame3_rpl_dio_to_all_rpl_nodes()
    {
        (byte[] datagram, Ipv6PacketInfo info) = Decode(Golden.Frames()[2]);
        Assert.Equal("fe80::212:4b00:102:304", info.Header.Source.ToString());
        Assert.Equal(Ipv6Address.AllRplNodes, info.Header.Destination);
        Assert.Equal(IpProtocol.Icmpv6, info.UpperLayerProtocol);
        Assert.Equal(255, info.Header.HopLimit);
        Assert.True(Icmpv6Message.TryRead(datagram.AsSpan(info.UpperLayerOffset), info.Header.Source, info.FinalDestination, out Icmpv6Message icmp, out _));
        Assert.Equal(155, icmp.Type);
        Assert.Equal(1, icmp.Code);
        Assert.Equal(0, icmp.Body[0]); // instance
        Assert.Equal(240, icmp.Body[1]); // version
    }

    [Fact]
    public void Frames4_and_5_reassemble_into_206_byte_coap_content()
    {
        byte[][] frames = Golden.Frames();
        var fake = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        using var reassembler = new Reassembler(timeProvider: fake);
        MacFrame first = MacFrameCodec.Read(frames[3]);
        var link = new LinkAddresses(first.Header.Source, first.Header.Destination);
        Assert.True(FragmentHeader.TryRead(first.Payload, out FragmentHeader h1));
        Assert.Equal((true, 206, (ushort)0x0101, 0), (h1.IsFirst, h1.DatagramSize, h1.Tag, h1.Offset));
        Assert.Equal(ReassemblyStatus.Incomplete, reassembler.Add(first.Payload, link, s_contexts, out _, out _));

        MacFrame second = MacFrameCodec.Read(frames[4]);
        Assert.True(FragmentHeader.TryRead(second.Payload, out FragmentHeader h2));
        Assert.Equal(136, h2.Offset);
        Assert.Equal(ReassemblyStatus.Complete, reassembler.Add(second.Payload, link, s_contexts, out byte[]? datagram, out _));
        Assert.NotNull(datagram);
        Assert.Equal(206, datagram.Length);
        Assert.True(Ipv6Packet.TryParse(datagram, out Ipv6PacketInfo info, out _));
        Assert.Equal("fe80::212:4b00:60d:b2a1", info.Header.Source.ToString());
        Assert.Equal("fe80::212:4b00:102:304", info.Header.Destination.ToString());
        AssertUdp(datagram, info, 5683, 5683);
        ReadOnlySpan<byte> coap = datagram.AsSpan(info.UpperLayerOffset + 8);
        Assert.Equal(0x60, coap[0] & 0xF0); // ACK, version 1
        Assert.Equal(69, coap[1]); // 2.05
        int marker = coap.IndexOf((byte)0xFF);
        Assert.Equal(150, coap.Length - marker - 1);
        Assert.Equal(0, reassembler.PendingCount);
    }

    [Fact]
    public void Frame6_source_routed_get()
    {
        (byte[] datagram, Ipv6PacketInfo info) = Decode(Golden.Frames()[5]);
        Assert.Equal("fd00::212:4b00:102:304", info.Header.Source.ToString());
        Assert.Equal("fd00::212:4b00:60d:b2a1", info.Header.Destination.ToString());
        Assert.Equal(1, info.SegmentsLeft);
        Assert.Equal("fd00::212:4b00:60d:c3d4", info.FinalDestination.ToString());
        Span<Ipv6Address> hops = new Ipv6Address[4];
        ReadOnlySpan<byte> srh = datagram.AsSpan(info.SourceRouteOffset);
        Assert.True(RplSourceRoutingHeader.TryRead(srh, info.Header.Destination, hops, out int count, out _));
        Assert.Equal(1, count);
        Assert.Equal(0x88, srh[4]); // CmprI = CmprE = 8
        AssertUdp(datagram, info, 5683, 5683);
        Assert.Equal((1, 4662, "/sensors/power"), TestCoap.Parse(datagram.AsSpan(info.UpperLayerOffset + 8)));
    }

    [Fact]
    public void Frame7_four_bit_ports()
    {
        (byte[] datagram, Ipv6PacketInfo info) = Decode(Golden.Frames()[6]);
        AssertUdp(datagram, info, 61617, 61619);
        Assert.Equal("/power", TestCoap.Parse(datagram.AsSpan(info.UpperLayerOffset + 8)).UriPath);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Our_compressor_reproduces_golden_frames_byte_for_byte(int index)
    {
        byte[] golden = Golden.Frames()[index];
        (byte[] datagram, _) = Decode(golden);
        MacFrame mac = MacFrameCodec.Read(golden);
        byte[] output = new byte[LowpanCodec.MaxFramesPerDatagram * 127];
        Range[] frames = new Range[LowpanCodec.MaxFramesPerDatagram];
        Assert.Equal(LowpanError.None, LowpanCodec.TryEncode(datagram, mac.Header, s_contexts, 1, output, frames, out int count));
        Assert.Equal(1, count);
        Assert.Equal(Convert.ToHexString(golden), Convert.ToHexString(output[frames[0]]));
    }
}
