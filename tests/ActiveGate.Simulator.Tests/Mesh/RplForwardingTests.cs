using ActiveGate.Simulator.Mesh.Rpl;
using ActiveGate.SixLowpan.Ipv6;

namespace ActiveGate.Simulator.Tests.Mesh;

/// <summary>What a router does to a datagram it forwards: RFC 6554 step, RFC 6553 option, hop limit.</summary>
public sealed class RplForwardingTests
{
    private static readonly Ipv6Address s_root = Ipv6Address.Parse("fd00::212:4b00:0:1");
    private static readonly Ipv6Address s_a = Ipv6Address.Parse("fd00::212:4b00:a01:1");
    private static readonly Ipv6Address s_b = Ipv6Address.Parse("fd00::212:4b00:a01:2");
    private static readonly Ipv6Address s_c = Ipv6Address.Parse("fd00::212:4b00:a02:3");

    private static byte[] SourceRouted(RplHopByHopOption? option = null)
    {
        byte[] buffer = new byte[256];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(s_root, s_c, 5683, 5683, "hello"u8, buffer, out int length, 64, option, [s_a, s_b]));
        return buffer[..length];
    }

    [Fact]
    public void Source_route_steps_hop_by_hop_to_the_final_destination_with_the_checksum_intact()
    {
        byte[] datagram = SourceRouted();
        Assert.True(Ipv6Packet.TryParse(datagram, out Ipv6PacketInfo info, out _));
        Assert.Equal((s_a, 2, s_c), (info.Header.Destination, info.SegmentsLeft, info.FinalDestination));

        // At a: next is b, one segment left; a's own address is swapped into b's slot.
        Assert.True(RplForwarding.TryAdvanceSourceRoute(datagram, info.SourceRouteOffset, out Ipv6Address next));
        Assert.Equal(s_b, next);
        Assert.True(Ipv6Packet.TryParse(datagram, out info, out _));
        Assert.Equal((s_b, 1, s_c), (info.Header.Destination, info.SegmentsLeft, info.FinalDestination));
        Span<Ipv6Address> addresses = stackalloc Ipv6Address[4];
        Assert.True(RplSourceRoutingHeader.TryRead(datagram.AsSpan(info.SourceRouteOffset), s_b, addresses, out int count, out _));
        Assert.Equal(2, count);
        Assert.Equal(s_a, addresses[0]);

        // At b: next is c, none left: c sees itself as destination and delivers.
        Assert.True(RplForwarding.TryAdvanceSourceRoute(datagram, info.SourceRouteOffset, out next));
        Assert.Equal(s_c, next);
        Assert.True(Ipv6Packet.TryParse(datagram, out info, out _));
        Assert.Equal((s_c, 0, s_c), (info.Header.Destination, info.SegmentsLeft, info.FinalDestination));
        Assert.True(InternetChecksum.Verify(s_root, s_c, IpProtocol.Udp, datagram.AsSpan(info.UpperLayerOffset, info.UpperLayerLength)));

        // At c nothing is left to follow.
        Assert.False(RplForwarding.TryAdvanceSourceRoute(datagram, info.SourceRouteOffset, out _));
    }

    [Fact]
    public void Rpl_option_is_inserted_once_then_rewritten_in_place()
    {
        byte[] plain = new byte[128];
        Assert.True(Ipv6PacketBuilder.TryWriteUdp(s_c, s_root, 5683, 5683, "up"u8, plain, out int length));
        plain = plain[..length];

        byte[] withOption = RplForwarding.WithRplOption(plain, new RplHopByHopOption(false, false, false, 0x1E, 640));
        Assert.Equal(plain.Length + 8, withOption.Length);
        Assert.True(Ipv6Packet.TryParse(withOption, out Ipv6PacketInfo info, out _));
        Assert.Equal(new RplHopByHopOption(false, false, false, 0x1E, 640), info.RplOption);
        Assert.True(InternetChecksum.Verify(s_c, s_root, IpProtocol.Udp, withOption.AsSpan(info.UpperLayerOffset, info.UpperLayerLength)));

        byte[] rewritten = RplForwarding.WithRplOption(withOption, new RplHopByHopOption(true, false, false, 0x1E, 256));
        Assert.Equal(withOption.Length, rewritten.Length);
        Assert.True(Ipv6Packet.TryParse(rewritten, out info, out _));
        Assert.Equal(new RplHopByHopOption(true, false, false, 0x1E, 256), info.RplOption);
    }

    [Fact]
    public void Hop_limit_runs_out()
    {
        byte[] datagram = SourceRouted();
        datagram[7] = 2;
        Assert.True(RplForwarding.DecrementHopLimit(datagram));
        Assert.Equal(1, datagram[7]);
        Assert.False(RplForwarding.DecrementHopLimit(datagram));
    }
}
