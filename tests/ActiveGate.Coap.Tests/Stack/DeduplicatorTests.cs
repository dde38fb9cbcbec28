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
}
