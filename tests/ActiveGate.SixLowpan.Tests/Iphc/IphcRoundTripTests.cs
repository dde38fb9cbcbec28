using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Context;
using ActiveGate.SixLowpan.Iphc;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Tests.Support;

namespace ActiveGate.SixLowpan.Tests.Iphc;

public class IphcRoundTripTests
{
    private static readonly MacAddress s_srcMac = Golden.Root;
    private static readonly MacAddress s_dstMac = Golden.Plug;

    private static ContextTable Contexts()
    {
        var table = ContextTable.WithContext0(Ipv6Prefix.DefaultMesh);
        table.Set(5, Ipv6Prefix.Parse("2001:db8:1::/48"));
        table.Set(15, Ipv6Prefix.Parse("2001:db8:aaaa:bbbb:cccc::/80"));
        return table;
    }

    private static (byte[] Compressed, int Consumed) Compress(byte[] datagram, ContextTable? contexts, MacAddress? src = null, MacAddress? dst = null)
    {
        byte[] buffer = new byte[256];
        var link = new LinkAddresses(src ?? s_srcMac, dst ?? s_dstMac);
        Assert.True(IphcCompressor.TryCompress(datagram, link, contexts, buffer, out IphcCompressResult result), result.Error.ToString());
        return (buffer[..result.BytesWritten], result.DatagramBytesConsumed);
    }

    private static byte[] RoundTrip(byte[] datagram, ContextTable? contexts, out byte[] compressed, MacAddress? src = null, MacAddress? dst = null)
    {
        (compressed, int consumed) = Compress(datagram, contexts, src, dst);
        byte[] lowpan = [.. compressed, .. datagram.AsSpan(consumed)];
        byte[] output = new byte[2048];
        var link = new LinkAddresses(src ?? s_srcMac, dst ?? s_dstMac);
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(lowpan, link, contexts, output, out int length));
        return output[..length];
    }

    [Theory]
    // source, expected SAC, SAM, inline address bytes
    [InlineData("fe80::212:4b00:102:304", 0, 3)]
    [InlineData("fe80::ff:fe00:1234", 0, 2)]
    [InlineData("fe80::1", 0, 1)]
    [InlineData("2001:db8::1", 0, 0)]
    [InlineData("fd00::212:4b00:102:304", 1, 3)]
    [InlineData("fd00::ff:fe00:beef", 1, 2)]
    [InlineData("fd00::1:2:3:4", 1, 1)]
    [InlineData("::", 1, 0)]
    [InlineData("2001:db8:1:0:0:ff:fe00:7", 1, 2)]
    [InlineData("2001:db8:1:0:1:2:3:4", 1, 1)]
    [InlineData("2001:db8:1:5:1:2:3:4", 0, 0)]
    [InlineData("2001:db8:aaaa:bbbb:cccc:0:ff:1", 1, 1)]
    public void Every_source_mode_round_trips(string source, int sac, int sam)
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse(source), Ipv6Address.Parse("fe80::212:4b00:60d:b2a1"), 5683, 5683, [1, 2, 3]);
        byte[] back = RoundTrip(datagram, Contexts(), out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(sac, (compressed[1] >> 6) & 1);
        Assert.Equal(sam, (compressed[1] >> 4) & 3);
    }

    [Theory]
    // destination, expected M, DAC, DAM
    [InlineData("fe80::212:4b00:60d:b2a1", 0, 0, 3)]
    [InlineData("fe80::ff:fe00:1", 0, 0, 2)]
    [InlineData("fe80::1234:5678:9abc:def0", 0, 0, 1)]
    [InlineData("2001:db8::2", 0, 0, 0)]
    [InlineData("fd00::212:4b00:60d:b2a1", 0, 1, 3)]
    [InlineData("fd00::ff:fe00:2", 0, 1, 2)]
    [InlineData("fd00::2", 0, 1, 1)]
    [InlineData("ff02::1", 1, 0, 3)]
    [InlineData("ff02::1a", 1, 0, 3)]
    [InlineData("ff05::1:3", 1, 0, 2)]
    [InlineData("ff05::12:3456:789a", 1, 0, 1)]
    [InlineData("ff0e::1:2:3:4:5", 1, 0, 0)]
    [InlineData("ff35:40:fd00::1234:5678", 1, 1, 0)]
    public void Every_destination_mode_round_trips(string destination, int m, int dac, int dam)
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse(destination), 5683, 5683, [9]);
        MacAddress dstMac = destination.StartsWith("ff", StringComparison.Ordinal) ? MacAddress.Broadcast : s_dstMac;
        byte[] back = RoundTrip(datagram, Contexts(), out byte[] compressed, dst: dstMac);
        Assert.Equal(datagram, back);
        Assert.Equal(m, (compressed[1] >> 3) & 1);
        Assert.Equal(dac, (compressed[1] >> 2) & 1);
        Assert.Equal(dam, compressed[1] & 3);
    }

    [Fact]
    public void Short_mac_addresses_derive_iids()
    {
        MacAddress src = MacAddress.FromShort(0x0001);
        MacAddress dst = MacAddress.FromShort(0x0002);
        byte[] datagram = Lowpan.Udp(Ipv6Address.LinkLocal(src), Ipv6Address.FromPrefix(Ipv6Prefix.DefaultMesh, dst), 1, 2, []);
        Assert.Equal("fe80::ff:fe00:1", Ipv6Address.LinkLocal(src).ToString());
        byte[] back = RoundTrip(datagram, Contexts(), out byte[] compressed, src, dst);
        Assert.Equal(datagram, back);
        Assert.Equal(3, (compressed[1] >> 4) & 3);
        Assert.Equal(3, compressed[1] & 3);
    }

    [Fact]
    public void Cid_byte_is_used_for_contexts_other_than_zero()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("2001:db8:1::1"), Ipv6Address.Parse("fd00::2"), 1, 2, []);
        byte[] back = RoundTrip(datagram, Contexts(), out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(0x80, compressed[1] & 0x80);
        Assert.Equal(0x50, compressed[2]); // SCI 5, DCI 0
    }

    [Fact]
    public void Contiki_style_cid_byte_with_index_zero_is_accepted()
    {
        // Contiki sets CID=1 with SCI=DCI=0 whenever a context matches: 7E F7 00 ...
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fd00::212:4b00:102:304"), Ipv6Address.Parse("fd00::212:4b00:60d:b2a1"), 5683, 5683, [1]);
        (byte[] compressed, int consumed) = Compress(datagram, Contexts());
        Assert.Equal(0x77, compressed[1]);
        byte[] contiki = [compressed[0], (byte)(compressed[1] | 0x80), 0x00, .. compressed.AsSpan(2), .. datagram.AsSpan(consumed)];
        byte[] output = new byte[256];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(contiki, new LinkAddresses(s_srcMac, s_dstMac), Contexts(), output, out int n));
        Assert.Equal(datagram, output[..n]);
    }

    [Theory]
    [InlineData(0, 0u, 3)]
    [InlineData(0xB8, 0u, 2)] // DSCP 46 (EF), ECN 0
    [InlineData(0x01, 0x12345u, 1)] // ECN only + flow label
    [InlineData(0xB9, 0xABCDEu, 0)]
    public void Traffic_class_and_flow_label_forms(byte trafficClass, uint flowLabel, int tf)
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 1, 2, [5]);
        uint first = (6u << 28) | ((uint)trafficClass << 20) | flowLabel;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(datagram, first);
        byte[] back = RoundTrip(datagram, null, out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(tf, (compressed[0] >> 3) & 3);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(64, 2)]
    [InlineData(255, 3)]
    [InlineData(17, 0)]
    public void Hop_limit_forms(byte hopLimit, int hlim)
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 1, 2, [], hopLimit);
        byte[] back = RoundTrip(datagram, null, out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(hlim, compressed[0] & 3);
    }

    [Theory]
    [InlineData(5683, 5683, 0xF0, 4)]
    [InlineData(5683, 0xF0AB, 0xF1, 3)]
    [InlineData(0xF0AB, 5683, 0xF2, 3)]
    [InlineData(0xF0B1, 0xF0B3, 0xF3, 1)]
    [InlineData(0xF0B1, 0xF0C3, 0xF1, 3)]
    public void Udp_port_forms(int sourcePort, int destinationPort, byte nhc, int portBytes)
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse("fe80::212:4b00:60d:b2a1"), (ushort)sourcePort, (ushort)destinationPort, [1, 2]);
        byte[] back = RoundTrip(datagram, null, out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(nhc, compressed[2]);
        Assert.Equal(2 + 1 + portBytes + 2, compressed.Length);
    }

    [Fact]
    public void Elided_udp_checksum_is_recomputed()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse("fe80::212:4b00:60d:b2a1"), 5683, 5683, [1, 2, 3]);
        (byte[] compressed, int consumed) = Compress(datagram, null);
        // Rewrite NHC F0 ports checksum -> F4 ports (C=1), dropping the 2 checksum bytes.
        byte[] elided = [.. compressed.AsSpan(0, 2), 0xF4, .. compressed.AsSpan(3, 4), .. datagram.AsSpan(consumed)];
        byte[] output = new byte[256];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(elided, new LinkAddresses(s_srcMac, s_dstMac), null, output, out int n));
        Assert.Equal(datagram, output[..n]);
    }

    [Fact]
    public void Hop_by_hop_rpl_option_and_source_route_use_nhc_extension_headers()
    {
        var rpl = new RplHopByHopOption(Down: true, false, false, InstanceId: 0x1E, SenderRank: 256);
        Ipv6Address[] via = [Ipv6Address.Parse("fd00::212:4b00:60d:b2a1"), Ipv6Address.Parse("fd00::212:4b00:60d:c3d4")];
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fd00::212:4b00:102:304"), Ipv6Address.Parse("fd00::212:4b00:60d:e5f6"), 5683, 5683, [1, 2, 3], rpl: rpl, via: via);
        Assert.True(Ipv6Packet.TryParse(datagram, out Ipv6PacketInfo info, out _));
        Assert.Equal(rpl, info.RplOption);
        Assert.Equal(2, info.SegmentsLeft);
        Assert.Equal("fd00::212:4b00:60d:e5f6", info.FinalDestination.ToString());
        byte[] back = RoundTrip(datagram, Contexts(), out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Equal(0x04, compressed[0] & 0x04); // NH compressed
        Assert.Contains((byte)0xE1, compressed); // NHC-EH HBH with NH=1
    }

    [Fact]
    public void Hop_by_hop_before_icmpv6_carries_next_header_inline()
    {
        byte[] buffer = new byte[256];
        var rpl = new RplHopByHopOption(false, false, false, 0, 128);
        Assert.True(Ipv6PacketBuilder.TryWriteIcmpv6(Ipv6Address.Parse("fe80::1"), Ipv6Address.Parse("fe80::2"), 128, 0, [0, 1, 0, 1], buffer, out int n, rplOption: rpl));
        byte[] datagram = buffer[..n];
        byte[] back = RoundTrip(datagram, null, out byte[] compressed);
        Assert.Equal(datagram, back);
        Assert.Contains((byte)0xE0, compressed); // NHC-EH HBH, NH=0 (58 inline)
    }

    [Fact]
    public void Elided_extension_header_padding_is_restored()
    {
        // NHC-EH HBH with 6 bytes of option (no trailing padding carried): 7A 33 E1 06 63 04 00 1E 01 00 F0 ...
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse("fe80::212:4b00:60d:b2a1"), 5683, 5683, [7],
            rpl: new RplHopByHopOption(false, false, false, 0x1E, 256));
        (byte[] compressed, int consumed) = Compress(datagram, null);
        int eh = Array.IndexOf(compressed, (byte)0xE1);
        Assert.Equal(6, compressed[eh + 1]);
        // Carry a 4-byte body (a 2-byte-data option) so 2 octets of padding are elided and must be restored.
        byte[] shortened = [.. compressed.AsSpan(0, eh + 1), 4, 0x63, 2, 0x00, 0x1E, .. compressed.AsSpan(eh + 8), .. datagram.AsSpan(consumed)];
        byte[] output = new byte[256];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(shortened, new LinkAddresses(s_srcMac, s_dstMac), null, output, out int n));
        Assert.True(Ipv6Packet.TryParse(output.AsSpan(0, n), out Ipv6PacketInfo info, out _));
        Assert.Equal(48, info.UpperLayerOffset);
        Assert.Equal(1, output[46]); // PadN restored after the 4 carried option bytes
        Assert.Equal(0, output[47]);
    }

    [Fact]
    public void Missing_link_address_is_reported()
    {
        byte[] datagram = Lowpan.Udp(Ipv6Address.Parse("fe80::212:4b00:102:304"), Ipv6Address.Parse("fe80::2"), 1, 2, []);
        (byte[] compressed, int consumed) = Compress(datagram, null);
        byte[] lowpan = [.. compressed, .. datagram.AsSpan(consumed)];
        Assert.Equal(LowpanError.MissingLinkAddress, LowpanCodec.TryDecode(lowpan, new LinkAddresses(MacAddress.None, s_dstMac), null, new byte[256], out _));
    }

    [Fact]
    public void Expired_context_is_not_used()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var table = new ContextTable(time);
        table.Set(1, Ipv6Prefix.Parse("2001:db8::/64"), TimeSpan.FromMinutes(1));
        Assert.True(table.TryFindForCompression(Ipv6Address.Parse("2001:db8::5"), out int id, out _));
        Assert.Equal(1, id);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(table.TryFindForCompression(Ipv6Address.Parse("2001:db8::5"), out _, out _));
        Assert.False(table.TryGet(1, out _));
    }

    [Fact]
    public void Context_prefix_shorter_than_64_does_not_leak_bits()
    {
        // RIOT #19648: with a /48 context and SAM=01 the bits 48..63 come from nowhere: they must be zero.
        var table = new ContextTable();
        table.Set(2, Ipv6Prefix.Parse("2001:db8:1::/48"));
        // IPHC: TF=11 NH=1 HLIM=11 | CID=1 SAC=1 SAM=01 M=0 DAC=0 DAM=00 ; SCI=2 ; 8 bytes IID ; 16 bytes dst; then 4 bytes of payload (NH 58 inline)
        byte[] lowpan = [0x7B, 0xD0, 0x20, 0x3A, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0xFE, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x80, 0, 0, 0];
        byte[] output = new byte[256];
        Assert.Equal(LowpanError.None, LowpanCodec.TryDecode(lowpan, new LinkAddresses(s_srcMac, s_dstMac), table, output, out int n));
        Assert.Equal("2001:db8:1:0:1122:3344:5566:7788", Ipv6Address.Read(output.AsSpan(8)).ToString());
        Assert.Equal(44, n);
    }
}
