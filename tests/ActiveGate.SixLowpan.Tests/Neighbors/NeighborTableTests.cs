using ActiveGate.Ieee802154;
using ActiveGate.SixLowpan.Ipv6;
using ActiveGate.SixLowpan.Neighbors;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.SixLowpan.Tests.Neighbors;

public class NeighborTableTests
{
    private static readonly MacAddress s_a = MacAddress.FromExtended(0x00124B0000000001);
    private static readonly MacAddress s_b = MacAddress.FromExtended(0x00124B0000000002);

    [Fact]
    public void Same_dsn_within_the_window_is_a_duplicate()
    {
        var time = new FakeTimeProvider();
        var table = new NeighborTable(time, duplicateWindow: TimeSpan.FromSeconds(5));
        Assert.True(table.RecordReceived(s_a, 7));
        Assert.False(table.RecordReceived(s_a, 7));
        Assert.True(table.RecordReceived(s_a, 8));
        Assert.True(table.RecordReceived(s_b, 8));
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(table.RecordReceived(s_a, 8)); // wrapped counter, long after: not a duplicate
    }

    [Fact]
    public void Entries_expire_after_their_lifetime()
    {
        var time = new FakeTimeProvider();
        var table = new NeighborTable(time, lifetime: TimeSpan.FromMinutes(10));
        table.RecordReceived(s_a, 1, rssi: -70, lqi: 100);
        time.Advance(TimeSpan.FromMinutes(6));
        table.RecordReceived(s_b, 1);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal([s_a], table.Expire());
        Assert.Null(table.Get(s_a));
        NeighborInfo b = table.Get(s_b)!;
        Assert.Equal(Ipv6Address.Parse("fe80::212:4b00:0:2"), b.LinkLocalAddress);
        Assert.Equal(time.GetUtcNow() - TimeSpan.FromMinutes(5), b.LastHeard);
    }

    [Fact]
    public void Capacity_evicts_the_stalest()
    {
        var time = new FakeTimeProvider();
        var table = new NeighborTable(time, capacity: 2);
        table.RecordReceived(s_a, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        table.RecordReceived(s_b, 1);
        time.Advance(TimeSpan.FromSeconds(1));
        table.RecordReceived(MacAddress.FromShort(5), 1);
        Assert.Equal(2, table.Count);
        Assert.Null(table.Get(s_a));
        Assert.Equal(MacAddress.FromShort(5), table.Snapshot()[0].MacAddress);
    }

    [Fact]
    public void Transmit_outcomes_and_learned_addresses()
    {
        var table = new NeighborTable(new FakeTimeProvider());
        table.RecordTransmit(s_a, FrameTransmitStatus.Ok);
        table.RecordTransmit(s_a, FrameTransmitStatus.NoAck);
        table.RecordTransmit(MacAddress.Broadcast, FrameTransmitStatus.Ok);
        NeighborInfo info = table.Get(s_a)!;
        Assert.Equal((1, 1, FrameTransmitStatus.NoAck), (info.TransmitOk, info.TransmitFailed, info.LastTransmitStatus));
        Assert.Null(table.Get(MacAddress.Broadcast));

        Ipv6Address odd = Ipv6Address.Parse("fe80::1234");
        table.LearnAddress(odd, s_b);
        Assert.True(table.TryResolve(odd, out MacAddress mac));
        Assert.Equal(s_b, mac);
        table.Remove(s_b);
        Assert.False(table.TryResolve(odd, out _));
    }
}
