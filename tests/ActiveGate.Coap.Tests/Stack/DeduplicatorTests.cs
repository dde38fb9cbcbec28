using System.Net;
using ActiveGate.Coap.Stack;
using ActiveGate.Coap.Stack.Deduplication;
using Microsoft.Extensions.Time.Testing;

namespace ActiveGate.Coap.Tests.Stack;

public sealed class DeduplicatorTests
{
    private static readonly EndPoint s_peerA = new IPEndPoint(IPAddress.Loopback, 1000);
    private static readonly EndPoint s_peerB = new IPEndPoint(IPAddress.Loopback, 2000);
    private static readonly TimeSpan s_lifetime = TimeSpan.FromSeconds(10);

    [Fact]
    public void Duplicate_is_reported_with_its_reply_per_peer_and_message_id()
    {
        var dedup = new Deduplicator(new FakeTimeProvider(), 100, new CoapEndpointCounters());
        Assert.True(dedup.TryRegister(s_peerA, 7, s_lifetime, out _));
        Assert.True(dedup.TryRegister(s_peerB, 7, s_lifetime, out _));
        Assert.False(dedup.TryRegister(s_peerA, 7, s_lifetime, out byte[]? pending));
        Assert.Null(pending);

        dedup.SetReply(s_peerA, 7, [1, 2, 3]);
        Assert.False(dedup.TryRegister(new IPEndPoint(IPAddress.Loopback, 1000), 7, s_lifetime, out byte[]? cached));
        Assert.Equal(new byte[] { 1, 2, 3 }, cached);
        Assert.False(dedup.TryRegister(s_peerB, 7, s_lifetime, out byte[]? other));
        Assert.Null(other);
    }

    [Fact]
    public void Entries_expire_oldest_first()
    {
        var time = new FakeTimeProvider();
        var dedup = new Deduplicator(time, 100, new CoapEndpointCounters());
        Assert.True(dedup.TryRegister(s_peerA, 1, s_lifetime, out _));
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.True(dedup.TryRegister(s_peerA, 2, s_lifetime, out _));
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(dedup.TryRegister(s_peerA, 1, s_lifetime, out _));
        Assert.False(dedup.TryRegister(s_peerA, 2, s_lifetime, out _));
        Assert.Equal(2, dedup.Count);
    }

    [Fact]
    public void Full_cache_evicts_the_oldest_and_counts_it_across_ring_wrap_and_growth()
    {
        var counters = new CoapEndpointCounters();
        var dedup = new Deduplicator(new FakeTimeProvider(), 100, counters);
        for (ushort mid = 0; mid < 250; mid++)
        {
            Assert.True(dedup.TryRegister(s_peerA, mid, s_lifetime, out _));
            dedup.SetReply(s_peerA, mid, [(byte)mid]);
        }

        Assert.Equal(100, dedup.Count);
        Assert.Equal(150, counters.DeduplicationEvictions);
        for (ushort mid = 150; mid < 250; mid++)
        {
            Assert.False(dedup.TryRegister(s_peerA, mid, s_lifetime, out byte[]? cached));
            Assert.Equal(new[] { (byte)mid }, cached);
        }

        Assert.True(dedup.TryRegister(s_peerA, 149, s_lifetime, out _));
        Assert.Equal(151, counters.DeduplicationEvictions);
    }

    [Fact]
    public void Short_and_long_replies_survive_growth_of_the_ring()
    {
        var dedup = new Deduplicator(new FakeTimeProvider(), 1000, new CoapEndpointCounters());
        for (ushort mid = 0; mid < 300; mid++)
        {
            Assert.True(dedup.TryRegister(s_peerA, mid, s_lifetime, out _));
            dedup.SetReply(s_peerA, mid, Reply(mid));
        }

        for (ushort mid = 0; mid < 300; mid++)
        {
            Assert.False(dedup.TryRegister(s_peerA, mid, s_lifetime, out byte[]? cached));
            Assert.Equal(Reply(mid), cached);
        }

        // Lengths around the inline limit, sizes 0 to 200 bytes.
        static byte[] Reply(ushort mid) => Enumerable.Range(0, mid % 201).Select(i => (byte)(mid + i)).ToArray();
    }

    [Fact]
    public void Replacing_a_long_reply_by_a_short_one_returns_the_short_one()
    {
        var dedup = new Deduplicator(new FakeTimeProvider(), 10, new CoapEndpointCounters());
        Assert.True(dedup.TryRegister(s_peerA, 1, s_lifetime, out _));
        dedup.SetReply(s_peerA, 1, new byte[100]);
        dedup.SetReply(s_peerA, 1, [4, 5]);
        Assert.False(dedup.TryRegister(s_peerA, 1, s_lifetime, out byte[]? cached));
        Assert.Equal(new byte[] { 4, 5 }, cached);
    }
}
